// Turning a service's raw output into whole lines, prefixed with
// --log-prefix.
//
// Pure buffer logic, no fds: the event loop feeds bytes read from a service's
// pipe and takes out whole lines "<prefix><line>\n" (the prefix is
// "<name> | " or empty). A line longer than kMaxLineBytes is cut into
// kMaxLineBytes pieces, each prefixed; nothing is dropped. A partial last line
// is emitted by flush() (the process exited, a second passed, shutdown).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tend::log {

inline constexpr std::size_t kMaxLineBytes = 16 * 1024;

class LineSplitter {
public:
    explicit LineSplitter(std::string prefix);  // e.g. "nginx | ", or "" for none

    // Appends the prefixed complete lines found in `data` to `out`. Keeps at
    // most kMaxLineBytes of an incomplete line.
    void feed(std::string_view data, std::string& out);
    // Appends the pending partial line (prefixed, with a newline) if any.
    void flush(std::string& out);
    std::size_t pending() const { return partial_.size(); }
    // Counts the lines emitted so far: when it moved, what is pending now is a
    // new partial line (its wait for a newline starts afresh).
    std::uint64_t lines_emitted() const { return lines_emitted_; }

private:
    std::string prefix_;
    std::string partial_;
    std::uint64_t lines_emitted_ = 0;
};

// Output side: bytes waiting for tend's stdout or stderr.
// The event loop writes with write_some() when the fd is writable; while
// full() is true it stops reading services' pipes (backpressure), so memory
// stays bounded. Each append names its owner (a writer number), so what is
// still unwritten at exit can be reported per service.
class OutputQueue {
public:
    static constexpr std::size_t kNoOwner = static_cast<std::size_t>(-1);

    explicit OutputQueue(int fd, std::size_t high_water = 256 * 1024);

    void append(std::string_view data, std::size_t owner = kNoOwner);
    // Lets `produce` append to the buffer in place (no intermediate copy);
    // whatever it adds is counted for `owner`.
    template <typename Produce>
    void append_with(std::size_t owner, Produce&& produce) {
        const std::size_t before = buffer_.size();
        produce(buffer_);
        count(owner, buffer_.size() - before);
    }
    // Unwritten bytes per owner, in the order they were queued (adjacent
    // appends of one owner merged).
    std::vector<std::pair<std::size_t, std::size_t>> unwritten() const;
    // Bytes per owner that a hard write error dropped since the last call.
    std::vector<std::pair<std::size_t, std::size_t>> take_lost();
    bool empty() const { return buffer_.size() == offset_; }
    bool full() const { return buffer_.size() - offset_ >= high_water_; }
    // Below half the mark: reading may resume (the gap keeps a slow reader
    // from toggling every source in and out of the epoll set on each write).
    bool low() const { return buffer_.size() - offset_ < high_water_ / 2; }
    std::size_t size() const { return buffer_.size() - offset_; }
    // Writes as much as the (non-blocking) fd takes. Returns false on a hard
    // error other than EAGAIN (the data is then dropped; the caller logs once).
    bool write_some();
    int fd() const { return fd_; }

private:
    struct Run {
        std::size_t owner;
        std::size_t bytes;
    };
    void count(std::size_t owner, std::size_t bytes);
    void consume(std::size_t bytes);
    void note_lost();

    int fd_;
    std::size_t high_water_;
    std::string buffer_;
    std::size_t offset_ = 0;
    std::deque<Run> runs_;  // owners of buffer_[offset_..], in order
    std::vector<Run> lost_;  // dropped by hard write errors, one total per owner
};

}  // namespace tend::log
