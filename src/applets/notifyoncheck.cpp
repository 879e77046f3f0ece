// s6-notifyoncheck: fork, exec the daemon in the parent, poll in the child.
#include "tend/applets/notifyoncheck.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "tend/applets/applets.hpp"
#include "tend/s6/execline.hpp"
#include "tend/applets/s6_options.hpp"
#include "tend/config/file_reader.hpp"

namespace tend::applets {
namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

constexpr const char* kName = "s6-notifyoncheck";
constexpr const char* kUsage =
    "s6-notifyoncheck [-d] [-3 FD] [-s MS] [-T MS] [-t MS] [-w MS] [-n TRIES] [-c CHECK] PROG...";

// The checker's exit codes, as s6's (no one reads them; they tell a reader why).
constexpr int kReady = 0, kTriesUsedUp = 1, kDaemonDied = 2, kTimedOut = 3, kSystemError = 111;

std::optional<unsigned> parse_unsigned(std::string_view text) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Milliseconds until `deadline` for poll(), capped so the int cannot overflow.
int poll_timeout(std::optional<Clock::time_point> deadline) {
    if (!deadline) return -1;
    auto left = std::chrono::ceil<Millis>(*deadline - Clock::now()).count();
    if (left <= 0) return 0;
    return left > 86'400'000 ? 86'400'000 : static_cast<int>(left);
}

std::optional<Clock::time_point> sooner(std::optional<Clock::time_point> a, std::optional<Clock::time_point> b) {
    if (!a) return b;
    if (!b) return a;
    return *a < *b ? a : b;
}

// The number in ./notification-fd, as tend's own reader takes it.
std::expected<int, std::string> notification_fd_from_dir() {
    auto text = config::read_small_file("notification-fd", 64);
    if (!text) return std::unexpected("cannot read ./notification-fd (" + text.error() +
                                      "): give -3 FD, or run it from a service dir that has a notification-fd file");
    std::string_view value = *text;
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    auto fd = parse_unsigned(value);
    if (!fd || *fd > 1023) return std::unexpected("./notification-fd holds '" + std::string(value) + "', not a file descriptor number");
    return static_cast<int>(*fd);
}

enum class Waited { Deadline, DaemonDied, CheckExited };

// Waits for the daemon's death, the check's exit (when check_fd >= 0) or the deadline.
Waited wait_for(int daemon_fd, int check_fd, std::optional<Clock::time_point> deadline) {
    for (;;) {
        pollfd fds[2] = {{daemon_fd, POLLIN, 0}, {check_fd, POLLIN, 0}};
        int ready = ::poll(fds, check_fd >= 0 ? 2 : 1, poll_timeout(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return Waited::DaemonDied;  // cannot watch it any more: stop checking
        if (fds[0].revents != 0) return Waited::DaemonDied;
        if (check_fd >= 0 && fds[1].revents != 0) return Waited::CheckExited;
        if (ready == 0) return Waited::Deadline;
    }
}

void stop_check(pid_t pid, int signo) {
    ::kill(pid, signo);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

// The child's whole life: poll until ready, the tries are used up, the
// deadline passes or the daemon dies.
int poll_for_readiness(const NotifyOnCheck& options, const std::vector<std::string>& check, int notification_fd,
                       int daemon_fd) {
    std::optional<Clock::time_point> global;
    if (options.global_timeout.count() > 0) global = Clock::now() + options.global_timeout;
    std::vector<char*> argv;
    for (const auto& word : check) argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);
    Millis sleep = options.initial_sleep;
    for (unsigned attempt = 0; options.tries == 0 || attempt < options.tries; ++attempt) {
        auto nap = sooner(Clock::now() + sleep, global);
        sleep = options.waiting_time;
        if (wait_for(daemon_fd, -1, nap) == Waited::DaemonDied) return kDaemonDied;
        if (global && Clock::now() >= *global) break;
        if (check.empty()) {  // -c with an empty command line succeeds, as execlineb's empty script
            if (::write(notification_fd, "\n", 1) != 1) return kSystemError;
            return kReady;
        }
        pid_t pid = ::fork();
        if (pid < 0) {
            std::fprintf(stderr, "%s: warning: cannot fork the check: %s\n", kName, std::strerror(errno));
            continue;
        }
        if (pid == 0) {
            ::close(notification_fd);
            ::execvp(argv[0], argv.data());
            std::fprintf(stderr, "%s: warning: cannot run the check %s: %s\n", kName, argv[0], std::strerror(errno));
            ::_exit(errno == ENOENT ? 127 : 126);
        }
        int check_fd = pidfd_open(pid);
        if (check_fd < 0) {
            stop_check(pid, SIGKILL);
            return kSystemError;
        }
        std::optional<Clock::time_point> local;
        if (options.local_timeout.count() > 0) local = Clock::now() + options.local_timeout;
        Waited waited = wait_for(daemon_fd, check_fd, sooner(local, global));
        ::close(check_fd);
        if (waited == Waited::DaemonDied) {
            stop_check(pid, SIGTERM);
            return kDaemonDied;
        }
        if (waited == Waited::Deadline) {
            stop_check(pid, SIGTERM);  // this attempt failed (or the whole wait ran out, below)
            continue;
        }
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            if (::write(notification_fd, "\n", 1) != 1) return kSystemError;
            return kReady;
        }
    }
    if (global && Clock::now() >= *global) {
        std::fprintf(stderr, "%s: warning: not ready after -T %lld ms: giving up (the service runs on, not ready)\n",
                     kName, static_cast<long long>(options.global_timeout.count()));
        return kTimedOut;
    }
    std::fprintf(stderr, "%s: warning: the check failed %u times: giving up (the service runs on, not ready)\n", kName,
                 options.tries);
    return kTriesUsedUp;
}

}  // namespace

std::expected<NotifyOnCheck, std::string> parse_notifyoncheck(const std::vector<std::string>& args) {
    NotifyOnCheck options;
    auto first = parse_s6_options(
        args, "3sTtwnc",
        [&](char option) -> std::string {
            if (option == 'd') {
                options.doublefork = true;
                return {};
            }
            return std::string("unknown option -") + option;
        },
        [&](char option, const std::string& value) -> std::string {
            if (option == 'c') {
                options.check = value;
                return {};
            }
            auto number = parse_unsigned(value);
            if (!number) return std::string("-") + option + " needs an unsigned integer, not '" + value + "'";
            switch (option) {
                case '3':
                    if (*number > 1023) return "-3 needs a file descriptor number, not '" + value + "'";
                    options.notification_fd = static_cast<int>(*number);
                    break;
                case 's': options.initial_sleep = Millis(*number); break;
                case 'T': options.global_timeout = Millis(*number); break;
                case 't': options.local_timeout = Millis(*number); break;
                case 'w': options.waiting_time = Millis(*number); break;
                default: options.tries = *number; break;
            }
            return {};
        });
    if (!first) return std::unexpected(first.error());
    if (*first >= args.size()) return std::unexpected(std::string("no program to run"));
    options.program_index = *first;
    return options;
}

std::expected<std::vector<std::string>, std::string> notifyoncheck_check_argv(const NotifyOnCheck& options) {
    if (!options.check) return std::vector<std::string>{"./data/check"};
    s6::ExeclineScript parsed = s6::parse_execline(*options.check);
    if (parsed.error) return std::unexpected("-c '" + *options.check + "': " + *parsed.error);
    // Under -P a `$` is itself, so the words are what execlineb would exec;
    // a block needs execline's own programs.
    if (parsed.has_block) return std::vector<std::string>{"execlineb", "-Pc", *options.check};
    return std::move(parsed.argv);
}

int notifyoncheck_main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    auto options = parse_notifyoncheck(args);
    if (!options) {
        std::fprintf(stderr, "%s: usage: %s: %s\n", kName, kUsage, options.error().c_str());
        return 100;
    }
    auto check = notifyoncheck_check_argv(*options);
    if (!check) {
        std::fprintf(stderr, "%s: fatal: %s\n", kName, check.error().c_str());
        return 100;
    }
    int fd = 0;
    if (options->notification_fd) {
        fd = *options->notification_fd;
    } else {
        auto from_dir = notification_fd_from_dir();
        if (!from_dir) {
            std::fprintf(stderr, "%s: fatal: %s\n", kName, from_dir.error().c_str());
            return 100;
        }
        fd = *from_dir;
    }
    if (::fcntl(fd, F_GETFD) < 0) {
        std::fprintf(stderr,
                     "%s: fatal: notification fd %d is not open (%s): tend opens it for a service whose dir has a "
                     "notification-fd file\n",
                     kName, fd, std::strerror(errno));
        return 111;
    }

