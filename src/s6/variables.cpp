#include "tend/s6/variables.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "tend/config/duration.hpp"

namespace tend::s6 {
namespace {

bool is_number(std::string_view text) {
    return !text.empty() && text.size() <= 9 && text.find_first_not_of("0123456789") == std::string_view::npos;
}

long number(std::string_view text) { return std::stol(std::string(text)); }

// S6_* variables tend knows; every other S6_* name is reported as unsupported.
constexpr std::array<std::string_view, 12> kKnown{
    "S6_KEEP_ENV",           "S6_BEHAVIOUR_IF_STAGE2_FAILS", "S6_SERVICES_GRACETIME",
    "S6_KILL_GRACETIME",     "S6_KILL_FINISH_MAXTIME",       "S6_CMD_WAIT_FOR_SERVICES",
    "S6_CMD_WAIT_FOR_SERVICES_MAXTIME", "S6_VERBOSITY",     "S6_CMD_ARG0",
    "S6_CMD_RECEIVE_SIGNALS", "S6_SYNC_DISKS",           "S6_STAGE2_HOOK",
};

// Split on blanks, as s6-overlay's rc.init does with an unquoted $VAR.
std::vector<std::string> blank_separated(const std::string& value) {
    std::vector<std::string> words;
    std::string word;
    for (char c : value + " ") {
        if (c == ' ' || c == '\t' || c == '\n') {
            if (!word.empty()) words.push_back(std::move(word));
            word.clear();
        } else {
            word += c;
        }
    }
    return words;
}

}  // namespace

S6Mapping map_s6_variables(const config::EnvironmentVariables& variables) {
    S6Mapping out;
    auto get = [&](std::string_view name) -> std::optional<std::string> {
        auto it = variables.find(name);
        if (it == variables.end() || it->second.empty()) return std::nullopt;
        return it->second;
    };
    auto twin_set = [&](std::string_view tend_name) { return get(tend_name).has_value(); };
    // S6_NAME=value -> TEND_NAME=mapped, unless the twin is set.
    auto map_to = [&](std::string_view s6_name, const std::string& value, std::string_view tend_name,
                      const std::string& mapped) {
        if (twin_set(tend_name)) {
            out.debug_notes.push_back(std::string(s6_name) + "=" + value + " ignored: " + std::string(tend_name) +
                                      " is set");
            return;
        }
        out.tend_variables[std::string(tend_name)] = mapped;
        out.sources[std::string(tend_name)] = std::string(s6_name) + "=" + value;
        out.debug_notes.push_back(std::string(s6_name) + "=" + value + " -> " + std::string(tend_name) + "=" + mapped);
    };
    auto bad = [&](std::string_view name, const std::string& value, std::string_view expected) {
        out.warnings.push_back(std::string(name) + "=" + value + ": not " + std::string(expected) + ", ignored");
    };
    auto flag_of = [&](std::string_view name) -> std::optional<bool> {
        auto value = get(name);
        if (!value) return std::nullopt;
        if (!is_number(*value)) {
            bad(name, *value, "a number");
            return std::nullopt;
        }
        return number(*value) != 0;
    };

    if (auto keep = flag_of("S6_KEEP_ENV"); keep && *keep) {
        out.keep_env = true;
        out.debug_notes.push_back("S6_KEEP_ENV=" + *get("S6_KEEP_ENV") + " -> every service keeps the environment");
    }

    // 0 (s6-overlay's default) and 1 go on after a failure, 2 stops.
    long behaviour = 0;
    if (auto value = get("S6_BEHAVIOUR_IF_STAGE2_FAILS")) {
        if (is_number(*value))
            behaviour = number(*value);
        else
            bad("S6_BEHAVIOUR_IF_STAGE2_FAILS", *value, "0, 1 or 2");
    }
    map_to("S6_BEHAVIOUR_IF_STAGE2_FAILS", get("S6_BEHAVIOUR_IF_STAGE2_FAILS").value_or("(unset, 0)"),
           "TEND_ON_INIT_FAILURE", behaviour >= 2 ? "stop" : "continue");
    out.start_cmd_after_ready_timeout = behaviour < 2;

    struct DurationMapping {
        std::string_view s6;
        std::string_view tend;
        bool zero_allowed;
    };
    for (const DurationMapping& m : {DurationMapping{"S6_SERVICES_GRACETIME", "TEND_SERVICES_GRACE", true},
                                     DurationMapping{"S6_KILL_GRACETIME", "TEND_KILL_GRACE", true},
                                     DurationMapping{"S6_KILL_FINISH_MAXTIME", "TEND_FINISH_TIMEOUT", true},
                                     DurationMapping{"S6_CMD_WAIT_FOR_SERVICES_MAXTIME", "TEND_READY_TIMEOUT", false}}) {
        auto value = get(m.s6);
        if (!value) continue;
        if (!is_number(*value) || !config::parse_duration(*value)) {
            bad(m.s6, *value, "a number of milliseconds (at most 24 h)");
            continue;
        }
        if (!m.zero_allowed && number(*value) == 0) {
            out.debug_notes.push_back(std::string(m.s6) + "=0 -> no time limit");
            continue;
        }
        map_to(m.s6, *value, m.tend, *value);
    }

    if (auto wait = flag_of("S6_CMD_WAIT_FOR_SERVICES"))
        map_to("S6_CMD_WAIT_FOR_SERVICES", *get("S6_CMD_WAIT_FOR_SERVICES"), "TEND_WAIT_READY", *wait ? "1" : "0");
    if (auto forward = flag_of("S6_CMD_RECEIVE_SIGNALS"))
        map_to("S6_CMD_RECEIVE_SIGNALS", *get("S6_CMD_RECEIVE_SIGNALS"), "TEND_FORWARD_SIGNALS", *forward ? "1" : "0");

    if (auto value = get("S6_VERBOSITY")) {
        if (!is_number(*value))
            bad("S6_VERBOSITY", *value, "a number (0..5)");
        else  // s6-overlay goes to 5; tend's 4 (trace) is its most.
            map_to("S6_VERBOSITY", *value, "TEND_VERBOSITY", std::to_string(std::min<long>(number(*value), 4)));
    }

    if (auto value = get("S6_CMD_ARG0")) {
        out.cmd_arg0 = blank_separated(*value);
        out.debug_notes.push_back("S6_CMD_ARG0=" + *value + " -> prepended to the CMD");
    }

    if (auto value = get("S6_STAGE2_HOOK")) {
        out.stage2_hook = blank_separated(*value);
        out.debug_notes.push_back("S6_STAGE2_HOOK=" + *value + " -> run before cont-init and the service trees are read");
    }

    if (auto sync = flag_of("S6_SYNC_DISKS"); sync && *sync) {
        out.sync_disks = true;
        out.debug_notes.push_back("S6_SYNC_DISKS=" + *get("S6_SYNC_DISKS") + " -> sync() before exit");
    }

    std::string unsupported;
    for (const auto& [name, value] : variables) {
        if (!name.starts_with("S6_") || value.empty()) continue;
        if (std::find(kKnown.begin(), kKnown.end(), name) != kKnown.end()) continue;
        unsupported += (unsupported.empty() ? "" : ", ") + name;
    }
    if (!unsupported.empty()) out.warnings.push_back("s6-overlay settings tend does not support, ignored: " + unsupported);
    return out;
}

}  // namespace tend::s6
