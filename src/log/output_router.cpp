#include "tend/log/output_router.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "tend/log/logger.hpp"

namespace tend::log {
namespace {
// How far past the stderr queue's high-water mark tend's own lines may go.
constexpr std::size_t kOwnLinesSlack = 256 * 1024;
// Owner of tend's own lines in the stderr queue.
constexpr std::size_t kOwnLines = OutputQueue::kNoOwner;
// One read; a pipe holds 64 KiB by default, so kReadRounds reads empty it.
constexpr std::size_t kReadChunk = 16384;
constexpr int kReadRounds = 4;
}  // namespace

OutputRouter::OutputRouter(sys::EventLoop& loop, const sys::Clock& clock, bool prefix_lines)
    : OutputRouter(loop, clock, prefix_lines, sys::open_nonblocking_output(1), sys::open_nonblocking_output(2)) {}

OutputRouter::OutputRouter(sys::EventLoop& loop, const sys::Clock& clock, bool prefix_lines, sys::UniqueFd out,
                           sys::UniqueFd err)
    : loop_(loop), clock_(clock), prefix_lines_(prefix_lines) {
    out_fd_[0] = std::move(out);
    out_fd_[1] = std::move(err);
    for (int stream = 0; stream < 2; ++stream) queues_[stream] = std::make_unique<OutputQueue>(out_fd_[stream].get());
}

OutputRouter::~OutputRouter() {
    if (!paused_)
        for (auto& source : sources_) loop_.remove(source->fd.get());
    for (int stream = 0; stream < 2; ++stream)
        if (watching_output_[stream]) loop_.remove(out_fd_[stream].get());
}

OutputRouter::WriterId OutputRouter::add_writer(std::string name, bool prefixed) {
    std::string prefix = prefix_lines_ && prefixed ? name + " | " : std::string();
    writers_.push_back(Writer{std::move(name), std::move(prefix)});
    return writers_.size() - 1;
}

void OutputRouter::add_source(WriterId writer, sys::UniqueFd read_end, Stream stream, SourceEnd end) {
    sys::set_nonblocking(read_end.get());
    sources_.push_back(std::make_unique<Source>(Source{std::move(read_end), LineSplitter(writers_.at(writer).prefix),
                                                       stream, writer, end, false, std::nullopt, 0}));
    if (!paused_ && !watch(sources_.back().get())) sources_.pop_back();
}

// A paused source is out of the epoll set altogether: EPOLLHUP is reported
// even for an empty event mask, and a closed pipe we may not read yet would
// wake the loop for nothing, forever.
bool OutputRouter::watch(Source* source) {
    auto added = loop_.add(source->fd.get(), EPOLLIN, [this, source](std::uint32_t) { on_readable(source); });
    if (!added)
        log::error("service {}: cannot watch its output: {}", writers_[source->writer].name,
                   std::strerror(added.error()));
    return added.has_value();
}

void OutputRouter::on_readable(Source* source) {
    const Stream stream = source->stream;  // `source` may be gone after read_some
    read_some(source);
    on_writable(stream);
}

bool OutputRouter::read_some(Source* source) {
    OutputQueue& queue = queue_of(source);
    char buffer[kReadChunk];
    // A bounded amount per wakeup, so one chatty service cannot starve the loop.
    for (int round = 0; round < kReadRounds && !queue.full(); ++round) {
        ssize_t n = ::read(source->fd.get(), buffer, sizeof buffer);
        if (n > 0) {
            std::string_view data(buffer, static_cast<std::size_t>(n));
            queue.append_with(source->writer, [&](std::string& out) { source->splitter.feed(data, out); });
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            // Empty: a writer that exited has said all it will say.
            if (source->flush_when_empty) {
                source->flush_when_empty = false;
                flush_partial(source);
            }
            break;
        }
        close_source(source);  // EOF or error: every writer is gone
        return false;
    }
    note_partial(source);
    return true;
}

// A partial line waits from the moment it began: a read that completes the
// old one and leaves a new one pending restarts the wait.
void OutputRouter::note_partial(Source* source) {
    if (source->splitter.pending() == 0) {
        source->partial_since.reset();
    } else if (!source->partial_since || source->partial_line != source->splitter.lines_emitted()) {
        source->partial_since = clock_.now();
        source->partial_line = source->splitter.lines_emitted();
    }
}

void OutputRouter::flush_partial(Source* source) {
    queue_of(source).append_with(source->writer, [&](std::string& out) { source->splitter.flush(out); });
    source->partial_since.reset();
}

void OutputRouter::close_source(Source* source) {
    flush_partial(source);
    if (!paused_) loop_.remove(source->fd.get());
    std::erase_if(sources_, [source](const std::unique_ptr<Source>& s) { return s.get() == source; });
}

void OutputRouter::writer_exited(WriterId writer) {
    std::vector<Source*> of_writer;
    for (auto& source : sources_)
        if (source->writer == writer && source->end == SourceEnd::WriterExit) of_writer.push_back(source.get());
    for (Source* source : of_writer) {
        source->flush_when_empty = true;
        // While paused, the flush waits until reading resumes and finds the pipe empty.
        if (!paused_) on_readable(source);
    }
}

std::optional<sys::TimePoint> OutputRouter::next_deadline() const {
    // While paused the pipes are not read: a line's newline may be waiting in
    // one, and a deadline in the past would only spin the loop.
    if (paused_) return std::nullopt;
    std::optional<sys::TimePoint> earliest;
    for (const auto& source : sources_) {
        if (!source->partial_since) continue;
        sys::TimePoint due = *source->partial_since + kPartialLineWait;
        if (!earliest || due < *earliest) earliest = due;
    }
    return earliest;
}

void OutputRouter::on_timer() {
    if (paused_) return;
    const sys::TimePoint now = clock_.now();
    std::vector<Source*> due;
    for (auto& source : sources_)
        if (source->partial_since && *source->partial_since + kPartialLineWait <= now) due.push_back(source.get());
    bool touched[2] = {false, false};
    for (Source* source : due) {
        touched[static_cast<int>(source->stream)] = true;
        // The newline may already be in the pipe: read first.
        if (!read_some(source)) continue;
        if (source->partial_since && *source->partial_since + kPartialLineWait <= now) flush_partial(source);
    }
    for (int stream = 0; stream < 2; ++stream)
        if (touched[stream]) on_writable(static_cast<Stream>(stream));
}

void OutputRouter::on_writable(Stream stream) {
    int index = static_cast<int>(stream);
    OutputQueue& queue = *queues_[index];
    if (!queue.write_some()) {
        // Nobody reads our output any more; keep the services running anyway.
        const int error = errno;
        queue.take_lost();
        if (!write_failure_reported_[index]) {
            write_failure_reported_[index] = true;
            log::warn("cannot write to tend's {}: {}; services' output to it is dropped", index == 0 ? "stdout" : "stderr",
                      std::strerror(error));
        }
    }
    bool want_out = !queue.empty();
    if (want_out && !watching_output_[index]) {
        auto added = loop_.add(out_fd_[index].get(), EPOLLOUT, [this, stream](std::uint32_t) { on_writable(stream); });
        watching_output_[index] = added.has_value();
    } else if (!want_out && watching_output_[index]) {
        loop_.remove(out_fd_[index].get());
        watching_output_[index] = false;
    }
    update_backpressure();
}

void OutputRouter::write_own_line(std::string_view line) {
    OutputQueue& queue = *queues_[static_cast<int>(Stream::Err)];
    if (queue.size() > 4 * kOwnLinesSlack) return;
    queue.append(line, kOwnLines);
    on_writable(Stream::Err);
}

bool OutputRouter::any_full() const { return queues_[0]->full() || queues_[1]->full(); }

// While a queue is full, every source stops being read (services block on
// their pipes); reading resumes when both drained below half the mark.
void OutputRouter::update_backpressure() {
    const bool pause = paused_ ? !(queues_[0]->low() && queues_[1]->low()) : any_full();
    if (pause == paused_) return;
    paused_ = pause;
    std::vector<Source*> failed;
    for (auto& source : sources_) {
        if (pause) {
            loop_.remove(source->fd.get());
        } else if (!watch(source.get())) {
            failed.push_back(source.get());
        }
    }
    // A source that cannot be watched again would never be read: drop it
    // rather than let its service block forever unnoticed (logged in watch).
    for (Source* source : failed)
        std::erase_if(sources_, [source](const std::unique_ptr<Source>& s) { return s.get() == source; });
}

OutputRouter::DrainResult OutputRouter::drain_all(sys::Duration limit) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + limit;
    auto remaining_ms = [&] {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        return static_cast<int>(std::max<long long>(0, left));
    };
    // Writes some of `queue`, waiting up to the deadline for room. False
    // only when the time is up with bytes left (a dead fd drops its queue).
    auto write_waiting = [&](OutputQueue& queue) {
        if (!queue.write_some() || queue.empty()) return true;
        const int left = remaining_ms();
        if (left == 0) return false;
        pollfd out{queue.fd(), POLLOUT, 0};
        ::poll(&out, 1, left);
        queue.write_some();
        return true;
    };

