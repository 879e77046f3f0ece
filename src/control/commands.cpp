#include "tend/control/commands.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "tend/config/service_config.hpp"

namespace tend::control {
namespace {

constexpr std::string_view kUsageText =
    "usage: tend ctl status [NAME...] [--json]\n"
    "       tend ctl start|stop|restart NAME...\n"
    "       tend ctl signal NAME SIG\n"
    "       tend ctl halt [CODE]\n"
    "       tend ctl wait-ready [NAME...] [--timeout MS]\n"
    "       tend ctl wait-up NAME... [--timeout MS]\n"
    "       tend ctl wait-down NAME... [--finished] [--timeout MS]\n"
    "       tend ctl log-level 0..4\n"
    "       tend health\n";

Reply usage(const std::string& message) { return {ReplyCode::kUsage, message + "\n" + std::string(kUsageText)}; }

std::optional<long long> parse_integer(std::string_view text) {
    long long value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20)
                    out += fmt::format("\\u{:04x}", c);
                else
                    out += ch;
        }
    }
    return out + "\"";
}

std::string optional_ms(const std::optional<Millis>& value) {
    return value ? std::to_string(value->count()) : std::string("null");
}

std::string optional_number(const std::optional<std::int64_t>& value) {
    return value ? std::to_string(*value) : std::string("null");
}

std::string optional_text(const std::optional<std::string>& value) {
    return value ? json_string(*value) : std::string("null");
}

std::string json_schedule(const std::optional<ScheduleView>& view) {
    if (!view) return "null";
    return fmt::format(
        "{{\"schedule\":{},\"armed\":{},\"next_run\":{},\"next_run_unix_ms\":{},\"last_start\":{},"
        "\"last_start_unix_ms\":{},\"last_duration_ms\":{},\"runs\":{},\"skipped\":{}}}",
        json_string(view->schedule), view->armed ? "true" : "false", optional_text(view->next_run),
        optional_number(view->next_run_unix_ms), optional_text(view->last_start),
        optional_number(view->last_start_unix_ms), optional_ms(view->last_duration), view->runs, view->skipped);
}

std::string json_confinement(const std::optional<ConfinementView>& view) {
    if (!view) return "null";
    std::string unenforced = "[";
    for (const auto& what : view->unenforced) unenforced += (unenforced.size() > 1 ? "," : "") + json_string(what);
    unenforced += "]";
    return fmt::format("{{\"landlock_abi\":{},\"rules\":{},\"enforced\":{},\"unenforced\":{}}}", view->abi,
                       json_string(view->rules), view->unenforced.empty() ? "true" : "false", unenforced);
}

std::string json_service(const ServiceStatus& s) {
    return fmt::format(
        "{{\"name\":{},\"state\":{},\"pid\":{},\"uptime_ms\":{},\"restarts\":{},\"ready\":{},\"last_exit\":{},"
        "\"restart_in_ms\":{},\"primary\":{},\"stopped\":{},\"refusal\":{},\"schedule\":{},\"confinement\":{}}}",
        json_string(s.name), json_string(s.state), s.pid > 0 ? std::to_string(s.pid) : "null", optional_ms(s.uptime),
        s.restarts, s.ready ? "true" : "false", s.last_exit ? json_string(*s.last_exit) : "null",
        optional_ms(s.restart_in), s.primary ? "true" : "false", s.stopped ? "true" : "false",
        s.refusal.empty() ? "null" : json_string(s.refusal), json_schedule(s.schedule),
        json_confinement(s.confinement));
}

// The state column: what a person needs to know at a glance.
std::string state_text(const ServiceStatus& s) {
    if (!s.refusal.empty()) return "refused";
    if (s.stopped && s.state == "down") return "stopped";
    return s.state;
}

// Columns padded to their widest cell, two blanks apart.
std::string aligned(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
        }
        while (line.ends_with(' ')) line.pop_back();
        out += line + "\n";
    }
    return out;
}

