// Services' stdout/stderr pipes -> tend's stdout/stderr, a whole line at a
// time (prefixed "<name> | " with --log-prefix).
//
// Reading happens in the event loop. tend's own stdout/stderr are written
// through a separate non-blocking open file description (so the CMD, which
// shares the terminal or pipe, never sees O_NONBLOCK). While an output queue
// is above its high-water mark every source pipe is taken out of the epoll
// set (not just masked: a hung-up pipe reports EPOLLHUP regardless): services
// then block on their full pipes, as on a full terminal, and tend keeps
// serving signals and children with bounded buffers.
//
// A service's pipes live as long as tend (tend holds their write ends too), so
// they never report end of file: a partial last line is flushed once the pipe
// is empty after the writer's process exited (writer_exited), or after it has
// waited kPartialLineWait for its newline (next_deadline/on_timer, fed into
// the one timerfd), or at exit (drain_all). A source whose pipe does reach end
// of file (the CMD's, whose write ends tend does not keep) is flushed and
// closed. A pipe of one run only (SourceEnd::EndOfFile: an overlapping run of
// a crontab job, beside the job's run on its shared pipes) is flushed at its
// own end of file, never when another process of the same writer ends.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tend/sys/clock.hpp"
#include "tend/log/line_splitter.hpp"
#include "tend/sys/event_loop.hpp"
#include "tend/sys/fd.hpp"

namespace tend::log {

enum class Stream { Out = 0, Err = 1 };

// How long a partial line waits for its newline before it is written anyway
// (a prompt or a progress dot still shows).
inline constexpr sys::Duration kPartialLineWait{1000};

class OutputRouter {
public:
    using WriterId = std::size_t;

    // Writes to non-blocking views of tend's fds 1 and 2.
    OutputRouter(sys::EventLoop& loop, const sys::Clock& clock, bool prefix_lines);
    // Writes to `out` and `err` (tests: pipes they read).
    OutputRouter(sys::EventLoop& loop, const sys::Clock& clock, bool prefix_lines, sys::UniqueFd out,
                 sys::UniqueFd err);
    ~OutputRouter();
    OutputRouter(const OutputRouter&) = delete;
    OutputRouter& operator=(const OutputRouter&) = delete;

    // One producer of output (a service, the CMD), named in prefixes and in
    // the report of dropped bytes. `prefixed` false: never prefixed (the CMD).
    WriterId add_writer(std::string name, bool prefixed = true);
    // What ends a source's partial last line besides kPartialLineWait: its
    // writer's exit (writer_exited), or only its own end of file.
    enum class SourceEnd { WriterExit, EndOfFile };
    // Takes ownership of `read_end` (made non-blocking) and forwards what
    // arrives to tend's stdout or stderr.
    void add_source(WriterId writer, sys::UniqueFd read_end, Stream stream,
                    SourceEnd end = SourceEnd::WriterExit);
    // The writer's process ended: its partial lines are flushed as soon as
    // its pipes are empty (those of SourceEnd::WriterExit).
    void writer_exited(WriterId writer);

    // When a partial line will have waited kPartialLineWait; nullopt when
    // none waits (or while reading is paused), so an idle tend makes no wakeups.
    std::optional<sys::TimePoint> next_deadline() const;
    void on_timer();

    // One of tend's own log lines (with its newline), queued for tend's
    // stderr in order with the services' lines. Dropped when the queue is far
    // past its high-water mark: tend's stderr has been stuck for a long time.
    void write_own_line(std::string_view line);

    // At exit: reads what is left in every pipe, flushes partial lines and
    // writes everything out, blocking for at most `limit`.
    struct DrainResult {
        // Bytes not written, per writer in writer order; tend's own messages
        // come last, named "tend's own messages".
        std::vector<std::pair<std::string, std::size_t>> dropped;
        bool out_of_time = false;   // the limit was reached with bytes left
        bool write_failed = false;  // tend's stdout or stderr refused bytes (its reader is gone)
    };
    DrainResult drain_all(sys::Duration limit);

    std::size_t source_count() const { return sources_.size(); }
    bool paused() const { return paused_; }

private:
    struct Writer {
        std::string name;
        std::string prefix;
    };
    struct Source {
        sys::UniqueFd fd;
        LineSplitter splitter;
        Stream stream;
        WriterId writer;
        SourceEnd end = SourceEnd::WriterExit;
        bool flush_when_empty = false;
        std::optional<sys::TimePoint> partial_since;  // when the pending partial line began to wait
        std::uint64_t partial_line = 0;                // splitter.lines_emitted() at that moment
    };

    bool watch(Source* source);
    void on_readable(Source* source);
    // Reads at most a few chunks; false when the source was closed (EOF).
    bool read_some(Source* source);
    void flush_partial(Source* source);
    void note_partial(Source* source);
    void close_source(Source* source);
    void on_writable(Stream stream);
    void update_backpressure();
    bool any_full() const;
    OutputQueue& queue_of(const Source* source) { return *queues_[static_cast<int>(source->stream)]; }

    sys::EventLoop& loop_;
    const sys::Clock& clock_;
    bool prefix_lines_;
    sys::UniqueFd out_fd_[2];
    std::unique_ptr<OutputQueue> queues_[2];
    bool watching_output_[2] = {false, false};
    std::vector<Writer> writers_;
    std::vector<std::unique_ptr<Source>> sources_;
    bool paused_ = false;
    bool write_failure_reported_[2] = {false, false};
};

}  // namespace tend::log
