// Durations, as every duration option, TEND_* variable and service-dir file
// (timeout-kill, timeout-finish, ...) reads them.
//
// A bare number is milliseconds, as in s6, so existing s6 service dirs keep
// their meaning; an integer with one lowercase unit (500ms, 3s, 2m, 1h) is
// accepted too. At most 24 h: anything longer is a typo, not a timeout. What
// 0 means is the caller's business (no limit, at once, or refused).
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

namespace tend::config {

inline constexpr std::chrono::milliseconds kMaxDuration = std::chrono::hours(24);

// Named in every refusal, so a user sees what would have worked.
inline constexpr std::string_view kDurationForms =
    "accepted forms: 3000 (milliseconds), 500ms, 3s, 2m, 1h; at most 24h";

// Pure and strict: no blanks, no sign, no fractions, no combined units
// ("1h30m"). The error does not repeat the text (the caller names where it
// came from and what it was).
std::expected<std::chrono::milliseconds, std::string> parse_duration(std::string_view text);

// The two ways tend writes a duration, both here:
// - describe_duration: a configured value, exactly and in a form the user
//   could type back ("3 s", "500 ms", "2 min", "1 h": the largest unit that
//   divides it), for --help and messages about options and files;
// - human_duration: a measured one (an uptime, a run, a backoff), rounded
//   for reading ("250 ms", "1.6 s", "3 min 5 s", "2 h 5 min", "1 d 3 h"),
//   for `tend ctl status` and log lines.
std::string describe_duration(std::chrono::milliseconds duration);
std::string human_duration(std::chrono::milliseconds duration);

}  // namespace tend::config