// The services, then (when any is shown) the scheduled ones' timetable:
//   JOB   SCHEDULE     LAST RUN                 DURATION  LAST EXIT  NEXT RUN                 RUNS  SKIPPED
std::string table(const std::vector<ServiceStatus>& services) {
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "READY", "LAST EXIT"});
    std::vector<std::vector<std::string>> jobs;
    jobs.push_back({"JOB", "SCHEDULE", "LAST RUN", "DURATION", "LAST EXIT", "NEXT RUN", "RUNS", "SKIPPED"});
    std::vector<std::vector<std::string>> confined;
    confined.push_back({"CONFINED", "LANDLOCK", "RULES", "ENFORCED"});
    for (const auto& s : services) {
        std::string last = s.last_exit.value_or("-");
        if (!s.refusal.empty()) last = s.refusal;
        else if (s.restart_in) last += ", restart in " + human_duration(*s.restart_in);
        rows.push_back({s.name, state_text(s), s.pid > 0 ? std::to_string(s.pid) : "-",
                        s.uptime ? human_duration(*s.uptime) : "-", std::to_string(s.restarts),
                        s.ready ? "yes" : "no", last});
        if (s.confinement) {
            const ConfinementView& view = *s.confinement;
            std::string enforced = "yes";
            if (!view.unenforced.empty()) {
                enforced = "degraded: not ";
                for (std::size_t i = 0; i < view.unenforced.size(); ++i)
                    enforced += (i ? ", " : "") + view.unenforced[i];
            }
            confined.push_back({s.name, view.abi > 0 ? "ABI " + std::to_string(view.abi) : "none", view.rules,
                                enforced});
        }
        if (!s.schedule) continue;
        const ScheduleView& job = *s.schedule;
        std::string next = job.next_run.value_or("-");
        if (!job.armed) next = s.stopped ? "disarmed (tend ctl stop)" : "disarmed";
        jobs.push_back({s.name, job.schedule, job.last_start.value_or("-"),
                        job.last_duration ? human_duration(*job.last_duration) : "-", s.last_exit.value_or("-"), next,
                        std::to_string(job.runs), std::to_string(job.skipped)});
    }
    std::string out = aligned(rows);
    if (jobs.size() > 1) out += "\n" + aligned(jobs);
    if (confined.size() > 1) out += "\n" + aligned(confined);
    return out;
}

const ServiceStatus* find(const std::vector<ServiceStatus>& services, const std::string& name) {
    auto it = std::find_if(services.begin(), services.end(), [&](const ServiceStatus& s) { return s.name == name; });
    return it == services.end() ? nullptr : &*it;
}

// Up and ready: running and ready, or for a scheduled service, armed (it is
// healthy between runs and whatever its last run did: a failed job is logged
// and shown in `status`, it never makes the container unhealthy).
bool up_and_ready(const ServiceStatus& s) {
    if (s.schedule) return s.schedule->armed;
    return s.state == "running" && s.ready;
}

// Should this service be up and ready now? Refused and stopped ones should
// (a healthcheck must see them); a `down` one, or one held back by it, and
// one that ended on its own with success (restart on-failure/never) should not.
bool expected_up(const ServiceStatus& s) {
    if (!s.refusal.empty() || s.stopped) return true;
    if (s.schedule) return !s.held_down || s.schedule->armed;
    if (s.held_down && (s.state == "down" || s.state == "waiting")) return false;
    if (s.state == "down" && s.last_exit && !s.last_exit_failed) return false;
    return true;
}

std::optional<std::string> problem(const ServiceStatus& s) {
    if (!expected_up(s)) return std::nullopt;
    if (!s.refusal.empty()) return s.name + ": refused: " + s.refusal;
    if (s.schedule) {
        if (s.schedule->armed) return std::nullopt;
        return s.name + (s.stopped ? ": disarmed (tend ctl stop)" : ": scheduled, not armed");
    }
    if (s.stopped) return s.name + ": stopped (tend ctl stop)";
    if (up_and_ready(s)) return std::nullopt;
    if (s.state == "running") return s.name + ": running, not ready yet";
    std::string line = s.name + ": " + s.state;
    if (s.last_exit) line += ", " + *s.last_exit;
    if (s.restart_in) line += ", restart in " + human_duration(*s.restart_in);
    return line;
}


// wait-up and wait-down (s6-svc -wu/-wd, s6-svwait): a state, not readiness.
bool is_state_wait(std::string_view command) { return command == "wait-up" || command == "wait-down"; }

// Up: the main process runs (s6's "up", readiness aside).
bool is_up(const ServiceStatus& s) { return s.state == "running"; }

// Down (s6's d): the main process has exited; with `finished` (s6's D) the
// rest of its group and its finish are gone too. A refused service never
// runs, so it is down.
bool is_down(const ServiceStatus& s, bool finished) {
    if (!s.refusal.empty() || s.state == "down" || s.state == "waiting" || s.state == "backoff" ||
        s.state == "scheduled")
        return true;
    return !finished && (s.state == "draining" || s.state == "finishing");
}

}  // namespace

