// A Supercronic/Vixie crontab, parsed exactly as Supercronic parses it.
//
// Line by line, after removing leading blanks: empty lines and lines starting
// with '#' are skipped; `KEY=VALUE` lines (KEY without blanks or '=', blanks
// allowed around '=') set a variable, a value quoted with matching ' or "
// losing its quotes (Vixie); SHELL names the shell (default /bin/sh) and
// CRON_TZ the zone of every schedule (the last one wins, as in Supercronic,
// where it is one setting of the whole crontab; each must name a zone, see
// time::load_named_zone); TZ is only a variable (Supercronic's schedules use
// the zone it was started in); every variable, those included, goes into the
// jobs' environment. Any other line is a job: its schedule is the
// first 7, else 6, else 5 words, else the first word (an @ shorthand), the
// first count that parses as a cron expression and leaves a command after it;
// the command is the rest of the line as written. Jobs are numbered from 0
// in file order (Supercronic's job.position).
//
// Pure: the caller reads the file. One difference from Supercronic, which
// crashes on it: `KEY=` (an empty value) sets KEY to "".
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tend/time/schedule.hpp"

namespace tend::time {

struct CrontabJob {
    std::size_t position = 0;  // among the jobs, from 0
    std::size_t line = 0;      // in the file, from 1
    std::string schedule;      // as written
    CronExpression cron;
    std::string command;       // the rest of the line, given to SHELL -c
};

struct CrontabZoneLine {
    std::size_t line = 0;  // in the file, from 1
    std::string name;      // as written after CRON_TZ=
};

struct Crontab {
    std::vector<CrontabJob> jobs;
    std::vector<std::pair<std::string, std::string>> variables;  // in file order; a later one wins
    std::string shell = "/bin/sh";
    std::vector<CrontabZoneLine> cron_tz;  // every CRON_TZ line; the last one is the zone
};

// One bad line: `reason` names the line as written and, for a job line, why
// its schedule did not parse as 5 fields (the most common form).
struct CrontabError {
    std::size_t line = 0;
    std::string reason;
    // "line 3: bad crontab line '...': ..."
    std::string message() const { return "line " + std::to_string(line) + ": " + reason; }
};

// Every bad line, not only the first (Supercronic stops at the first; the
// crontab is refused either way).
std::expected<Crontab, std::vector<CrontabError>> parse_crontab(std::string_view text);
// The same, keeping what did parse: the good lines (and every CRON_TZ line)
// are in the result, each bad one is appended to `errors`.
Crontab parse_crontab_lines(std::string_view text, std::vector<CrontabError>& errors);

}  // namespace tend::time
