// Parsing `schedule` lines (see schedule.hpp).
//
// One routine reads every field, driven by a small table (name, range, how
// many digits a number has, the names it takes), so every error names the
// field. The grammar is Supercronic's item by item (checked against its own
// parser: tests/data/cron-oracle), including its leniencies (`05`, `?`,
// empty list items, anything after a `*` item in a time field); the few
// places where its parser accepts what it then mishandles are refused here.
#include "tend/time/schedule.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

namespace tend::time {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}
std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> kMonthFullNames = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december"};
constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr std::array<std::string_view, 7> kDayFullNames = {"sunday", "monday", "tuesday", "wednesday",
                                                           "thursday", "friday", "saturday"};

enum class FieldKind { Second, Minute, Hour, DayOfMonth, Month, DayOfWeek, Year };

struct FieldSpec {
    FieldKind kind;
    std::string_view name;
    int min;
    int max;       // of a value as written (day of week: 7, Sunday again)
    int step_max;  // the largest step (day of week: 6)
    std::string_view what;  // for "is not ..." messages
};

constexpr FieldSpec kSecond{FieldKind::Second, "second", 0, 59, 59, "a second (0-59)"};
constexpr FieldSpec kMinute{FieldKind::Minute, "minute", 0, 59, 59, "a minute (0-59)"};
constexpr FieldSpec kHour{FieldKind::Hour, "hour", 0, 23, 23, "an hour (0-23)"};
constexpr FieldSpec kDayOfMonth{FieldKind::DayOfMonth, "day-of-month", 1, 31, 31,
                                "a day of month (1-31, L, LW, NW)"};
constexpr FieldSpec kMonth{FieldKind::Month, "month", 1, 12, 12, "a month (1-12, jan-dec, january-december)"};
constexpr FieldSpec kDayOfWeek{FieldKind::DayOfWeek, "day-of-week", 0, 7, 6,
                               "a day of week (0-7, sun-sat, sunday-saturday, NL, N#K)"};
constexpr FieldSpec kYear{FieldKind::Year, "year", kFirstScheduleYear, kLastScheduleYear, kLastScheduleYear,
                          "a year (1970-2099)"};

std::string lower(std::string_view text) {
    std::string result(text);
    for (char& c : result)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return result;
}

std::vector<std::string_view> split_blanks(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; };
    while (i < text.size()) {
        while (i < text.size() && blank(text[i])) ++i;
        const std::size_t start = i;
        while (i < text.size() && !blank(text[i])) ++i;
        if (i > start) words.push_back(text.substr(start, i - start));
    }
    return words;
}

// One field's values, as sets of bits over 0..max (year: offset by min).
struct FieldValues {
    std::vector<bool> bits;
    bool wildcard = false;  // an item was `*` or `?`
    // day of month
    bool last = false;
    bool last_weekday = false;
    std::vector<bool> nearest_weekdays;
    // day of week
    std::vector<bool> last_of_month;
    std::vector<bool> nth;  // (K-1)*7 + N
};

class FieldParser {
public:
    explicit FieldParser(const FieldSpec& spec) : spec_(spec) {}

