// Parsing `schedule` and `schedule-overlap` (see schedule.hpp).
//
// Each field is parsed into a bitset by one routine driven by a small table
// (name, range, names), so every error names the field it is about. Quartz
// extensions (`L`, `W`, `#`, `?`) and `@reboot` are recognised only to be
// refused by name: a crontab copied from elsewhere should fail loudly, not
// run at a different time than its author meant.
#include "tend/time/schedule.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <vector>

namespace tend::time {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

enum class FieldKind { Second, Minute, Hour, DayOfMonth, Month, DayOfWeek, Year };

struct FieldSpec {
    FieldKind kind;
    std::string_view name;
    int min;
    int max;
};

constexpr FieldSpec kSecond{FieldKind::Second, "second", 0, 59};
constexpr FieldSpec kMinute{FieldKind::Minute, "minute", 0, 59};
constexpr FieldSpec kHour{FieldKind::Hour, "hour", 0, 23};
constexpr FieldSpec kDayOfMonth{FieldKind::DayOfMonth, "day-of-month", 1, 31};
constexpr FieldSpec kMonth{FieldKind::Month, "month", 1, 12};
// 7 is Sunday too (cron); folded onto 0 when the bits are set.
constexpr FieldSpec kDayOfWeek{FieldKind::DayOfWeek, "day-of-week", 0, 7};
constexpr FieldSpec kYear{FieldKind::Year, "year", kFirstScheduleYear, kLastScheduleYear};


std::string lower(std::string_view text) {
    std::string result(text);
    for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return result;
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        std::size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return parts;
        start = end + 1;
    }
}

std::vector<std::string_view> split_blanks(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
        std::size_t start = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
        if (i > start) words.push_back(text.substr(start, i - start));
    }
    return words;
}

class FieldParser {
public:
    explicit FieldParser(const FieldSpec& spec) : spec_(spec) {}

    // The set of values of one field as bits (bit N = value N).
    std::expected<std::vector<bool>, std::string> parse(std::string_view text) const {
        std::vector<bool> bits(static_cast<std::size_t>(spec_.max) + 1, false);
        if (text.empty()) return fail("empty");
        if (auto special = refuse_quartz(text)) return std::unexpected(*special);
        for (std::string_view item : split(text, ',')) {
            if (item.empty()) return fail("empty item in list " + in_quotes(text));
            auto ok = parse_item(item, bits);
            if (!ok) return std::unexpected(ok.error());
        }
        return bits;
    }

private:
    std::unexpected<std::string> fail(const std::string& reason) const {
        return std::unexpected(std::string(spec_.name) + ": " + reason);
    }

    // Quartz and Jenkins syntax that standard cron (and tend) does not have.
    std::optional<std::string> refuse_quartz(std::string_view text) const {
        const std::string prefix = std::string(spec_.name) + ": ";
        if (text.find('?') != std::string_view::npos)
            return prefix + "'?' (no specific value) is not supported: use '*'";
        if (text.find('#') != std::string_view::npos)
            return prefix + "'#' (nth weekday of the month, " + in_quotes(text) + ") is not supported";
        if (text.find('H') != std::string_view::npos && spec_.kind != FieldKind::Month &&
            spec_.kind != FieldKind::DayOfWeek)
            return prefix + "'H' (hashed value, Jenkins) is not supported";
        if (spec_.kind == FieldKind::DayOfMonth || spec_.kind == FieldKind::DayOfWeek) {
            for (std::string_view item : split(text, ',')) {
                // Digits then L/W ("15W", "5L"), or "L", "LW" alone.
                std::size_t digits = 0;
                while (digits < item.size() && is_digit(item[digits])) ++digits;
                std::string rest = lower(item.substr(digits));
                if (rest == "l" || rest == "lw")
                    return prefix + "'L' (last day, " + in_quotes(item) + ") is not supported";
                if (rest == "w")
                    return prefix + "'W' (nearest weekday, " + in_quotes(item) + ") is not supported";
            }
        }
        return std::nullopt;
    }

