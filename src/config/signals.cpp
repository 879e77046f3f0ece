// Signal names for `down-signal` and `tend ctl signal`.
//
// A fixed table rather than sigabbrev_np(): the names accepted must not
// depend on the libc a static binary happens to be linked with.
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tend/config/service_config.hpp"

namespace tend::config {
namespace {

struct SignalName {
    std::string_view name;  // without "SIG"
    int number;
};

// The first entry for a number is its canonical name (signal_name);
// aliases follow.
constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},     {"BUS", SIGBUS},       {"FPE", SIGFPE},
    {"KILL", SIGKILL},     {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},     {"TERM", SIGTERM},     {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD},     {"CONT", SIGCONT},     {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},     {"URG", SIGURG},       {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},     {"WINCH", SIGWINCH},
    {"IO", SIGIO},         {"PWR", SIGPWR},       {"SYS", SIGSYS},
    // Aliases.
    {"IOT", SIGABRT},      {"POLL", SIGIO},       {"CLD", SIGCHLD},
};

constexpr int kHighestSignalNumber = 64;

char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_upper(a[i]) != to_upper(b[i])) return false;
    }
    return true;
}

std::optional<int> parse_signal_number(std::string_view text) {
    if (text.empty() || text.size() > 2) return std::nullopt;  // 1..64: at most two digits
    int value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    if (value < 1 || value > kHighestSignalNumber) return std::nullopt;
    return value;
}

}  // namespace

std::optional<int> parse_signal(std::string_view text) {
    if (auto number = parse_signal_number(text)) return number;
    std::string_view name = text;
    if (name.size() > 3 && equal_ignoring_case(name.substr(0, 3), "SIG")) {
        name.remove_prefix(3);
        // "SIG40" is what signal_name() prints for unnamed signals; read it back.
        if (auto number = parse_signal_number(name)) return number;
    }
    for (const auto& entry : kSignals) {
        if (equal_ignoring_case(name, entry.name)) return entry.number;
    }
    return std::nullopt;
}

std::string signal_name(int signo) {
    for (const auto& entry : kSignals) {
        if (entry.number == signo) return "SIG" + std::string(entry.name);
    }
    return "SIG" + std::to_string(signo);
}

}  // namespace tend::config
