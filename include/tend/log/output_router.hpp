// --log-prefix: services' stdout/stderr pipes -> tend's stdout/stderr, a whole
// prefixed line at a time.
//
// Reading happens in the event loop. tend's own stdout/stderr are written
// through a separate non-blocking open file description (so the CMD, which
// shares the terminal or pipe, never sees O_NONBLOCK). While an output queue
// is above its high-water mark every source pipe is taken out of the epoll
// set (not just masked: a hung-up pipe reports EPOLLHUP regardless): services then block on their full pipes, as on a full terminal, and
// tend keeps serving signals and children with bounded buffers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tend/log/line_splitter.hpp"
#include "tend/sys/event_loop.hpp"
#include "tend/sys/fd.hpp"

namespace tend::log {

enum class Stream { Out = 0, Err = 1 };

class OutputRouter {
public:
    explicit OutputRouter(sys::EventLoop& loop);
    ~OutputRouter();

    // Takes ownership of `read_end` and prefixes its lines with "<name> | ".
    void add_source(const std::string& name, sys::UniqueFd read_end, Stream stream);
    // Reads what is left in every source, flushes partial lines and writes the
    // queues out (blocking, bounded by `deadline_ms`). Called at exit.
    void drain_all(int deadline_ms);
    std::size_t source_count() const { return sources_.size(); }
    // One of tend's own log lines (with its newline), queued for tend's
    // stderr in order with the services' lines. Dropped when the queue is far
    // past its high-water mark: tend's stderr has been stuck for a long time.
    void write_own_line(std::string_view line);

private:
    struct Source {
        sys::UniqueFd fd;
        LineSplitter splitter;
        Stream stream;
    };

    bool watch(Source* source);
    void on_readable(Source* source, std::uint32_t events);
    void close_source(Source* source);
    void on_writable(Stream stream);
    void update_backpressure();
    bool any_full() const;

    sys::EventLoop& loop_;
    sys::UniqueFd out_fd_[2];
    std::unique_ptr<OutputQueue> queues_[2];
    bool watching_output_[2] = {false, false};
    std::vector<std::unique_ptr<Source>> sources_;
    bool paused_ = false;
};

}  // namespace tend::log