    std::expected<int, std::string> parse_value(std::string_view text) const {
        if (text.empty()) return fail("missing value");
        if (std::all_of(text.begin(), text.end(), is_digit)) {
            if (text.size() > 4) return fail(in_quotes(text) + " is out of range " + range());
            int value = 0;
            for (char c : text) value = value * 10 + (c - '0');
            if (value < spec_.min || value > spec_.max) return fail(in_quotes(text) + " is out of range " + range());
            return value;
        }
        if (std::all_of(text.begin(), text.end(), is_alpha)) {
            const std::string name = lower(text);
            if (spec_.kind == FieldKind::Month) {
                for (std::size_t i = 0; i < kMonthNames.size(); ++i)
                    if (name == kMonthNames[i]) return static_cast<int>(i) + 1;
                return fail("unknown month name " + in_quotes(text) + " (jan..dec)");
            }
            if (spec_.kind == FieldKind::DayOfWeek) {
                for (std::size_t i = 0; i < kDayNames.size(); ++i)
                    if (name == kDayNames[i]) return static_cast<int>(i);
                return fail("unknown day name " + in_quotes(text) + " (sun..sat)");
            }
            return fail(in_quotes(text) + " is not a number");
        }
        return fail(in_quotes(text) + " is not a number" +
                    std::string(spec_.kind == FieldKind::Month       ? " or a month name"
                                 : spec_.kind == FieldKind::DayOfWeek ? " or a day name"
                                                                      : ""));
    }

    std::string range() const { return std::to_string(spec_.min) + "-" + std::to_string(spec_.max); }

    std::expected<void, std::string> parse_item(std::string_view item, std::vector<bool>& bits) const {
        std::string_view base = item;
        int step = 1;
        const std::size_t slash = item.find('/');
        if (slash != std::string_view::npos) {
            base = item.substr(0, slash);
            std::string_view step_text = item.substr(slash + 1);
            if (step_text.empty() || step_text.size() > 4 ||
                !std::all_of(step_text.begin(), step_text.end(), is_digit))
                return fail("step " + in_quotes(step_text) + " in " + in_quotes(item) + " is not a positive number");
            step = 0;
            for (char c : step_text) step = step * 10 + (c - '0');
            if (step == 0) return fail("step 0 in " + in_quotes(item) + " would never advance");
        }
        int first = spec_.min;
        int last = spec_.max;
        if (spec_.kind == FieldKind::DayOfWeek && base == "*") last = 6;  // 7 is Sunday again
        if (base != "*") {
            const std::size_t dash = base.find('-');
            auto start = parse_value(base.substr(0, dash));
            if (!start) return std::unexpected(start.error());
            first = *start;
            if (dash != std::string_view::npos) {
                auto end = parse_value(base.substr(dash + 1));
                if (!end) return std::unexpected(end.error());
                last = *end;
                if (last < first)
                    return fail("range " + in_quotes(base) + " goes backwards (write it as two ranges in a list)");
            } else if (slash == std::string_view::npos) {
                last = first;  // a single value
            }
            // "a/n": from a to the end of the field, as Vixie cron's extension.
        }
        for (int value = first; value <= last; value += step) bits[static_cast<std::size_t>(value)] = true;
        return {};
    }

    const FieldSpec& spec_;
};

template <std::size_t N>
std::bitset<N> to_bitset(const std::vector<bool>& bits, int offset = 0) {
    std::bitset<N> result;
    for (std::size_t i = 0; i < bits.size(); ++i) {
        if (!bits[i]) continue;
        const std::size_t position = i - static_cast<std::size_t>(offset);
        if (i >= static_cast<std::size_t>(offset) && position < N) result.set(position);
    }
    return result;
}

bool contains_year_like_number(std::string_view field) {
    std::size_t run = 0;
    for (char c : field) {
        run = is_digit(c) ? run + 1 : 0;
        if (run >= 4) return true;
    }
    return false;
}

