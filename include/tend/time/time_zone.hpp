// The container's time zone, read by tend itself.
//
// tend is a static binary: glibc's tz lookups are not something to rely on,
// so schedules get their local time from here. Sources, as glibc reads them:
//   TZ=Europe/Berlin, TZ=:Europe/Berlin   a TZif file under /usr/share/zoneinfo
//   TZ=/path/to/file, TZ=:/path            a TZif file
//   TZ=CET-1CEST,M3.5.0,M10.5.0/3          a POSIX rule (no file needed)
//   TZ unset                               /etc/localtime, else UTC
//   TZ empty                               UTC
// TZif v2+ files are read with their 64-bit data and their footer POSIX rule,
// which describes every time after the last listed transition; v1 files with
// their 32-bit data.
//
// Everything except load_time_zone() is pure: conversions between UTC and
// local wall-clock time in whole seconds, tested against the real zone files.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tend::time {

using UtcSeconds = std::chrono::sys_seconds;
using LocalSeconds = std::chrono::local_seconds;

// A stretch of UTC time with one UTC offset: [begin, end). `previous_offset`
// is the offset just before `begin` (equal to `offset` where nothing changed),
// so callers see whether the stretch began with a jump forward (a gap in local
// time) or backward (a fold: local times that happen twice).
struct ZonePeriod {
    UtcSeconds begin;
    UtcSeconds end;
    std::int32_t offset = 0;           // seconds east of UTC
    std::int32_t previous_offset = 0;
    bool is_dst = false;
    std::string abbreviation;
};

// Where a local wall-clock time falls.
struct LocalTimeMapping {
    enum class Kind { Unique, Ambiguous, Nonexistent } kind = Kind::Unique;
    UtcSeconds first;   // Unique: the instant; Ambiguous: the earlier one; Nonexistent: the end of the gap
    UtcSeconds second;  // Ambiguous: the later one; otherwise equal to first
};

class TimeZone {
public:
    // UTC itself.
    TimeZone();

    // A TZif file's bytes (RFC 8536, versions 1 to 4). `name` is for messages.
    static std::expected<TimeZone, std::string> from_tzif(std::string_view bytes, std::string name);
    // A POSIX TZ rule: "UTC0", "EST5EDT,M3.2.0,M11.1.0", "<+0330>-3:30".
    static std::expected<TimeZone, std::string> from_posix_rule(std::string_view rule);

    const std::string& name() const { return name_; }

    ZonePeriod period_at(UtcSeconds instant) const;
    std::int32_t offset_at(UtcSeconds instant) const { return period_at(instant).offset; }
    LocalSeconds to_local(UtcSeconds instant) const;
    LocalTimeMapping from_local(LocalSeconds local) const;

    // One POSIX rule (std offset, and DST with its two yearly changes).
    struct Rule {
        std::string std_abbreviation;
        std::int32_t std_offset = 0;  // seconds east of UTC
        bool has_dst = false;
        std::string dst_abbreviation;
        std::int32_t dst_offset = 0;
        struct Change {
            enum class Form { Julian1, Julian0, MonthWeekDay } form = Form::MonthWeekDay;
            int day = 0;      // Julian1: 1..365 (no Feb 29); Julian0: 0..365
            int month = 0;    // MonthWeekDay
            int week = 0;     // 1..5 (5 = last)
            int weekday = 0;  // 0 = Sunday
            std::int32_t time = 7200;  // seconds after local midnight, may be negative or > 24 h
        };
        Change start;  // into DST (given in standard time)
        Change end;    // back to standard (given in DST)
    };

private:
    struct Transition {
        std::int64_t at;  // UTC seconds
        std::size_t type;
    };
    struct LocalType {
        std::int32_t offset;
        bool is_dst;
        std::string abbreviation;
    };

    ZonePeriod rule_period_at(std::int64_t instant) const;

    std::string name_ = "UTC";
    std::vector<Transition> transitions_;
    std::vector<LocalType> types_;
    std::optional<Rule> rule_;  // for instants after the last transition (or all, without a file)
};

// Parses a POSIX TZ rule (exposed for tests).
std::expected<TimeZone::Rule, std::string> parse_posix_rule(std::string_view text);

struct LoadedTimeZone {
    TimeZone zone;
    std::string source;                 // "TZ=Europe/Berlin", "/etc/localtime", "UTC (no TZ, no /etc/localtime)"
    std::optional<std::string> problem; // set when a TZ was given but could not be used (UTC instead)
};

// The container's zone from `tz` (the TZ variable, nullopt when unset).
// Reads files; never fails: what cannot be used is described in `problem`.
LoadedTimeZone load_time_zone(std::optional<std::string_view> tz,
                              const std::filesystem::path& zoneinfo_dir = "/usr/share/zoneinfo",
                              const std::filesystem::path& localtime = "/etc/localtime");

// A crontab's CRON_TZ, read as Supercronic reads it (Go's time.LoadLocation):
// "" and "UTC" are UTC; "Local" is the container's zone (nullopt: the caller
// uses what load_time_zone gave); a name containing ".." or starting with '/'
// or a backslash is refused ("invalid location name"); otherwise the TZif file of
// that name in the first of `zone_dirs` that has it. Unlike TZ, no POSIX rule,
// no ':' prefix and no path: Supercronic refuses those, so tend does too.
std::expected<std::optional<TimeZone>, std::string> load_named_zone(std::string_view name,
                                                                    const std::vector<std::filesystem::path>& zone_dirs);

// Where Go looks for a zone name: $ZONEINFO first when set, then
// /usr/share/zoneinfo, /usr/share/lib/zoneinfo, /usr/lib/locale/TZ, /etc/zoneinfo.
std::vector<std::filesystem::path> go_zone_dirs(std::optional<std::string_view> zoneinfo);

}  // namespace tend::time
