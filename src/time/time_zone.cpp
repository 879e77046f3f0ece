// Time zones from TZif files and POSIX rules (see time_zone.hpp).
#include "tend/time/time_zone.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "tend/sys/fd.hpp"

namespace tend::time {
namespace {

constexpr std::int64_t kFarPast = -(std::int64_t{1} << 45);
constexpr std::int64_t kFarFuture = std::int64_t{1} << 45;
constexpr std::int64_t kDay = 86400;
// TZif files are a few KiB; the largest in tzdata is well under this.
constexpr std::size_t kMaxZoneFileBytes = 256 * 1024;

std::int64_t seconds_of(UtcSeconds t) { return t.time_since_epoch().count(); }
UtcSeconds utc(std::int64_t s) { return UtcSeconds{std::chrono::seconds{s}}; }

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
std::int64_t days_from_civil(int year, unsigned month, unsigned day) {
    using namespace std::chrono;
    return sys_days{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}}
        .time_since_epoch()
        .count();
}

int year_of(std::int64_t seconds) {
    using namespace std::chrono;
    auto days = sys_days{std::chrono::days{seconds >= 0 ? seconds / kDay : (seconds - kDay + 1) / kDay}};
    return static_cast<int>(year_month_day{days}.year());
}

// The day (days since the epoch) a POSIX rule change falls on in `year`.
std::int64_t change_day(const TimeZone::Rule::Change& change, int year) {
    using Form = TimeZone::Rule::Change::Form;
    const std::int64_t jan1 = days_from_civil(year, 1, 1);
    switch (change.form) {
        case Form::Julian1: {
            // 1..365, February 29 never counted.
            std::int64_t day = change.day - 1;
            if (is_leap(year) && change.day >= 60) ++day;
            return jan1 + day;
        }
        case Form::Julian0:
            return jan1 + change.day;
        case Form::MonthWeekDay: {
            const std::int64_t first = days_from_civil(year, static_cast<unsigned>(change.month), 1);
            // 1970-01-01 was a Thursday (4).
            const int first_weekday = static_cast<int>(((first % 7) + 7 + 4) % 7);
            std::int64_t day = first + (change.weekday - first_weekday + 7) % 7 + 7 * (change.week - 1);
            const int next_month = change.month == 12 ? 1 : change.month + 1;
            const std::int64_t month_end =
                days_from_civil(change.month == 12 ? year + 1 : year, static_cast<unsigned>(next_month), 1);
            while (day >= month_end) day -= 7;  // week 5 = the last one
            return day;
        }
    }
    return jan1;
}

// ---- POSIX rule parsing ---------------------------------------------------

class RuleParser {
public:
    explicit RuleParser(std::string_view text) : text_(text) {}

    std::expected<TimeZone::Rule, std::string> parse() {
        TimeZone::Rule rule;
        auto std_name = name();
        if (!std_name) return std::unexpected("standard time name: " + std_name.error());
        rule.std_abbreviation = *std_name;
        auto std_offset = hms(24);
        if (!std_offset) return std::unexpected("standard time offset: " + std_offset.error());
        rule.std_offset = -*std_offset;  // POSIX counts west of Greenwich
        if (at_end()) return rule;
        rule.has_dst = true;
        auto dst_name = name();
        if (!dst_name) return std::unexpected("DST name: " + dst_name.error());
        rule.dst_abbreviation = *dst_name;
        rule.dst_offset = rule.std_offset + 3600;
        if (!at_end() && peek() != ',') {
            auto dst_offset = hms(24);
            if (!dst_offset) return std::unexpected("DST offset: " + dst_offset.error());
            rule.dst_offset = -*dst_offset;
        }
        if (at_end()) {
            // No rule given: the US rules, as glibc assumes.
            rule.start = {TimeZone::Rule::Change::Form::MonthWeekDay, 0, 3, 2, 0, 7200};
            rule.end = {TimeZone::Rule::Change::Form::MonthWeekDay, 0, 11, 1, 0, 7200};
            return rule;
        }
        if (!take(',')) return std::unexpected("expected ',' before the DST start rule at " + rest());
        auto start = change();
        if (!start) return std::unexpected("DST start: " + start.error());
        if (!take(',')) return std::unexpected("expected ',' before the DST end rule at " + rest());
        auto end = change();
        if (!end) return std::unexpected("DST end: " + end.error());
        if (!at_end()) return std::unexpected("unexpected text at the end: " + rest());
        rule.start = *start;
        rule.end = *end;
        return rule;
    }

private:
    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }
    bool take(char c) {
        if (peek() != c) return false;
        ++pos_;
        return true;
    }
    std::string rest() const { return "'" + std::string(text_.substr(pos_)) + "'"; }
    static bool is_digit(char c) { return c >= '0' && c <= '9'; }
    static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

