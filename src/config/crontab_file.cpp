#include "tend/config/crontab_file.hpp"

#include <algorithm>
#include <utility>

#include "tend/config/file_reader.hpp"

namespace tend::config {

std::expected<CrontabFile, std::vector<std::string>> load_crontab_file(const std::filesystem::path& file,
                                                                        std::optional<std::string_view> zoneinfo) {
    auto text = read_small_file(file, kMaxCrontabBytes);
    if (!text) return std::unexpected(std::vector<std::string>{file.string() + ": " + text.error()});
    std::vector<time::CrontabError> errors;
    CrontabFile loaded;
    loaded.crontab = time::parse_crontab_lines(*text, errors);
    std::vector<std::pair<std::size_t, std::string>> problems;  // (line, reason)
    for (auto& error : errors) problems.emplace_back(error.line, std::move(error.reason));
    // Every CRON_TZ line is loaded, as Supercronic loads each when it reads it.
    const auto dirs = time::go_zone_dirs(zoneinfo);
    std::optional<time::TimeZone> zone;
    for (const auto& line : loaded.crontab.cron_tz) {
        auto named = time::load_named_zone(line.name, dirs);
        if (!named) {
            problems.emplace_back(line.line, "CRON_TZ=" + line.name + ": " + named.error());
            continue;
        }
        zone = std::move(*named);
    }
    if (!problems.empty()) {
        std::stable_sort(problems.begin(), problems.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<std::string> messages;
        for (const auto& [line, reason] : problems)
            messages.push_back(file.string() + ":" + std::to_string(line) + ": " + reason);
        return std::unexpected(std::move(messages));
    }
    if (zone) loaded.zone = std::make_shared<const time::TimeZone>(std::move(*zone));
    return loaded;
}

}  // namespace tend::config