    std::expected<FieldValues, std::string> parse(std::string_view text) const {
        FieldValues values;
        values.bits.assign(static_cast<std::size_t>(spec_.max - base() + 1), false);
        values.nearest_weekdays.assign(32, false);
        values.last_of_month.assign(7, false);
        values.nth.assign(35, false);
        bool any = false;
        std::size_t start = 0;
        for (;;) {
            const std::size_t comma = text.find(',', start);
            const std::string_view item =
                text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
            if (!item.empty()) {  // `1,,2` and `,5`: Supercronic skips empty items
                any = true;
                auto ok = parse_item(lower(item), item, values);
                if (!ok) return std::unexpected(ok.error());
            }
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        if (!any) return fail("no value in " + in_quotes(text));
        return values;
    }

private:
    int base() const { return spec_.kind == FieldKind::Year ? spec_.min : 0; }

    std::unexpected<std::string> fail(const std::string& reason) const {
        return std::unexpected(std::string(spec_.name) + ": " + reason);
    }
    std::unexpected<std::string> not_a_value(std::string_view written) const {
        return fail(in_quotes(written) + " is not " + std::string(spec_.what));
    }

    // A value as Supercronic's patterns read it: one or two digits (a year:
    // four) within the range, or a name. Day of week 7 is 0.
    std::optional<int> value(std::string_view text) const {
        if (all_digits(text)) {
            const bool year = spec_.kind == FieldKind::Year;
            if (year ? text.size() != 4 : text.size() > 2) return std::nullopt;
            int number = 0;
            for (char c : text) number = number * 10 + (c - '0');
            if (number < spec_.min || number > spec_.max) return std::nullopt;
            if (spec_.kind == FieldKind::DayOfWeek && number == 7) return 0;
            return number;
        }
        auto find = [&](const auto& names, int first) -> std::optional<int> {
            for (std::size_t i = 0; i < names.size(); ++i)
                if (text == names[i]) return static_cast<int>(i) + first;
            return std::nullopt;
        };
        if (spec_.kind == FieldKind::Month) {
            if (auto found = find(kMonthNames, 1)) return found;
            return find(kMonthFullNames, 1);
        }
        if (spec_.kind == FieldKind::DayOfWeek) {
            if (auto found = find(kDayNames, 0)) return found;
            return find(kDayFullNames, 0);
        }
        return std::nullopt;
    }

    // A step: what Supercronic's number table knows (0-59, 00-09,
    // 1970-2099), at least 1 and at most the field's largest value.
    std::expected<int, std::string> step(std::string_view text, std::string_view item) const {
        int number = -1;
        if (all_digits(text) && text.size() <= 4) {
            number = 0;
            for (char c : text) number = number * 10 + (c - '0');
            const bool known = (text.size() <= 2 && number <= 59) ||
                               (text.size() == 4 && number >= kFirstScheduleYear && number <= kLastScheduleYear);
            if (!known) number = -1;
        }
        if (number < 1 || number > spec_.step_max)
            return fail("step " + in_quotes(text) + " in " + in_quotes(item) + " is not 1-" +
                        std::to_string(spec_.step_max));
        return number;
    }

    void set_range(FieldValues& values, int first, int last, int step_by) const {
        for (int v = first; v <= last; v += step_by) values.bits[static_cast<std::size_t>(v - base())] = true;
    }

    int top() const { return spec_.kind == FieldKind::DayOfWeek ? 6 : spec_.max; }

    std::expected<void, std::string> parse_item(const std::string& item, std::string_view written,
                                                FieldValues& values) const {
        if (item == "*" || item == "?") {
            values.wildcard = true;
            set_range(values, spec_.min, top(), 1);
            return {};
        }
        if (auto single = value(item)) {
            values.bits[static_cast<std::size_t>(*single - base())] = true;
            return {};
        }
        const std::size_t slash = item.find('/');
        const std::string_view head = std::string_view(item).substr(0, slash);
        const std::size_t dash = head.find('-');
        if (slash != std::string::npos) {
            auto by = step(std::string_view(item).substr(slash + 1), written);
            if (!by) return std::unexpected(by.error());
            if (head == "*") {
                set_range(values, spec_.min, top(), *by);
                return {};
            }
            if (dash == std::string_view::npos) {
                auto first = value(head);
                if (!first) return not_a_value(written);
                set_range(values, *first, top(), *by);
                return {};
            }
        }
        if (dash != std::string_view::npos) {
            const std::string_view from_text = head.substr(0, dash);
            const std::string_view to_text = head.substr(dash + 1);
            auto first = value(from_text);
            auto last = value(to_text);
            if (first && last) {
                int step_by = 1;
                if (slash != std::string::npos) step_by = *step(std::string_view(item).substr(slash + 1), written);
                auto is_seven = [](std::string_view t) { return t == "7" || t == "07"; };
                if (spec_.kind == FieldKind::DayOfWeek && is_seven(to_text) && !is_seven(from_text))
                    return fail("range " + in_quotes(written) + " ends at 7 (Sunday again): write " +
                                std::string(from_text) + "-6,0 or 0-6");
                if (*last < *first)
                    return fail("range " + in_quotes(written) + " goes backwards (write it as two items of a list)");
                set_range(values, *first, *last, step_by);
                return {};
            }
        }
        if (slash == std::string::npos && spec_.kind == FieldKind::DayOfMonth) {
            if (item == "l") return values.last = true, std::expected<void, std::string>{};
            if (item == "lw") return values.last_weekday = true, std::expected<void, std::string>{};
            if (item.size() > 1 && item.back() == 'w') {
                if (auto day = value(std::string_view(item).substr(0, item.size() - 1))) {
                    values.nearest_weekdays[static_cast<std::size_t>(*day)] = true;
                    return {};
                }
            }
        }
        if (slash == std::string::npos && spec_.kind == FieldKind::DayOfWeek) {
            if (item.size() > 1 && item.back() == 'l') {
                if (auto day = value(std::string_view(item).substr(0, item.size() - 1))) {
                    values.last_of_month[static_cast<std::size_t>(*day)] = true;
                    return {};
                }
            }
            const std::size_t hash = item.find('#');
            if (hash != std::string::npos) {
                auto day = value(std::string_view(item).substr(0, hash));
                const std::string_view nth = std::string_view(item).substr(hash + 1);
                if (!day) return not_a_value(written);
                if (nth.size() != 1 || nth[0] < '1' || nth[0] > '5')
                    return fail(in_quotes(written) + ": the week after '#' is 1-5");
                values.nth[static_cast<std::size_t>((nth[0] - '1') * 7 + *day)] = true;
                return {};
            }
        }
        return not_a_value(written);
    }

    const FieldSpec& spec_;
};

template <std::size_t N>
std::bitset<N> to_bitset(const std::vector<bool>& bits) {
    std::bitset<N> result;
    for (std::size_t i = 0; i < bits.size() && i < N; ++i)
        if (bits[i]) result.set(i);
    return result;
}

constexpr int kDaysInMonth[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

bool has_wildcard(std::string_view field) {
    return field.find('*') != std::string_view::npos || field.find('?') != std::string_view::npos;
}

std::expected<CronExpression, std::string> parse_fields(const std::vector<std::string_view>& fields) {
    const std::size_t count = fields.size();
    if (count < 5 || count > 7)
        return std::unexpected("expected 5 fields (minute hour day-of-month month day-of-week), 6 (the 5 and a "
                               "year) or 7 (second, the 5 and a year), found " +
                               std::to_string(count));
    const std::size_t first = count == 7 ? 1 : 0;  // index of the minute field
    CronExpression cron;
    auto parse = [](const FieldSpec& spec, std::string_view text) { return FieldParser(spec).parse(text); };

    if (count == 7) {
        auto seconds = parse(kSecond, fields[0]);
        if (!seconds) return std::unexpected(seconds.error());
        cron.seconds = to_bitset<60>(seconds->bits);
    } else {
        cron.seconds.set(0);
    }
    auto minutes = parse(kMinute, fields[first]);
    if (!minutes) return std::unexpected(minutes.error());
    auto hours = parse(kHour, fields[first + 1]);
    if (!hours) return std::unexpected(hours.error());
    auto days = parse(kDayOfMonth, fields[first + 2]);
    if (!days) return std::unexpected(days.error());
    auto months = parse(kMonth, fields[first + 3]);
    if (!months) return std::unexpected(months.error());
    auto weekdays = parse(kDayOfWeek, fields[first + 4]);
    if (!weekdays) return std::unexpected(weekdays.error());
    cron.minutes = to_bitset<60>(minutes->bits);
    cron.hours = to_bitset<24>(hours->bits);
    cron.months = to_bitset<13>(months->bits);
    cron.days_of_month = to_bitset<32>(days->bits);
    cron.last_day_of_month = days->last;
    cron.last_weekday_of_month = days->last_weekday;
    cron.nearest_weekdays = to_bitset<32>(days->nearest_weekdays);
    cron.days_of_week = to_bitset<7>(weekdays->bits);
    cron.last_days_of_week = to_bitset<7>(weekdays->last_of_month);
    cron.nth_days_of_week = to_bitset<35>(weekdays->nth);
    if (count >= 6) {
        auto years = parse(kYear, fields[first + 5]);
        if (!years) return std::unexpected(years.error());
        cron.years = to_bitset<kLastScheduleYear - kFirstScheduleYear + 1>(years->bits);
    } else {
        cron.years.set();
    }
    cron.day_of_month_restricted = !days->wildcard;
    cron.day_of_week_restricted = !weekdays->wildcard;
    cron.fixed_time = !has_wildcard(fields[first]) && !has_wildcard(fields[first + 1]);

    // A day of month that no chosen month has (`0 0 31 2 *`) never runs:
    // say so now instead of arming a job that never comes.
    if (cron.day_of_month_restricted && !cron.day_of_week_restricted && !cron.last_day_of_month &&
        !cron.last_weekday_of_month) {
        bool possible = false;
        for (int month = 1; month <= 12 && !possible; ++month) {
            if (!cron.months.test(static_cast<std::size_t>(month))) continue;
            for (int day = 1; day <= kDaysInMonth[month] && !possible; ++day)
                possible = cron.days_of_month.test(static_cast<std::size_t>(day)) ||
                           cron.nearest_weekdays.test(static_cast<std::size_t>(day));
        }
        if (!possible)
            return std::unexpected("day-of-month " + in_quotes(fields[first + 2]) + " never occurs in month " +
                                   in_quotes(fields[first + 3]));
    }
    return cron;
}

// Supercronic's shorthands, exactly as its parser spells them.
std::optional<std::vector<std::string_view>> shorthand(std::string_view word) {
    if (word == "@yearly" || word == "@annually") return std::vector<std::string_view>{"0", "0", "1", "1", "*"};
    if (word == "@monthly") return std::vector<std::string_view>{"0", "0", "1", "*", "*"};
    if (word == "@weekly") return std::vector<std::string_view>{"0", "0", "*", "*", "0"};
    if (word == "@daily") return std::vector<std::string_view>{"0", "0", "*", "*", "*"};
    if (word == "@hourly") return std::vector<std::string_view>{"0", "*", "*", "*", "*"};
    return std::nullopt;
}

std::expected<CronExpression, std::string> parse_words(const std::vector<std::string_view>& words) {
    if (words.empty()) return std::unexpected(std::string("is empty: expected a cron expression or @daily, ..."));
    if (words[0].starts_with('@')) {
        if (words[0] == "@reboot")
            return std::unexpected(std::string(
                "@reboot is not supported: a container starts once; use a cont-init script or a service with "
                "`restart never`"));
        auto fields = shorthand(words[0]);
        if (!fields)
            return std::unexpected("unknown shorthand " + in_quotes(words[0]) +
                                   " (@yearly, @annually, @monthly, @weekly, @daily, @hourly; lower case)");
        if (words.size() != 1) return std::unexpected(in_quotes(words[0]) + " takes nothing after it");
        return parse_fields(*fields);
    }
    return parse_fields(words);
}

}  // namespace

std::expected<std::chrono::milliseconds, std::string> parse_every_duration(std::string_view text) {
    if (text.empty()) return std::unexpected(std::string("@every needs a duration, e.g. @every 90s"));
    using std::chrono::milliseconds;
    constexpr std::int64_t kMax = std::int64_t{366} * 24 * 3600 * 1000;  // a year: beyond that, use a date
    std::int64_t total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t start = i;
        std::int64_t number = 0;
        while (i < text.size() && is_digit(text[i])) {
            number = number * 10 + (text[i] - '0');
            if (number > kMax) return std::unexpected("@every " + in_quotes(text) + " is too long (at most 366d)");
            ++i;
        }
        if (i == start) return std::unexpected("@every " + in_quotes(text) + ": expected a number at " + in_quotes(text.substr(i)));
        std::size_t unit_start = i;
        while (i < text.size() && is_alpha(text[i])) ++i;
        std::string_view unit = text.substr(unit_start, i - unit_start);
        std::int64_t scale = 0;
        if (unit == "ms") scale = 1;
        else if (unit == "s") scale = 1000;
        else if (unit == "m") scale = 60'000;
        else if (unit == "h") scale = 3'600'000;
        else if (unit == "d") scale = 86'400'000;
        else if (unit.empty())
            return std::unexpected("@every " + in_quotes(text) + ": a unit is required (ms, s, m, h or d), e.g. @every 90s");
        else
            return std::unexpected("@every " + in_quotes(text) + ": unknown unit " + in_quotes(unit) + " (ms, s, m, h or d)");
        total += number * scale;
        if (total > kMax) return std::unexpected("@every " + in_quotes(text) + " is too long (at most 366d)");
    }
    if (total < 1000) return std::unexpected("@every " + in_quotes(text) + " is shorter than the minimum of 1s");
    return milliseconds{total};
}

std::expected<CronExpression, std::string> parse_cron_expression(std::string_view text) {
    return parse_words(split_blanks(text));
}

std::expected<Schedule, std::string> parse_schedule(std::string_view line) {
    const std::vector<std::string_view> words = split_blanks(line);
    if (!words.empty() && words[0] == "@every") {
        if (words.size() != 2)
            return std::unexpected(std::string("@every takes one duration, e.g. @every 90s or @every 1h30m"));
        auto period = parse_every_duration(words[1]);
        if (!period) return std::unexpected(period.error());
        return EverySchedule{*period};
    }
    auto cron = parse_words(words);
    if (!cron) return std::unexpected(cron.error());
    return *cron;
}

}  // namespace tend::time