std::expected<WaitReadyArgs, std::string> parse_wait_ready(const std::vector<std::string>& args) {
    WaitReadyArgs parsed;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        std::optional<std::string> value;
        if (arg == "--finished") {
            parsed.finished = true;
            continue;
        }
        if (arg == "--timeout") {
            if (i + 1 >= args.size()) return std::unexpected(std::string("--timeout needs a value in milliseconds"));
            value = args[++i];
        } else if (arg.starts_with("--timeout=")) {
            value = arg.substr(10);
        } else if (arg.starts_with("-")) {
            return std::unexpected("unknown option '" + arg + "'");
        } else {
            parsed.names.push_back(arg);
            continue;
        }
        auto ms = parse_integer(*value);
        if (!ms || *ms < 0 || *ms > 86'400'000)
            return std::unexpected("--timeout: '" + *value + "' is not a number of milliseconds (0 to 86400000)");
        parsed.timeout = Millis(*ms);
    }
    return parsed;
}

std::vector<std::string> CommandHandler::health_problems() const {
    std::vector<std::string> problems;
    if (auto reason = target_.not_running_reason()) problems.push_back(*reason);
    for (const auto& s : target_.services())
        if (auto line = problem(s)) problems.push_back(*line);
    return problems;
}

Outcome CommandHandler::handle(const Request& request, uid_t peer_uid) {
    const std::string& command = request.words.front();
    std::vector<std::string> args(request.words.begin() + 1, request.words.end());
    if (command == "status") return {status(args)};
    if (command == "start" || command == "stop" || command == "restart") return {act(request.words)};
    if (command == "signal") return {signal(args)};
    if (command == "halt") return {halt(args, peer_uid)};
    if (command == "log-level") return {log_level(args)};
    if (command == "wait-ready" || is_state_wait(command)) return wait_ready(request);
    if (command == "health") {
        if (!args.empty()) return {usage("health takes no arguments")};
        auto problems = health_problems();
        std::string body;
        for (const auto& line : problems) body += line + "\n";
        return {Reply{problems.empty() ? kDone : kRefused, body}};
    }
    return {usage("unknown command '" + command + "'")};
}

Reply CommandHandler::status(const std::vector<std::string>& args) const {
    bool json = false;
    std::vector<std::string> names;
    for (const auto& arg : args) {
        if (arg == "--json")
            json = true;
        else if (arg.starts_with("-"))
            return usage("status: unknown option '" + arg + "'");
        else
            names.push_back(arg);
    }
    auto all = target_.services();
    std::vector<ServiceStatus> shown;
    if (names.empty()) {
        shown = all;
    } else {
        for (const auto& name : names) {
            const ServiceStatus* s = find(all, name);
            if (!s) return {kRefused, "no service named '" + name + "'\n"};
            shown.push_back(*s);
        }
    }
    if (json) {
        std::string body = "{\"services\":[";
        for (std::size_t i = 0; i < shown.size(); ++i) body += (i ? "," : "") + json_service(shown[i]);
        body += "]}\n";
        return {kDone, body};
    }
    if (shown.empty()) return {kDone, "no services\n"};
    return {kDone, table(shown)};
}

// start|stop|restart NAME...: each name is acted on; the reply has a line
// per name and fails when any of them failed.
Reply CommandHandler::act(const std::vector<std::string>& words) {
    const std::string& command = words.front();
    if (words.size() < 2) return usage(command + " needs at least one service name");
    auto all = target_.services();
    for (std::size_t i = 1; i < words.size(); ++i)
        if (!find(all, words[i])) return {kRefused, "no service named '" + words[i] + "'\n"};
    Reply reply;
    for (std::size_t i = 1; i < words.size(); ++i) {
        ActionResult result = command == "start"  ? target_.start(words[i])
                              : command == "stop" ? target_.stop(words[i])
                                                  : target_.restart(words[i]);
        if (!result.ok) reply.code = kRefused;
        if (!result.message.empty()) reply.body += result.message + "\n";
    }
    return reply;
}

Reply CommandHandler::signal(const std::vector<std::string>& args) {
    if (args.size() != 2) return usage("signal needs a service name and a signal");
    auto signo = config::parse_signal(args[1]);
    if (!signo || *signo <= 0 || *signo >= 65) return usage("signal: unknown signal '" + args[1] + "'");
    if (!find(target_.services(), args[0])) return {kRefused, "no service named '" + args[0] + "'\n"};
    ActionResult result = target_.signal(args[0], *signo);
    return {result.ok ? kDone : kRefused, result.message.empty() ? "" : result.message + "\n"};
}

Reply CommandHandler::halt(const std::vector<std::string>& args, uid_t peer_uid) {
    if (args.size() > 1) return usage("halt takes at most one exit code");
    int code = 0;
    if (args.size() == 1) {
        auto value = parse_integer(args[0]);
        if (!value || *value < 0 || *value > 255) return usage("halt: exit code '" + args[0] + "' is not 0..255");
        code = static_cast<int>(*value);
    }
    if (auto reason = target_.not_running_reason(); reason && reason->starts_with("shutting down"))
        return {kRefused, "tend is already " + *reason + "; its exit code stays\n"};
    target_.halt(code, peer_uid);
    return {kDone, fmt::format("shutting down, tend will exit with {}\n", code)};
}