    if (!paused_)
        for (auto& source : sources_) loop_.remove(source->fd.get());
    paused_ = true;  // nothing is watched any more; the destructor must not remove again
    for (auto& queue : queues_) queue->take_lost();  // reported when it happened

    // Whatever is still in the pipes, then the partial lines. A pipe's
    // content (kReadRounds chunks) is read even when the time is up; beyond
    // that a writer that is still alive could keep us reading forever.
    bool out_of_time = false;
    for (std::size_t i = 0; i < sources_.size() && !out_of_time; ++i) {
        Source* source = sources_[i].get();
        OutputQueue& queue = queue_of(source);
        char buffer[kReadChunk];
        for (int reads = 0;; ++reads) {
            while (queue.full() && !out_of_time) out_of_time = !write_waiting(queue);
            if (out_of_time || (reads >= kReadRounds && remaining_ms() == 0)) break;
            ssize_t n = ::read(source->fd.get(), buffer, sizeof buffer);
            if (n > 0) {
                std::string_view data(buffer, static_cast<std::size_t>(n));
                queue.append_with(source->writer, [&](std::string& out) { source->splitter.feed(data, out); });
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            break;  // empty (EAGAIN) or end of file
        }
    }
    for (auto& source : sources_) flush_partial(source.get());
    for (auto& queue : queues_) {
        while (!queue->empty())
            if (!write_waiting(*queue)) break;
    }

    // What is left: queued bytes per owner plus what the pipes still hold,
    // and what a dead fd refused meanwhile.
    DrainResult result;
    std::vector<std::size_t> dropped(writers_.size() + 1, 0);  // last: tend's own lines
    auto slot = [&](std::size_t owner) -> std::size_t& { return dropped[owner == kOwnLines ? writers_.size() : owner]; };
    for (auto& queue : queues_) {
        for (auto [owner, bytes] : queue->unwritten()) {
            slot(owner) += bytes;
            result.out_of_time = true;
        }
        for (auto [owner, bytes] : queue->take_lost()) {
            slot(owner) += bytes;
            result.write_failed = true;
        }
    }
    for (auto& source : sources_) {
        int in_pipe = 0;
        if (::ioctl(source->fd.get(), FIONREAD, &in_pipe) == 0 && in_pipe > 0) {
            dropped[source->writer] += static_cast<std::size_t>(in_pipe);
            result.out_of_time = true;
        }
    }
    for (std::size_t owner = 0; owner < dropped.size(); ++owner) {
        if (dropped[owner] == 0) continue;
        result.dropped.emplace_back(owner < writers_.size() ? writers_[owner].name : std::string("tend's own messages"),
                                    dropped[owner]);
    }
    return result;
}

}  // namespace tend::log
