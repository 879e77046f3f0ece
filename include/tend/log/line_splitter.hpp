// Turning a service's raw output into prefixed lines (--log-prefix).
//
// Pure buffer logic, no fds: the event loop feeds bytes read from a service's
// pipe and takes out whole lines "<name> | <line>\n". A line longer than
// kMaxLineBytes is cut into kMaxLineBytes pieces, each prefixed; nothing is
// dropped. A partial last line is emitted by flush() (pipe closed, shutdown).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tend::log {

inline constexpr std::size_t kMaxLineBytes = 16 * 1024;

class LineSplitter {
public:
    explicit LineSplitter(std::string prefix);  // e.g. "nginx | "

    // Appends the prefixed complete lines found in `data` to `out`. Keeps at
    // most kMaxLineBytes of an incomplete line.
    void feed(std::string_view data, std::string& out);
    // Appends the pending partial line (prefixed, with a newline) if any.
    void flush(std::string& out);
    std::size_t pending() const { return partial_.size(); }

private:
    std::string prefix_;
    std::string partial_;
};

// Output side of --log-prefix: bytes waiting for tend's stdout or stderr.
// The event loop writes with write_some() when the fd is writable; while
// full() is true it stops reading services' pipes (backpressure), so memory
// stays bounded.
class OutputQueue {
public:
    explicit OutputQueue(int fd, std::size_t high_water = 256 * 1024);

    void append(std::string_view data);
    bool empty() const { return buffer_.size() == offset_; }
    bool full() const { return buffer_.size() - offset_ >= high_water_; }
    std::size_t size() const { return buffer_.size() - offset_; }
    // Writes as much as the (non-blocking) fd takes. Returns false on a hard
    // error other than EAGAIN (the data is then dropped; the caller logs once).
    bool write_some();
    int fd() const { return fd_; }

private:
    int fd_;
    std::size_t high_water_;
    std::string buffer_;
    std::size_t offset_ = 0;
};

}  // namespace tend::log