    const pid_t daemon = ::getpid();
    int sync[2];
    if (::pipe2(sync, O_CLOEXEC) != 0) {
        std::fprintf(stderr, "%s: fatal: pipe: %s\n", kName, std::strerror(errno));
        return 111;
    }
    pid_t child = ::fork();
    if (child < 0) {
        std::fprintf(stderr, "%s: fatal: fork: %s\n", kName, std::strerror(errno));
        return 111;
    }
    if (child > 0) {
        // The daemon: without the notification fd, once the checker watches it.
        ::close(sync[1]);
        ::close(fd);
        if (options->doublefork) {
            int status = 0;
            while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
            }
        }
        char byte = 0;
        ssize_t got = 0;
        do got = ::read(sync[0], &byte, 1);
        while (got < 0 && errno == EINTR);
        ::close(sync[0]);
        if (got != 1) {
            std::fprintf(stderr, "%s: fatal: the checker did not start\n", kName);
            return 111;
        }
        return exec_program(kName, argv + 1 + options->program_index, nullptr);
    }
    ::close(sync[0]);
    if (options->doublefork) {
        pid_t grandchild = ::fork();
        if (grandchild < 0) ::_exit(kSystemError);
        if (grandchild > 0) ::_exit(0);
    }
    int daemon_fd = pidfd_open(daemon);
    if (daemon_fd < 0) {
        std::fprintf(stderr, "%s: fatal: cannot watch pid %d: %s\n", kName, static_cast<int>(daemon), std::strerror(errno));
        ::_exit(kSystemError);
    }
    if (::write(sync[1], "", 1) != 1) ::_exit(kSystemError);
    ::close(sync[1]);
    ::_exit(poll_for_readiness(*options, *check, fd, daemon_fd));
}

}  // namespace tend::applets