    std::expected<std::string, std::string> name() {
        if (take('<')) {
            std::size_t start = pos_;
            while (!at_end() && peek() != '>') {
                char c = peek();
                if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-') return std::unexpected("bad character in <...>");
                ++pos_;
            }
            if (!take('>')) return std::unexpected(std::string("missing '>'"));
            if (pos_ - 1 - start < 3) return std::unexpected(std::string("fewer than 3 characters"));
            return std::string(text_.substr(start, pos_ - 1 - start));
        }
        std::size_t start = pos_;
        while (!at_end() && is_alpha(peek())) ++pos_;
        if (pos_ - start < 3) return std::unexpected("expected at least 3 letters at " + rest());
        return std::string(text_.substr(start, pos_ - start));
    }

    std::expected<int, std::string> number(int max) {
        if (!is_digit(peek())) return std::unexpected("expected a number at " + rest());
        int value = 0;
        while (is_digit(peek())) {
            value = value * 10 + (text_[pos_++] - '0');
            if (value > max) return std::unexpected("number out of range at " + rest());
        }
        return value;
    }

    // [+|-]hh[:mm[:ss]] in seconds.
    std::expected<std::int32_t, std::string> hms(int max_hours) {
        int sign = 1;
        if (take('-')) sign = -1;
        else take('+');
        auto hours = number(max_hours);
        if (!hours) return std::unexpected(hours.error());
        int minutes = 0, seconds = 0;
        if (take(':')) {
            auto m = number(59);
            if (!m) return std::unexpected(m.error());
            minutes = *m;
            if (take(':')) {
                auto s = number(59);
                if (!s) return std::unexpected(s.error());
                seconds = *s;
            }
        }
        return sign * (*hours * 3600 + minutes * 60 + seconds);
    }

