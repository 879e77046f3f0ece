// File descriptors owned by tend.
//
// Every fd tend creates is O_CLOEXEC, so a service inherits only what spawn
// places on purpose (0, 1, 2 and a notification fd). UniqueFd closes on every
// path so an error branch never leaks one into a later child.
#pragma once

#include <expected>
#include <utility>

namespace tend::sys {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(std::exchange(other.fd_, -1));
        return *this;
    }
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    explicit operator bool() const { return valid(); }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

// pipe2(O_CLOEXEC | extra_flags). Returns errno on failure.
std::expected<Pipe, int> make_pipe(int extra_flags = 0);

// Opens /dev/null on each of 0, 1, 2 that is closed, so nothing tend opens
// later lands there and becomes some child's stdio by accident.
void ensure_standard_fds();

// Closes every fd >= 3 inherited from whoever started tend.
void close_inherited_fds();

bool set_nonblocking(int fd, bool on = true);

// A close-on-exec fd for writing to `fd` (tend's stdout or stderr) that never
// blocks tend, without changing the flags of `fd` itself, which children share.
// Pipes and terminals are reopened through /proc/self/fd (a new open file
// description, made O_NONBLOCK); a regular file never blocks and must keep one
// offset, and a socket cannot be reopened: both get a plain duplicate (write to
// a socket with send(MSG_DONTWAIT)).
UniqueFd open_nonblocking_output(int fd);

}  // namespace tend::sys
