#include "tend/sys/fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace tend::sys {

void UniqueFd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);  // close(2) errors are not actionable here
    fd_ = fd;
}

std::expected<Pipe, int> make_pipe(int extra_flags) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | extra_flags) != 0) return std::unexpected(errno);
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void ensure_standard_fds() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        // open() returns the lowest free fd, which is this one.
        int opened = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);  // no O_CLOEXEC: stdio, inherited on purpose
        if (opened >= 0 && opened != fd) {
            ::dup2(opened, fd);
            ::close(opened);
        }
    }
}

void close_inherited_fds() {
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
    // Kernels before 5.9: walk /proc/self/fd; without /proc, a bounded loop.
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        int own = ::dirfd(dir);
        int to_close[1024];
        int count = 0;
        while (dirent* entry = ::readdir(dir)) {
            int fd = std::atoi(entry->d_name);
            if (fd >= 3 && fd != own && count < 1024) to_close[count++] = fd;
        }
        ::closedir(dir);
        for (int i = 0; i < count; ++i) ::close(to_close[i]);
        return;
    }
    long max = ::sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
    for (int fd = 3; fd < max; ++fd) ::close(fd);
}

UniqueFd open_nonblocking_output(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
        std::string path = "/proc/self/fd/" + std::to_string(fd);
        int reopened = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (reopened >= 0) return UniqueFd(reopened);
    }
    return UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

bool set_nonblocking(int fd, bool on) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) return false;
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return ::fcntl(fd, F_SETFL, flags) == 0;
}

}  // namespace tend::sys