Reply CommandHandler::log_level(const std::vector<std::string>& args) {
    if (args.size() != 1) return usage("log-level needs one level, 0..4");
    auto value = parse_integer(args[0]);
    if (!value || *value < 0 || *value > 4)
        return usage("log-level: '" + args[0] + "' is not 0..4 (0 errors, 1 warnings, 2 info, 3 debug, 4 trace)");
    target_.set_log_level(static_cast<int>(*value));
    return {kDone, fmt::format("log level is now {}\n", *value)};
}

std::expected<std::vector<std::string>, Reply> CommandHandler::waiting_for(const Request& request) const {
    const std::string& command = request.words.front();
    auto args = parse_wait_ready({request.words.begin() + 1, request.words.end()});
    if (!args) return std::unexpected(usage(command + ": " + args.error()));
    auto all = target_.services();
    std::vector<std::string> missing;
    if (args->finished && command != "wait-down")
        return std::unexpected(usage(command + ": --finished is for wait-down"));
    if (is_state_wait(command)) {
        if (args->names.empty()) return std::unexpected(usage(command + " needs at least one service name"));
        const bool up = command == "wait-up";
        for (const auto& name : args->names) {
            const ServiceStatus* s = find(all, name);
            if (!s) return std::unexpected(Reply{kRefused, "no service named '" + name + "'\n"});
            if (up && !s->refusal.empty())
                return std::unexpected(Reply{kRefused, name + ": refused: " + s->refusal + "\n"});
            if (up ? !is_up(*s) : !is_down(*s, args->finished)) missing.push_back(name);
        }
        return missing;
    }
    if (args->names.empty()) {
        for (const auto& s : all) {
            // Refused and stopped services will not come up by themselves.
            if (!s.refusal.empty() || s.stopped || !expected_up(s)) continue;
            if (!up_and_ready(s)) missing.push_back(s.name);
        }
        return missing;
    }
    for (const auto& name : args->names) {
        const ServiceStatus* s = find(all, name);
        if (!s) return std::unexpected(Reply{kRefused, "no service named '" + name + "'\n"});
        if (!s->refusal.empty()) return std::unexpected(Reply{kRefused, name + ": refused: " + s->refusal + "\n"});
        if (!up_and_ready(*s)) missing.push_back(name);
    }
    return missing;
}

Outcome CommandHandler::wait_ready(const Request& request) {
    auto args = parse_wait_ready({request.words.begin() + 1, request.words.end()});
    if (!args) return {usage(request.words.front() + ": " + args.error())};
    if (auto invalid = waiting_for(request); !invalid && invalid.error().code == kUsage) return {invalid.error()};
    if (auto reply = recheck(request)) return {reply};
    if (args->timeout.count() == 0) return {timed_out(request)};
    return {std::nullopt, args->timeout};
}

std::optional<Reply> CommandHandler::recheck(const Request& request) const {
    const std::string& command = request.words.front();
    if (auto reason = target_.not_running_reason()) {
        // Services are not loaded before cont-init ends: wait for them. A
        // shutdown ends a wait for up or ready; services going down is what
        // a wait-down waits for.
        if (!reason->starts_with("shutting down")) return std::nullopt;
        if (command != "wait-down") return Reply{kRefused, *reason + "\n"};
    }
    auto missing = waiting_for(request);
    if (!missing) return missing.error();
    if (missing->empty()) return Reply{kDone, command == "wait-up" ? "up\n" : command == "wait-down" ? "down\n" : "ready\n"};
    return std::nullopt;
}

Reply CommandHandler::timed_out(const Request& request) const {
    const std::string& command = request.words.front();
    if (auto reason = target_.not_running_reason(); reason && (command != "wait-down" || !reason->starts_with("shutting down")))
        return {kRefused, "timed out; " + *reason + "\n"};
    auto missing = waiting_for(request);
    if (!missing) return missing.error();
    if (is_state_wait(command)) {
        std::string body = command == "wait-up" ? "timed out; not up:" : "timed out; not down:";
        auto all = target_.services();
        for (const auto& name : *missing)
            if (const ServiceStatus* s = find(all, name)) body += "\n  " + s->name + ": " + state_text(*s);
        return {kRefused, body + "\n"};
    }
    std::string body = "timed out; not ready:";
    auto all = target_.services();
    for (const auto& name : *missing) {
        const ServiceStatus* s = find(all, name);
        auto line = s ? problem(*s) : std::nullopt;
        body += "\n  " + (line ? *line : name);
    }
    return {kRefused, body + "\n"};
}

}  // namespace tend::control