    std::expected<TimeZone::Rule::Change, std::string> change() {
        using Form = TimeZone::Rule::Change::Form;
        TimeZone::Rule::Change result;
        if (take('J')) {
            auto day = number(365);
            if (!day || *day < 1) return std::unexpected(std::string("Jn needs n from 1 to 365"));
            result.form = Form::Julian1;
            result.day = *day;
        } else if (take('M')) {
            auto month = number(12);
            if (!month || *month < 1) return std::unexpected(std::string("Mm.w.d needs m from 1 to 12"));
            if (!take('.')) return std::unexpected(std::string("Mm.w.d: expected '.'"));
            auto week = number(5);
            if (!week || *week < 1) return std::unexpected(std::string("Mm.w.d needs w from 1 to 5"));
            if (!take('.')) return std::unexpected(std::string("Mm.w.d: expected '.'"));
            auto weekday = number(6);
            if (!weekday) return std::unexpected(std::string("Mm.w.d needs d from 0 to 6"));
            result.form = Form::MonthWeekDay;
            result.month = *month;
            result.week = *week;
            result.weekday = *weekday;
        } else {
            auto day = number(365);
            if (!day) return std::unexpected(day.error());
            result.form = Form::Julian0;
            result.day = *day;
        }
        if (take('/')) {
            auto time = hms(167);  // RFC 8536 allows -167..167 hours
            if (!time) return std::unexpected("time: " + time.error());
            result.time = *time;
        }
        return result;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// ---- TZif reading ---------------------------------------------------------

class ByteReader {
public:
    explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
    bool has(std::size_t n) const { return bytes_.size() - pos_ >= n; }
    std::size_t position() const { return pos_; }
    void skip(std::size_t n) { pos_ += n; }
    std::uint8_t u8() { return static_cast<std::uint8_t>(bytes_[pos_++]); }
    std::uint32_t u32() {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = (v << 8) | u8();
        return v;
    }
    std::int64_t i64() {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
        return static_cast<std::int64_t>(v);
    }
    std::string_view rest() const { return bytes_.substr(pos_); }
    std::string_view take(std::size_t n) {
        auto part = bytes_.substr(pos_, n);
        pos_ += n;
        return part;
    }

private:
    std::string_view bytes_;
    std::size_t pos_ = 0;
};

struct TzifHeader {
    char version = 0;
    std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

    std::size_t data_size(std::size_t time_size) const {
        return timecnt * time_size + timecnt + typecnt * 6 + charcnt + leapcnt * (time_size + 4) + isstdcnt +
               isutcnt;
    }
};

std::expected<TzifHeader, std::string> read_header(ByteReader& in) {
    if (!in.has(44)) return std::unexpected(std::string("too short for a TZif header"));
    if (in.take(4) != "TZif") return std::unexpected(std::string("not a TZif file (no 'TZif' magic)"));
    TzifHeader header;
    header.version = static_cast<char>(in.u8());
    in.skip(15);
    header.isutcnt = in.u32();
    header.isstdcnt = in.u32();
    header.leapcnt = in.u32();
    header.timecnt = in.u32();
    header.typecnt = in.u32();
    header.charcnt = in.u32();
    if (header.typecnt == 0 || header.typecnt > 256 || header.charcnt == 0 || header.timecnt > 100000 ||
        header.leapcnt > 1000 || header.charcnt > 65536)
        return std::unexpected(std::string("corrupt TZif header counts"));
    return header;
}

}  // namespace

std::expected<TimeZone::Rule, std::string> parse_posix_rule(std::string_view text) {
    if (text.empty()) return std::unexpected(std::string("empty rule"));
    return RuleParser(text).parse();
}

TimeZone::TimeZone() {
    rule_ = Rule{"UTC", 0, false, {}, 0, {}, {}};
}

std::expected<TimeZone, std::string> TimeZone::from_posix_rule(std::string_view text) {
    auto rule = parse_posix_rule(text);
    if (!rule) return std::unexpected(rule.error());
    TimeZone zone;
    zone.name_ = std::string(text);
    zone.rule_ = std::move(*rule);
    return zone;
}

std::expected<TimeZone, std::string> TimeZone::from_tzif(std::string_view bytes, std::string name) {
    ByteReader in(bytes);
    auto header = read_header(in);
    if (!header) return std::unexpected(header.error());
    std::size_t time_size = 4;
    if (header->version >= '2') {
        // Skip the 32-bit block: the 64-bit one after it is complete.
        if (!in.has(header->data_size(4))) return std::unexpected(std::string("truncated TZif data"));
        in.skip(header->data_size(4));
        header = read_header(in);
        if (!header) return std::unexpected(header.error());
        time_size = 8;
    }
    if (header->leapcnt != 0)
        return std::unexpected(std::string("leap-second zones (the right/ tree) are not supported"));
    if (!in.has(header->data_size(time_size))) return std::unexpected(std::string("truncated TZif data"));

    TimeZone zone;
    zone.name_ = std::move(name);
    zone.rule_.reset();
    zone.transitions_.resize(header->timecnt);
    for (auto& transition : zone.transitions_)
        transition.at = time_size == 8 ? in.i64() : static_cast<std::int32_t>(in.u32());
    for (auto& transition : zone.transitions_) {
        transition.type = in.u8();
        if (transition.type >= header->typecnt)
            return std::unexpected(std::string("corrupt TZif data: transition to an unknown type"));
    }
    struct RawType {
        std::int32_t offset;
        bool is_dst;
        std::uint8_t name_index;
    };
    std::vector<RawType> raw(header->typecnt);
    for (auto& type : raw) {
        type.offset = static_cast<std::int32_t>(in.u32());
        type.is_dst = in.u8() != 0;
        type.name_index = in.u8();
        if (type.offset <= -25 * 3600 || type.offset >= 26 * 3600)
            return std::unexpected(std::string("corrupt TZif data: UTC offset out of range"));
    }
    std::string_view names = in.take(header->charcnt);
    for (const auto& type : raw) {
        if (type.name_index >= names.size())
            return std::unexpected(std::string("corrupt TZif data: abbreviation index out of range"));
        std::string_view abbreviation = names.substr(type.name_index);
        abbreviation = abbreviation.substr(0, abbreviation.find('\0'));
        zone.types_.push_back({type.offset, type.is_dst, std::string(abbreviation)});
    }
    in.skip(header->leapcnt * (time_size + 4) + header->isstdcnt + header->isutcnt);
    for (std::size_t i = 1; i < zone.transitions_.size(); ++i)
        if (zone.transitions_[i].at <= zone.transitions_[i - 1].at)
            return std::unexpected(std::string("corrupt TZif data: transitions out of order"));

    if (time_size == 8) {
        // Footer: "\n<POSIX rule>\n"; an empty rule means none.
        std::string_view footer = in.rest();
        if (footer.size() < 2 || footer.front() != '\n')
            return std::unexpected(std::string("corrupt TZif footer"));
        footer.remove_prefix(1);
        std::size_t newline = footer.find('\n');
        if (newline == std::string_view::npos) return std::unexpected(std::string("corrupt TZif footer"));
        std::string_view text = footer.substr(0, newline);
        if (!text.empty()) {
            auto rule = parse_posix_rule(text);
            if (!rule) return std::unexpected("TZif footer rule '" + std::string(text) + "': " + rule.error());
            zone.rule_ = std::move(*rule);
        }
    }
    return zone;
}

ZonePeriod TimeZone::rule_period_at(std::int64_t instant) const {
    const Rule& rule = *rule_;
    ZonePeriod period;
    if (!rule.has_dst) {
        period.begin = utc(kFarPast);
        period.end = utc(kFarFuture);
        period.offset = period.previous_offset = rule.std_offset;
        period.abbreviation = rule.std_abbreviation;
        return period;
    }
    struct Change {
        std::int64_t at;
        bool to_dst;
    };
    // Three years of changes around the instant; no allocation (event path).
    std::array<Change, 6> changes{};
    const int year = year_of(instant);
    for (int i = 0; i < 3; ++i) {
        const int y = year - 1 + i;
        // The start is given in standard time, the end in DST.
        changes[2 * i] = {change_day(rule.start, y) * kDay + rule.start.time - rule.std_offset, true};
        changes[2 * i + 1] = {change_day(rule.end, y) * kDay + rule.end.time - rule.dst_offset, false};
    }
    std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) { return a.at < b.at; });
    std::size_t last = 0;  // the last change at or before the instant
    for (std::size_t i = 0; i < changes.size(); ++i)
        if (changes[i].at <= instant) last = i;
    const bool dst = changes[last].to_dst;
    period.begin = utc(changes[last].at);
    period.end = utc(last + 1 < changes.size() ? changes[last + 1].at : kFarFuture);
    period.is_dst = dst;
    period.offset = dst ? rule.dst_offset : rule.std_offset;
    period.previous_offset = dst ? rule.std_offset : rule.dst_offset;
    period.abbreviation = dst ? rule.dst_abbreviation : rule.std_abbreviation;
    return period;
}

