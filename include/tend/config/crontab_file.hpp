// A crontab file as everything that reads one reads it: --crontab at start,
// `tend check --crontab`, and the supercronic applet (its start, -test and
// each reload). The file (a regular file of at most 1 MiB), its lines
// (time::parse_crontab) and its CRON_TZ zones (time::load_named_zone, each
// CRON_TZ line loaded as Supercronic loads it, so a zone it refuses refuses
// the crontab here too).
#pragma once

#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tend/time/crontab.hpp"
#include "tend/time/time_zone.hpp"

namespace tend::config {

inline constexpr std::size_t kMaxCrontabBytes = 1024 * 1024;

struct CrontabFile {
    time::Crontab crontab;
    // The zone of every job's schedule: the last CRON_TZ; null without one
    // (or with CRON_TZ=Local): the container's zone, as for schedule files.
    std::shared_ptr<const time::TimeZone> zone;
};

// Every problem, in line order, as "FILE:LINE: what is wrong" ("FILE: why"
// when the file cannot be read). `zoneinfo`: the ZONEINFO variable, which Go
// (and so Supercronic) searches before the system's zone directories.
std::expected<CrontabFile, std::vector<std::string>> load_crontab_file(const std::filesystem::path& file,
                                                                        std::optional<std::string_view> zoneinfo);

}  // namespace tend::config
