// s6-svstat: control's status of one service, printed as s6 prints it.
#include "tend/applets/svstat.hpp"

#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdio>

#include "tend/applets/applets.hpp"
#include "tend/applets/s6_options.hpp"
#include "tend/applets/service_control.hpp"
#include "tend/config/file_reader.hpp"
#include "tend/config/service_config.hpp"
#include "tend/control/client.hpp"

namespace tend::applets {
namespace {

constexpr const char* kUsage = "s6-svstat [-uwNrpgest | -o FIELD,...] [-n] SERVICEDIR";

struct FieldName {
    std::string_view name;
    SvstatField field;
};
constexpr std::array kFields{
    FieldName{"up", SvstatField::Up},           FieldName{"wantedup", SvstatField::WantedUp},
    FieldName{"normallyup", SvstatField::NormallyUp}, FieldName{"ready", SvstatField::Ready},
    FieldName{"paused", SvstatField::Paused},   FieldName{"pid", SvstatField::Pid},
    FieldName{"pgid", SvstatField::Pgid},       FieldName{"exitcode", SvstatField::ExitCode},
    FieldName{"signal", SvstatField::Signal},   FieldName{"signum", SvstatField::Signum},
    FieldName{"updownfor", SvstatField::UpDownFor},
};

std::optional<SvstatField> letter_field(char letter) {
    switch (letter) {
        case 'u': return SvstatField::Up;
        case 'w': return SvstatField::WantedUp;
        case 'N': return SvstatField::NormallyUp;
        case 'r': return SvstatField::Ready;
        case 'p': return SvstatField::Pid;
        case 'g': return SvstatField::Pgid;
        case 'e': return SvstatField::ExitCode;
        case 's': return SvstatField::Signal;
        case 't': return SvstatField::UpDownFor;
        default: return std::nullopt;
    }
}

std::expected<void, std::string> add_field_list(std::string_view list, std::vector<SvstatField>& fields) {
    while (!list.empty()) {
        auto comma = list.find(',');
        std::string_view name = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (name.empty()) continue;
        bool known = false;
        for (const auto& entry : kFields)
            if (entry.name == name) {
                fields.push_back(entry.field);
                known = true;
            }
        if (known) continue;
        if (name == "updownsince" || name == "readysince" || name == "readyfor")
            return std::unexpected("-o " + std::string(name) +
                                   " is not supported under tend (tend keeps no timestamp of a service's last change)");
        return std::unexpected("invalid option field: " + std::string(name));
    }
    return {};
}

std::string signal_text(int signo, bool numeric) {
    return numeric ? std::to_string(signo) : config::signal_name(signo);
}

std::optional<long long> integer(const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    long long value = 0;
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (error != std::errc{} || end != text->data() + text->size()) return std::nullopt;
    return value;
}

// `T` in /proc/PID/stat's state: stopped by a signal (s6-svc -p).
bool is_paused(pid_t pid) {
    auto stat = config::read_small_file("/proc/" + std::to_string(pid) + "/stat", 4096);
    if (!stat) return false;
    auto close = stat->rfind(')');
    return close != std::string::npos && close + 2 < stat->size() && (*stat)[close + 2] == 'T';
}

}  // namespace

std::optional<std::string> json_field(std::string_view json, std::string_view key) {
    std::string needle = "\"" + std::string(key) + "\":";
    auto at = json.find(needle);
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view rest = json.substr(at + needle.size());
    if (rest.starts_with("null")) return std::nullopt;
    std::string value;
    if (rest.starts_with('"')) {
        for (std::size_t i = 1; i < rest.size(); ++i) {
            if (rest[i] == '"') return value;
            if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
            value += rest[i];
        }
        return std::nullopt;  // unterminated
    }
    auto end = rest.find_first_of(",}]");
    return std::string(rest.substr(0, end));
}

std::expected<SvstatRequest, std::string> parse_svstat(const std::vector<std::string>& args,
                                                       const std::filesystem::path& cwd) {
    SvstatRequest request;
    auto first = parse_s6_options(
        args, "o",
        [&](char letter) -> std::string {
            if (letter == 'n') {
                request.numeric_signal = true;
                return {};
            }
            if (auto field = letter_field(letter)) {
                request.fields.push_back(*field);
                return {};
            }
            return std::string("unknown option -") + letter;
        },
        [&](char, const std::string& value) -> std::string {
            auto added = add_field_list(value, request.fields);
            return added ? std::string() : added.error();
        });
    if (!first) return std::unexpected(first.error());
    if (*first >= args.size()) return std::unexpected(std::string("no service given"));
    if (*first + 1 < args.size()) return std::unexpected("one service only, not '" + args[*first + 1] + "' too");
    const std::string& argument = args[*first];
    request.service = service_name_for(argument, cwd);
    if (request.service.empty()) return std::unexpected("'" + argument + "' names no service");
    std::filesystem::path dir(argument);
    request.dir = dir.is_absolute() ? dir : cwd / dir;
    return request;
}

std::expected<SvstatState, std::string> svstat_state_from_json(std::string_view json, bool down_file) {
    auto state = json_field(json, "state");
    if (!state) return std::unexpected(std::string("tend's status has no state"));
    if (*state == "refused") {
        auto refusal = json_field(json, "refusal");
        return std::unexpected("tend does not supervise it: " + refusal.value_or("refused"));
    }
    SvstatState out;
    out.normally_up = !down_file;
    auto pid = integer(json_field(json, "pid"));
    out.up = pid && *pid > 0;
    if (out.up) out.pid = static_cast<pid_t>(*pid);
    out.ready = out.up && json_field(json, "ready") == "true";
    const bool stopped = json_field(json, "stopped") == "true";
    out.wanted_up = !stopped && !(down_file && !out.up && *state == "down");
    if (auto uptime = integer(json_field(json, "uptime_ms")); uptime && out.up) out.up_seconds = *uptime / 1000;
    auto restarts = integer(json_field(json, "restarts"));
    auto last_exit = json_field(json, "last_exit");
    out.started = out.up || last_exit.has_value() || (restarts && *restarts > 0);
    if (last_exit) {
        if (last_exit->starts_with("exited ")) {
            if (auto code = integer(last_exit->substr(7))) out.exit_code = static_cast<int>(*code);
        } else if (last_exit->starts_with("killed by ")) {
            out.signal = config::parse_signal(last_exit->substr(10));
        }
    }
    return out;
}

std::string format_svstat(const SvstatRequest& request, const SvstatState& s) {
    auto boolean = [](bool value) { return std::string(value ? "true" : "false"); };
    if (!request.fields.empty()) {
        std::string line;
        for (SvstatField field : request.fields) {
            if (!line.empty()) line += ' ';
            const bool down_after_a_run = !s.up && s.started;
            switch (field) {
                case SvstatField::Up: line += boolean(s.up); break;
                case SvstatField::WantedUp: line += boolean(s.wanted_up); break;
                case SvstatField::NormallyUp: line += boolean(s.normally_up); break;
                case SvstatField::Ready: line += boolean(s.ready); break;
                case SvstatField::Paused: line += boolean(s.up && s.paused); break;
                case SvstatField::Pid: line += s.up ? std::to_string(s.pid) : "-1"; break;
                case SvstatField::Pgid: line += s.up ? std::to_string(s.pgid > 0 ? s.pgid : s.pid) : "-1"; break;
                case SvstatField::ExitCode:
                    line += down_after_a_run && s.exit_code ? std::to_string(*s.exit_code) : "-1";
                    break;
                case SvstatField::Signal:
                    line += down_after_a_run && s.signal ? config::signal_name(*s.signal) : "NA";
                    break;
                case SvstatField::Signum:
                    line += down_after_a_run && s.signal ? std::to_string(*s.signal) : "-1";
                    break;
                case SvstatField::UpDownFor: line += s.up && s.up_seconds ? std::to_string(*s.up_seconds) : "-1"; break;
            }
        }
        return line;
    }
    std::string line;
    if (s.up) {
        line = "up (pid " + std::to_string(s.pid) + " pgid " + std::to_string(s.pgid > 0 ? s.pgid : s.pid) + ") " +
               std::to_string(s.up_seconds.value_or(0)) + " seconds";
        if (!s.normally_up) line += ", normally down";
        if (s.paused) line += ", paused";
        if (!s.wanted_up) line += ", want down";
        if (s.ready) line += ", ready";
    } else {
        line = "down (";
        if (!s.started) line += "not started yet";
        else if (s.signal) line += "signal " + signal_text(*s.signal, request.numeric_signal);
        else line += "exitcode " + std::to_string(s.exit_code.value_or(0));
        line += ")";
        if (s.normally_up) line += ", normally up";
        if (s.wanted_up) line += ", want up";
    }
    return line;
}

int svstat_main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::error_code error;
    auto cwd = std::filesystem::current_path(error);
    if (error) cwd = "/";
    auto request = parse_svstat(args, cwd);
    if (!request) {
        std::fprintf(stderr, "s6-svstat: usage: %s: %s\n", kUsage, request.error().c_str());
        return 100;
    }
    auto reply = control::request({"status", request->service, "--json"}, std::nullopt, std::chrono::milliseconds(5000));
    if (!reply) {
        std::fprintf(stderr, "s6-svstat: fatal: cannot reach tend's control socket: %s\n", reply.error().message.c_str());
        return 111;
    }
    if (reply->code != control::kDone) {
        std::string body = reply->body;
        while (!body.empty() && body.back() == '\n') body.pop_back();
        std::fprintf(stderr, "s6-svstat: fatal: unable to read status for %s: %s\n", request->service.c_str(), body.c_str());
        return 1;
    }
    std::error_code ignored;
    const bool down_file = std::filesystem::exists(request->dir / "down", ignored);
    auto state = svstat_state_from_json(reply->body, down_file);
    if (!state) {
        std::fprintf(stderr, "s6-svstat: fatal: unable to read status for %s: %s\n", request->service.c_str(),
                     state.error().c_str());
        return 1;
    }
    if (state->up) {
        state->paused = is_paused(state->pid);
        pid_t group = ::getpgid(state->pid);
        state->pgid = group > 0 ? group : state->pid;
    }
    std::printf("%s\n", format_svstat(*request, *state).c_str());
    return std::fflush(stdout) == 0 ? 0 : 111;
}

}  // namespace tend::applets