ZonePeriod TimeZone::period_at(UtcSeconds at) const {
    const std::int64_t instant = seconds_of(at);
    auto from_type = [&](std::size_t type, std::int64_t begin, std::int64_t end, std::int32_t previous) {
        ZonePeriod period;
        period.begin = utc(begin);
        period.end = utc(end);
        period.offset = types_[type].offset;
        period.previous_offset = previous;
        period.is_dst = types_[type].is_dst;
        period.abbreviation = types_[type].abbreviation;
        return period;
    };
    if (transitions_.empty()) {
        if (rule_) return rule_period_at(instant);
        return from_type(0, kFarPast, kFarFuture, types_[0].offset);
    }
    auto next = std::upper_bound(transitions_.begin(), transitions_.end(), instant,
                                 [](std::int64_t t, const Transition& tr) { return t < tr.at; });
    if (next == transitions_.begin())
        return from_type(0, kFarPast, transitions_.front().at, types_[0].offset);  // RFC 8536: type 0 before
    const std::size_t index = static_cast<std::size_t>(next - transitions_.begin()) - 1;
    const std::int32_t previous = index == 0 ? types_[0].offset : types_[transitions_[index - 1].type].offset;
    if (next != transitions_.end()) return from_type(transitions_[index].type, transitions_[index].at, next->at, previous);
    if (!rule_) return from_type(transitions_[index].type, transitions_[index].at, kFarFuture, previous);
    // After the last transition the footer rule takes over.
    ZonePeriod period = rule_period_at(instant);
    if (seconds_of(period.begin) <= transitions_[index].at) {
        period.begin = utc(transitions_[index].at);
        period.previous_offset = previous;
    }
    return period;
}

