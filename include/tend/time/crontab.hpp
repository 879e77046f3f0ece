// A Supercronic/Vixie crontab, parsed exactly as Supercronic parses it.
//
// Line by line, after removing leading blanks: empty lines and lines starting
// with '#' are skipped; `KEY=VALUE` lines (KEY without blanks or '=', blanks
// allowed around '=') set a variable, a value quoted with matching ' or "
// losing its quotes (Vixie); SHELL names the shell (default /bin/sh) and
// CRON_TZ the zone of every schedule; every variable, those included, goes
// into the jobs' environment. Any other line is a job: its schedule is the
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

struct Crontab {
    std::vector<CrontabJob> jobs;
    std::vector<std::pair<std::string, std::string>> variables;  // in file order; a later one wins
    std::string shell = "/bin/sh";
    std::optional<std::string> cron_tz;  // CRON_TZ, the last one
};

// Errors are "line N: ..." naming the line as written and, for a job line,
// why its schedule did not parse as 5 fields (the most common form).
std::expected<Crontab, std::string> parse_crontab(std::string_view text);

}  // namespace tend::time