constexpr int kDaysInMonth[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

std::expected<Schedule, std::string> parse_fields(const std::vector<std::string_view>& fields) {
    const std::size_t count = fields.size();
    if (count < 5 || count > 7) {
        return std::unexpected("expected 5 fields (minute hour day-of-month month day-of-week), 6 (with a leading "
                               "second) or 7 (second ... day-of-week year), found " +
                               std::to_string(count));
    }
    if (count == 6 && contains_year_like_number(fields[5])) {
        return std::unexpected(
            "6 fields whose last one looks like a year (" + in_quotes(fields[5]) +
            "): 6 fields are second minute hour day-of-month month day-of-week; with a year, write all 7 "
            "fields: second minute hour day-of-month month day-of-week year");
    }
    const std::size_t first = count == 5 ? 0 : 1;  // index of the minute field
    CronExpression cron;

    auto parse = [&](const FieldSpec& spec, std::string_view text) { return FieldParser(spec).parse(text); };
    if (count == 5) {
        cron.seconds.set(0);
    } else {
        auto seconds = parse(kSecond, fields[0]);
        if (!seconds) return std::unexpected(seconds.error());
        cron.seconds = to_bitset<60>(*seconds);
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
    cron.minutes = to_bitset<60>(*minutes);
    cron.hours = to_bitset<24>(*hours);
    cron.days_of_month = to_bitset<32>(*days);
    cron.months = to_bitset<13>(*months);
    cron.days_of_week = to_bitset<7>(*weekdays);
    if ((*weekdays)[7]) cron.days_of_week.set(0);
    if (count == 7) {
        auto years = parse(kYear, fields[6]);
        if (!years) return std::unexpected(years.error());
        cron.years = to_bitset<kLastScheduleYear - kFirstScheduleYear + 1>(*years, kFirstScheduleYear);
    } else {
        cron.years.set();
    }
    // POSIX: a day field is unrestricted only when it is `*` itself; `*/2`
    // picks days and so takes part in the OR rule.
    cron.day_of_month_restricted = fields[first + 2] != "*";
    cron.day_of_week_restricted = fields[first + 4] != "*";
    cron.fixed_time = fields[first].find('*') == std::string_view::npos &&
                      fields[first + 1].find('*') == std::string_view::npos;

    // A day of month that no chosen month has (`0 0 31 2 *`) never runs:
    // say so now instead of arming a job that never comes.
    if (cron.day_of_month_restricted && !cron.day_of_week_restricted) {
        bool possible = false;
        for (int month = 1; month <= 12 && !possible; ++month) {
            if (!cron.months.test(static_cast<std::size_t>(month))) continue;
            for (int day = 1; day <= kDaysInMonth[month] && !possible; ++day)
                possible = cron.days_of_month.test(static_cast<std::size_t>(day));
        }
        if (!possible)
            return std::unexpected("day-of-month " + in_quotes(fields[first + 2]) + " never occurs in month " +
                                   in_quotes(fields[first + 3]));
    }
    return cron;
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

std::expected<Schedule, std::string> parse_schedule(std::string_view line) {
    std::vector<std::string_view> fields = split_blanks(line);
    if (fields.empty()) return std::unexpected(std::string("is empty: expected a cron expression or @daily, @every 1h, ..."));
    if (fields[0].starts_with('@')) {
        const std::string word = lower(fields[0]);
        if (word == "@every") {
            if (fields.size() != 2)
                return std::unexpected(std::string("@every takes one duration, e.g. @every 90s or @every 1h30m"));
            auto period = parse_every_duration(fields[1]);
            if (!period) return std::unexpected(period.error());
            return EverySchedule{*period};
        }
        if (fields.size() != 1) return std::unexpected(in_quotes(fields[0]) + " takes nothing after it");
        if (word == "@reboot")
            return std::unexpected(std::string(
                "@reboot is not supported: a container starts once; use a cont-init script or a service with "
                "`restart never`"));
        if (word == "@yearly" || word == "@annually") return parse_fields({"0", "0", "1", "1", "*"});
        if (word == "@monthly") return parse_fields({"0", "0", "1", "*", "*"});
        if (word == "@weekly") return parse_fields({"0", "0", "*", "*", "0"});
        if (word == "@daily" || word == "@midnight") return parse_fields({"0", "0", "*", "*", "*"});
        if (word == "@hourly") return parse_fields({"0", "*", "*", "*", "*"});
        return std::unexpected("unknown shorthand " + in_quotes(fields[0]) +
                               " (@yearly, @monthly, @weekly, @daily, @hourly, @every DURATION)");
    }
    return parse_fields(fields);
}

}  // namespace tend::time