LocalSeconds TimeZone::to_local(UtcSeconds instant) const {
    return LocalSeconds{instant.time_since_epoch() + std::chrono::seconds{offset_at(instant)}};
}

LocalTimeMapping TimeZone::from_local(LocalSeconds local) const {
    const std::int64_t wall = local.time_since_epoch().count();
    // Every period that could hold the instant: offsets are within ±26 h.
    std::vector<std::int64_t> solutions;
    std::optional<std::int64_t> gap_end;
    ZonePeriod period = period_at(utc(wall - 26 * 3600));
    for (int guard = 0; guard < 64; ++guard) {
        const std::int64_t begin = seconds_of(period.begin);
        const std::int64_t candidate = wall - period.offset;
        if (candidate >= begin && candidate < seconds_of(period.end)) solutions.push_back(candidate);
        // A jump forward at `begin` skipped local times [begin+previous, begin+offset).
        if (period.offset > period.previous_offset && wall >= begin + period.previous_offset &&
            wall < begin + period.offset)
            gap_end = begin;
        if (seconds_of(period.end) > wall + 26 * 3600 || seconds_of(period.end) >= kFarFuture) break;
        period = period_at(period.end);
    }
    LocalTimeMapping mapping;
    if (solutions.empty()) {
        mapping.kind = LocalTimeMapping::Kind::Nonexistent;
        mapping.first = mapping.second = utc(gap_end.value_or(wall));
    } else if (solutions.size() == 1) {
        mapping.first = mapping.second = utc(solutions.front());
    } else {
        mapping.kind = LocalTimeMapping::Kind::Ambiguous;
        mapping.first = utc(solutions.front());
        mapping.second = utc(solutions.back());
    }
    return mapping;
}

// ---- loading ------------------------------------------------------------------

namespace {

// A zone file's bytes: a regular file of at most kMaxZoneFileBytes, opened
// O_NONBLOCK so a FIFO planted as TZ cannot hang tend. (config's file reader
// does the same for config files; time sits beside config and may not use it.)
std::expected<std::string, std::string> read_zone_bytes(const std::filesystem::path& file) {
    const sys::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd) return std::unexpected(std::string(std::strerror(errno)));
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0) return std::unexpected(std::string(std::strerror(errno)));
    if (!S_ISREG(status.st_mode)) return std::unexpected(std::string("is not a regular file"));
    std::string bytes;
    char buffer[4096];
    for (;;) {
        const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return std::unexpected(std::string(std::strerror(errno)));
        if (got == 0) return bytes;
        bytes.append(buffer, static_cast<std::size_t>(got));
        if (bytes.size() > kMaxZoneFileBytes)
            return std::unexpected("larger than " + std::to_string(kMaxZoneFileBytes) + " bytes");
    }
}

std::expected<TimeZone, std::string> read_zone_file(const std::filesystem::path& file, std::string name) {
    auto bytes = read_zone_bytes(file);
    if (!bytes) return std::unexpected(file.string() + ": " + bytes.error());
    auto zone = TimeZone::from_tzif(*bytes, std::move(name));
    if (!zone) return std::unexpected(file.string() + ": " + zone.error());
    return zone;
}

// A zone name as a relative path under zoneinfo: no "..", no leading '/'.
bool is_safe_zone_name(std::string_view name) {
    if (name.empty() || name.front() == '/' || name.front() == '.') return false;
    return name.find("..") == std::string_view::npos;
}

}  // namespace

