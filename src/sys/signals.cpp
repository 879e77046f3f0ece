#include "tend/sys/signals.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace tend::sys {

void block_all_signals() {
    sigset_t all;
    sigfillset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
}

std::expected<UniqueFd, int> open_signalfd() {
    sigset_t all;
    sigfillset(&all);
    int fd = ::signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) return std::unexpected(errno);
    return UniqueFd(fd);
}

std::optional<signalfd_siginfo> read_signal(int signal_fd) {
    signalfd_siginfo info{};
    for (;;) {
        ssize_t n = ::read(signal_fd, &info, sizeof info);
        if (n == static_cast<ssize_t>(sizeof info)) return info;
        if (n < 0 && errno == EINTR) continue;
        return std::nullopt;
    }
}

}  // namespace tend::sys
