// halt and s6-svscanctl -t: through the control socket, else a queued signal
// (s6/halt.hpp: the signal and the exit code files tend reads).
#include "tend/applets/halt.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "tend/applets/applets.hpp"
#include "tend/config/file_reader.hpp"
#include "tend/control/client.hpp"
#include "tend/s6/halt.hpp"
#include "tend/applets/s6_options.hpp"

namespace tend::applets {
namespace {

// Files are read with read_small_file, not std::ifstream: streams pull
// std::locale and all its facets into the static binary (bench/README.md,
// binary size).
constexpr std::size_t kMaxReadBytes = 1 << 20;

std::optional<pid_t> parent_of(pid_t pid) {
    auto text = config::read_small_file("/proc/" + std::to_string(pid) + "/stat", kMaxReadBytes);
    if (!text) return std::nullopt;
    // "PID (COMM) STATE PPID ...": COMM may hold anything, so start after the last ')'.
    auto close = text->rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::string_view rest = std::string_view(*text).substr(close + 1);
    auto skip_blanks = [&rest] {
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n')) rest.remove_prefix(1);
    };
    skip_blanks();
    auto state_end = rest.find_first_of(" \n");
    if (rest.empty() || state_end == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(state_end);
    skip_blanks();
    long ppid = 0;
    auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), ppid);
    if (error != std::errc{} || end == rest.data()) return std::nullopt;
    return static_cast<pid_t>(ppid);
}

constexpr std::chrono::milliseconds kHaltReplyTimeout{5000};

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

}  // namespace

std::expected<std::optional<int>, std::string> parse_halt_args(const std::vector<std::string>& args) {
    if (args.empty()) return std::optional<int>{};
    if (args.size() > 1) return std::unexpected("too many arguments");
    auto code = s6::parse_exit_code(args[0]);
    if (!code || args[0].find('\n') != std::string::npos) return std::unexpected("exit code must be 0 to 255, not '" + args[0] + "'");
    return code;
}

std::expected<bool, std::string> parse_svscanctl_args(const std::vector<std::string>& args) {
    // Each letter is a command; only -t (terminate) has a meaning here.
    bool terminate = false;
    auto first = parse_s6_flags(args, [&](char letter) -> std::string {
        if (letter == 't') {
            terminate = true;
            return {};
        }
        return std::string("fatal: only -t (halt the container) is supported under tend, not -") + letter;
    });
    if (!first) return std::unexpected(first.error());
    const std::size_t i = *first;
    if (i == args.size()) return std::unexpected("usage: s6-svscanctl [ -t ] DIR");
    return terminate;
}

std::optional<std::expected<void, std::string>> halt_through_control(std::optional<int> code) {
    // Without a code, s6-overlay's halt takes the exit code files' code;
    // control's `halt` alone would mean 0, so the applet reads them here.
    if (!code) code = s6::exit_code_from_files();
    std::vector<std::string> words{"halt"};
    if (code) words.push_back(std::to_string(*code));
    auto reply = control::request(words, std::nullopt, kHaltReplyTimeout);
    // Unreachable, or a peer control does not accept: the signal path
    // applies the same uid rule and says so in its own words.
    if (!reply || reply->code == control::kDenied) return std::nullopt;
    if (reply->code == control::kDone) return std::expected<void, std::string>{};
    std::string message = reply->body;
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return std::unexpected(message);
}

std::expected<pid_t, std::string> find_tend() {
    struct stat self {};
    if (::stat("/proc/self/exe", &self) != 0)
        return std::unexpected(std::string("cannot read /proc/self/exe: ") + std::strerror(errno));
    pid_t pid = ::getppid();
    for (int depth = 0; pid > 0 && depth < 64; ++depth) {
        struct stat candidate {};
        if (::stat(("/proc/" + std::to_string(pid) + "/exe").c_str(), &candidate) == 0 && same_file(self, candidate))
            return pid;
        if (pid == 1) break;
        auto parent = parent_of(pid);
        if (!parent) break;
        pid = *parent;
    }
    if (::getuid() != 0)
        return std::unexpected("only root and tend's own uid can halt the container, and uid " +
                               std::to_string(::getuid()) + " found no tend it may signal among its ancestors");
    return std::unexpected(
        "no tend found among this process's ancestors (PID 1 is another program, or this link does not point "
        "at the same tend binary as PID 1)");
}

int halt_main(Applet applet, int argc, char** argv) {
    const char* name = applet == Applet::Halt ? "halt" : "s6-svscanctl";
    std::vector<std::string> args(argv + 1, argv + argc);
    std::optional<int> code;
    if (applet == Applet::SvscanCtl) {
        auto terminate = parse_svscanctl_args(args);
        if (!terminate) {
            std::fprintf(stderr, "s6-svscanctl: %s\n", terminate.error().c_str());
            return 100;
        }
        if (!*terminate) return 0;  // no command letter: s6-svscanctl sends nothing
    } else {
        auto parsed = parse_halt_args(args);
        if (!parsed) {
            std::fprintf(stderr, "halt: usage: halt [CODE]: %s\n", parsed.error().c_str());
            return 100;
        }
        code = *parsed;
    }
    if (auto answered = halt_through_control(code)) {
        if (*answered) return 0;
        // A finish script's `s6-svscanctl -t` also runs while tend stops its
        // services: without a code there is nothing left to ask for.
        if (!code && answered->error().starts_with("tend is already shutting down")) return 0;
        std::fprintf(stderr, "%s: fatal: %s\n", name, answered->error().c_str());
        return 1;
    }
    auto tend_pid = find_tend();
    if (!tend_pid) {
        std::fprintf(stderr, "%s: fatal: cannot halt: %s\n", name, tend_pid.error().c_str());
        return 111;
    }
    union sigval value {};
    value.sival_int = code.value_or(s6::kNoHaltCode);
    if (::sigqueue(*tend_pid, s6::halt_signal(), value) != 0) {
        std::fprintf(stderr, "%s: fatal: cannot signal tend (pid %d): %s\n", name, static_cast<int>(*tend_pid),
                     std::strerror(errno));
        return 111;
    }
    return 0;
}

}  // namespace tend::applets