LoadedTimeZone load_time_zone(std::optional<std::string_view> tz, const std::filesystem::path& zoneinfo_dir,
                              const std::filesystem::path& localtime) {
    LoadedTimeZone loaded;
    if (!tz) {
        std::error_code error;
        if (!std::filesystem::exists(localtime, error)) {
            loaded.source = "UTC (TZ is not set and there is no " + localtime.string() + ")";
            return loaded;
        }
        auto zone = read_zone_file(localtime, localtime.string());
        if (!zone) {
            loaded.problem = zone.error() + "; using UTC";
            loaded.source = "UTC";
            return loaded;
        }
        loaded.zone = std::move(*zone);
        std::filesystem::path target = std::filesystem::read_symlink(localtime, error);
        loaded.source = localtime.string() + (error ? "" : " (" + target.string() + ")");
        return loaded;
    }
    std::string_view value = *tz;
    if (value.empty() || value == ":") {
        loaded.source = "UTC (TZ is empty)";
        return loaded;
    }
    const std::string shown = "TZ=" + std::string(value);
    if (value.front() == ':') value.remove_prefix(1);
    if (value.front() == '/') {
        auto zone = read_zone_file(value, std::string(value));
        if (!zone) {
            loaded.problem = shown + ": " + zone.error();
            loaded.source = "UTC";
            return loaded;
        }
        loaded.zone = std::move(*zone);
        loaded.source = shown;
        return loaded;
    }
    std::string file_problem;
    if (is_safe_zone_name(value)) {
        const std::filesystem::path file = zoneinfo_dir / std::string(value);
        std::error_code error;
        if (std::filesystem::is_regular_file(file, error)) {
            auto zone = read_zone_file(file, std::string(value));
            if (zone) {
                loaded.zone = std::move(*zone);
                loaded.source = shown;
                return loaded;
            }
            file_problem = zone.error();
        } else {
            file_problem = "no zone file " + file.string();
        }
    }
    auto rule = TimeZone::from_posix_rule(value);
    if (rule) {
        loaded.zone = std::move(*rule);
        loaded.source = shown + " (POSIX rule)";
        return loaded;
    }
    if (value == "UTC" || value == "GMT" || value == "Etc/UTC" || value == "Universal" || value == "Zulu") {
        loaded.source = shown + " (UTC)";
        return loaded;
    }
    loaded.problem = shown + ": " + (file_problem.empty() ? "" : file_problem + ", and ") +
                     "not a POSIX rule (" + rule.error() + "); using UTC";
    loaded.source = "UTC";
    return loaded;
}

std::expected<std::optional<TimeZone>, std::string> load_named_zone(std::string_view name,
                                                                    const std::vector<std::filesystem::path>& zone_dirs) {
    if (name.empty() || name == "UTC") return std::optional<TimeZone>(TimeZone());
    if (name == "Local") return std::optional<TimeZone>();
    if (name.find("..") != std::string_view::npos || name.front() == '/' || name.front() == '\\')
        return std::unexpected("'" + std::string(name) + "' is an invalid location name (a zone name, not a path)");
    // As Go: the first file that loads wins; a failure other than "no such
    // file" is the answer when none loads.
    std::string first_problem;
    for (const auto& dir : zone_dirs) {
        const std::filesystem::path file = dir / std::string(name);
        auto bytes = read_zone_bytes(file);
        if (!bytes) {
            std::error_code error;
            const bool missing = !std::filesystem::exists(std::filesystem::symlink_status(file, error)) ||
                                 bytes.error() == std::strerror(ENOENT) || bytes.error() == std::strerror(ENOTDIR);
            if (!missing && first_problem.empty()) first_problem = file.string() + ": " + bytes.error();
            continue;
        }
        auto zone = TimeZone::from_tzif(*bytes, std::string(name));
        if (zone) return std::optional<TimeZone>(std::move(*zone));
        if (first_problem.empty()) first_problem = file.string() + ": " + zone.error();
    }
    if (!first_problem.empty()) return std::unexpected(first_problem);
    return std::unexpected("unknown time zone '" + std::string(name) + "' (no zone file of that name)");
}

std::vector<std::filesystem::path> go_zone_dirs(std::optional<std::string_view> zoneinfo) {
    std::vector<std::filesystem::path> dirs;
    if (zoneinfo && !zoneinfo->empty()) dirs.emplace_back(std::string(*zoneinfo));
    for (const char* dir : {"/usr/share/zoneinfo", "/usr/share/lib/zoneinfo", "/usr/lib/locale/TZ", "/etc/zoneinfo"})
        dirs.emplace_back(dir);
    return dirs;
}

}  // namespace tend::time
