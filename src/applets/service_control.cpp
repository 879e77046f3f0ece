// s6-svc, s6-svwait and s6-svok: requests on tend's control socket.
#include "tend/applets/service_control.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "tend/applets/applets.hpp"
#include "tend/applets/s6_options.hpp"
#include "tend/control/client.hpp"

namespace tend::applets {
namespace {

using Millis = std::chrono::milliseconds;

// One action or wait must answer within this; waits add their own timeout.
constexpr Millis kReplyMargin{5000};
// The longest wait control accepts at once; "no limit" asks again after it.
constexpr Millis kLongestWait{86'400'000};

std::optional<std::string_view> signal_for(char option) {
    switch (option) {
        case 'a': return "ALRM";
        case 'b': return "ABRT";
        case 'q': return "QUIT";
        case 'h': return "HUP";
        case 'k': return "KILL";
        case 't': return "TERM";
        case 'i': return "INT";
        case '1': return "USR1";
        case '2': return "USR2";
        case 'p': return "STOP";
        case 'c': return "CONT";
        case 'y': return "WINCH";
        default: return std::nullopt;
    }
}

std::expected<Millis, std::string> parse_ms(std::string_view option, const std::string& value) {
    if (value.empty() || value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos)
        return std::unexpected(std::string(option) + " needs a number of milliseconds, not '" + value + "'");
    return Millis(std::stoll(value));
}

std::expected<WaitFor, std::string> parse_wait(char letter) {
    switch (letter) {
        case 'u': return WaitFor::Up;
        case 'U': return WaitFor::Ready;
        case 'd': return WaitFor::Down;
        case 'D': return WaitFor::Finished;
        default:
            return std::unexpected(std::string("-w") + letter +
                                   " is not supported under tend (use -wu, -wU, -wd or -wD)");
    }
}

std::expected<std::vector<std::string>, std::string> service_names(const std::vector<std::string>& args,
                                                                   std::size_t first,
                                                                   const std::filesystem::path& cwd) {
    if (first >= args.size()) return std::unexpected(std::string("no service given"));
    std::vector<std::string> names;
    for (std::size_t i = first; i < args.size(); ++i) {
        std::string name = service_name_for(args[i], cwd);
        if (name.empty()) return std::unexpected("'" + args[i] + "' names no service");
        names.push_back(std::move(name));
    }
    return names;
}

// The end both parsers share: the options parsed (or why not), then the
// service names from the words after them.
std::expected<ServiceCommandPlan, std::string> with_services(ServiceCommandPlan plan,
                                                             const std::expected<std::size_t, std::string>& first,
                                                             const std::vector<std::string>& args,
                                                             const std::filesystem::path& cwd) {
    if (!first) return std::unexpected(first.error());
    auto names = service_names(args, *first, cwd);
    if (!names) return std::unexpected(names.error());
    plan.services = std::move(*names);
    return plan;
}

std::string trimmed(std::string text) {
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
}

// Sends one request; on anything but "done" prints why and gives the exit code.
std::optional<int> send(const char* applet, std::vector<std::string> words, Millis timeout) {
    auto reply = control::request(words, std::nullopt, timeout);
    if (!reply) {
        std::fprintf(stderr, "%s: fatal: cannot reach tend's control socket: %s\n", applet,
                     reply.error().message.c_str());
        return 111;
    }
    if (reply->code == control::kDone) return std::nullopt;
    std::fprintf(stderr, "%s: fatal: %s\n", applet, trimmed(reply->body).c_str());
    return reply->code == control::kUsage ? 100 : 111;
}

// Waits for every service; timeout 0 waits without limit.
int wait_for(const char* applet, WaitFor wait, Millis timeout, const std::vector<std::string>& names) {
    for (;;) {
        Millis chunk = timeout.count() == 0 ? kLongestWait : timeout;
        std::vector<std::string> words{std::string(wait_command(wait))};
        words.insert(words.end(), names.begin(), names.end());
        if (wait == WaitFor::Finished) words.push_back("--finished");
        words.push_back("--timeout");
        words.push_back(std::to_string(chunk.count()));
        auto reply = control::request(words, std::nullopt, chunk + kReplyMargin);
        if (!reply) {
            std::fprintf(stderr, "%s: fatal: cannot reach tend's control socket: %s\n", applet,
                         reply.error().message.c_str());
            return 111;
        }
        if (reply->code == control::kDone) return 0;
        bool timed_out = reply->code == control::kRefused && reply->body.starts_with("timed out");
        if (timed_out && timeout.count() == 0) continue;
        std::fprintf(stderr, "%s: fatal: %s\n", applet, trimmed(reply->body).c_str());
        if (timed_out) return 1;
        return reply->code == control::kUsage ? 100 : 111;
    }
}

int run_plan(const char* applet, const ServiceCommandPlan& plan) {
    for (const auto& service : plan.services) {
        for (const auto& action : plan.actions) {
            std::vector<std::string> words = action;
            words.insert(words.begin() + 1, service);
            if (auto failed = send(applet, std::move(words), kReplyMargin)) return *failed;
        }
    }
    if (plan.wait == WaitFor::Nothing) return 0;
    return wait_for(applet, plan.wait, plan.timeout, plan.services);
}

int svok_main(const std::vector<std::string>& args, const std::filesystem::path& cwd) {
    if (args.size() != 1 || args[0].starts_with('-')) {
        std::fputs("s6-svok: usage: s6-svok SERVICE\n", stderr);
        return 100;
    }
    std::string name = service_name_for(args[0], cwd);
    auto reply = control::request({"status", name, "--json"}, std::nullopt, kReplyMargin);
    if (!reply) {
        std::fprintf(stderr, "s6-svok: fatal: cannot reach tend's control socket: %s\n", reply.error().message.c_str());
        return 111;
    }
    if (reply->code != control::kDone) return 1;  // no such service
    // A refused service is known but never supervised.
    return reply->body.find("\"refusal\":null") != std::string::npos ? 0 : 1;
}

std::filesystem::path current_dir() {
    std::error_code error;
    auto cwd = std::filesystem::current_path(error);
    return error ? std::filesystem::path("/") : cwd;
}

}  // namespace

std::string service_name_for(std::string_view argument, const std::filesystem::path& cwd) {
    std::string text(argument);
    if (text != "." && text != ".." && text.find('/') == std::string::npos) return text;
    std::filesystem::path path = std::filesystem::path(text).is_absolute() ? std::filesystem::path(text) : cwd / text;
    path = path.lexically_normal();
    if (path.filename().empty()) path = path.parent_path();  // "dir/" normalises to "dir/"
    std::string name = path.filename().string();
    // NAME/log is NAME's logger, which tend supervises as NAME-log; a service
    // named `log` right in a scan dir is itself.
    const std::string parent = path.parent_path().filename().string();
    constexpr std::string_view kScanDirs[] = {"service", "services", "services.d", "legacy-services", ""};
    if (name == "log" && std::ranges::find(kScanDirs, std::string_view(parent)) == std::end(kScanDirs))
        return parent + "-log";
    return name;
}

std::string_view wait_command(WaitFor wait) {
    switch (wait) {
        case WaitFor::Up: return "wait-up";
        case WaitFor::Ready: return "wait-ready";
        case WaitFor::Down:
        case WaitFor::Finished: return "wait-down";
        case WaitFor::Nothing: break;
    }
    return "";
}

std::expected<ServiceCommandPlan, std::string> parse_svc(const std::vector<std::string>& args,
                                                         const std::filesystem::path& cwd) {
    ServiceCommandPlan plan;
    auto first = parse_s6_options(
        args, "Tw",
        [&](char option) -> std::string {
            if (option == 'u') plan.actions.push_back({"start"});
            else if (option == 'd') plan.actions.push_back({"stop"});
            else if (option == 'r') plan.actions.push_back({"restart"});
            else if (auto signal = signal_for(option)) plan.actions.push_back({"signal", std::string(*signal)});
            else if (option == 'O') plan.actions.push_back({"once"});
            else if (option == 'o') plan.actions.insert(plan.actions.end(), {{"start"}, {"once"}});
            else if (std::string_view("xXD").find(option) != std::string_view::npos)
                return std::string("-") + option + " is not supported under tend (tend supervises every service itself)";
            else return std::string("unknown option -") + option;
            return {};
        },
        [&](char option, const std::string& value) -> std::string {
            if (option == 'T') {
                auto ms = parse_ms("-T", value);
                if (!ms) return ms.error();
                plan.timeout = *ms;
                return {};
            }
            if (value.size() != 1) return "-w needs one of u, U, d, D, not '" + value + "'";
            auto wait = parse_wait(value[0]);
            if (!wait) return wait.error();
            plan.wait = *wait;
            return {};
        });
    return with_services(std::move(plan), first, args, cwd);
}

std::expected<ServiceCommandPlan, std::string> parse_s6rc(const std::vector<std::string>& args) {
    ServiceCommandPlan plan;
    bool direction = false;
    auto first = parse_s6_options(
        args, "tvl",
        [&](char option) -> std::string {
            if (option == 'u' || option == 'd') {
                plan.actions = {{option == 'u' ? "start" : "stop"}};
                plan.wait = option == 'u' ? WaitFor::Ready : WaitFor::Down;
                direction = true;
                return {};
            }
            if (std::string_view("DpanbE").find(option) != std::string_view::npos)
                return std::string("-") + option + " is not supported under tend (use -u or -d with change)";
            return std::string("unknown option -") + option;
        },
        [&](char option, const std::string& value) -> std::string {
            if (option == 'v') return {};  // verbosity: tend's messages are its own
            if (option == 'l') return "-l is not supported under tend (there is no s6-rc live directory)";
            auto ms = parse_ms("-t", value);
            if (!ms) return ms.error();
            plan.timeout = *ms;
            return {};
        });
    if (!first) return std::unexpected(first.error());
    if (*first >= args.size()) return std::unexpected(std::string("no subcommand given"));
    if (args[*first] != "change")
        return std::unexpected("the subcommand '" + args[*first] +
                               "' is not supported under tend (only change, with the services tend supervises)");
    if (!direction) return std::unexpected(std::string("change needs -u or -d"));
    auto names = service_names(args, *first + 1, std::filesystem::path("/"));
    if (!names) return std::unexpected(names.error());
    plan.services = std::move(*names);
    return plan;
}

std::expected<ServiceCommandPlan, std::string> parse_svwait(const std::vector<std::string>& args,
                                                            const std::filesystem::path& cwd) {
    ServiceCommandPlan plan;
    plan.wait = WaitFor::Up;
    auto first = parse_s6_options(
        args, "t",
        [&](char option) -> std::string {
            if (option == 'a') return {};
            if (std::string_view("uUdD").find(option) != std::string_view::npos) {
                plan.wait = *parse_wait(option);
                return {};
            }
            if (std::string_view("orR").find(option) != std::string_view::npos)
                return std::string("-") + option + " is not supported under tend (use -u, -U, -d, -D, -a)";
            return std::string("unknown option -") + option;
        },
        [&](char, const std::string& value) -> std::string {
            auto ms = parse_ms("-t", value);
            if (!ms) return ms.error();
            plan.timeout = *ms;
            return {};
        });
    return with_services(std::move(plan), first, args, cwd);
}

int service_control_main(Applet applet, int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::filesystem::path cwd = current_dir();
    if (applet == Applet::Svok) return svok_main(args, cwd);
    if (applet == Applet::S6Rc) {
        auto plan = parse_s6rc(args);
        if (!plan) {
            std::fprintf(stderr, "s6-rc: usage: s6-rc [-t MS] -u|-d change SERVICE...: %s\n", plan.error().c_str());
            return 100;
        }
        return run_plan("s6-rc", *plan);
    }
    const bool svc = applet == Applet::Svc;
    const char* name = svc ? "s6-svc" : "s6-svwait";
    auto plan = svc ? parse_svc(args, cwd) : parse_svwait(args, cwd);
    if (!plan) {
        std::fprintf(stderr, "%s: usage: %s: %s\n", name,
                     svc ? "s6-svc [-T MS] [-u|-d|-r|-k|-t|-h|-i|-q|-1|-2 ...] [-wu|-wU|-wd|-wD] SERVICE..."
                         : "s6-svwait [-u|-U|-d|-D] [-a] [-t MS] SERVICE...",
                     plan.error().c_str());
        return 100;
    }
    return run_plan(name, *plan);
}

}  // namespace tend::applets
