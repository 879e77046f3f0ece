// Parsing a crontab (see crontab.hpp), following Supercronic's crontab.go
// step by step so a crontab means in tend what it meant there.
#include "tend/time/crontab.hpp"

#include <optional>

namespace tend::time {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

struct Word {
    std::size_t begin;
    std::size_t end;
};

std::vector<Word> words_of(std::string_view line) {
    std::vector<Word> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_blank(line[i])) ++i;
        const std::size_t begin = i;
        while (i < line.size() && !is_blank(line[i])) ++i;
        if (i > begin) words.push_back({begin, i});
    }
    return words;
}

// `^([^\s=]+)\s*=\s*(.*)$`
std::optional<std::pair<std::string, std::string>> variable_line(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && !is_blank(line[i]) && line[i] != '=') ++i;
    if (i == 0) return std::nullopt;
    const std::string key(line.substr(0, i));
    while (i < line.size() && is_blank(line[i])) ++i;
    if (i >= line.size() || line[i] != '=') return std::nullopt;
    ++i;
    while (i < line.size() && is_blank(line[i])) ++i;
    std::string value(line.substr(i));
    // Vixie's quote removal: only when the value starts and ends with the same quote.
    if (value.size() > 1 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
        value = value.substr(1, value.size() - 2);
    return std::pair{key, value};
}

}  // namespace

Crontab parse_crontab_lines(std::string_view text, std::vector<CrontabError>& errors) {
    Crontab crontab;
    std::size_t number = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
        if (line.empty() || line.front() == '#') {
            if (end == text.size()) break;
            continue;
        }
        if (auto variable = variable_line(line)) {
            if (variable->first == "SHELL") crontab.shell = variable->second;
            if (variable->first == "CRON_TZ") crontab.cron_tz.push_back({number, variable->second});
            crontab.variables.push_back(std::move(*variable));
            if (end == text.size()) break;
            continue;
        }
        const std::vector<Word> words = words_of(line);
        bool parsed = false;
        std::string five_field_error;
        for (std::size_t count : {7u, 6u, 5u, 1u}) {
            if (words.size() <= count) continue;
            const std::string_view schedule = line.substr(0, words[count - 1].end);
            auto cron = parse_cron_expression(schedule);
            if (!cron) {
                if (count == 5) five_field_error = cron.error();
                continue;
            }
            crontab.jobs.push_back({crontab.jobs.size(), number, std::string(schedule), *cron,
                                    std::string(line.substr(words[count].begin))});
            parsed = true;
            break;
        }
        if (!parsed) {
            std::string why = words.size() <= 5 ? "no command after the schedule"
                                                : "no schedule of 7, 6 or 5 fields or @ shorthand parses";
            if (!five_field_error.empty()) why += " (as 5 fields: " + five_field_error + ")";
            errors.push_back({number, "bad crontab line '" + std::string(line) + "': " + why});
        }
        if (end == text.size()) break;
    }
    return crontab;
}

std::expected<Crontab, std::vector<CrontabError>> parse_crontab(std::string_view text) {
    std::vector<CrontabError> errors;
    Crontab crontab = parse_crontab_lines(text, errors);
    if (!errors.empty()) return std::unexpected(std::move(errors));
    return crontab;
}

}  // namespace tend::time
