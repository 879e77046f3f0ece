#include "tend/log/output_router.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "tend/log/logger.hpp"

namespace tend::log {
namespace {
// How far past the stderr queue's high-water mark tend's own lines may go.
constexpr std::size_t kOwnLinesSlack = 256 * 1024;
}  // namespace
OutputRouter::OutputRouter(sys::EventLoop& loop) : loop_(loop) {
    for (int stream = 0; stream < 2; ++stream) {
        out_fd_[stream] = sys::open_nonblocking_output(stream + 1);
        queues_[stream] = std::make_unique<OutputQueue>(out_fd_[stream].get());
    }
}

OutputRouter::~OutputRouter() {
    for (auto& source : sources_) loop_.remove(source->fd.get());
    for (int stream = 0; stream < 2; ++stream)
        if (watching_output_[stream]) loop_.remove(out_fd_[stream].get());
}

void OutputRouter::add_source(const std::string& name, sys::UniqueFd read_end, Stream stream) {
    sys::set_nonblocking(read_end.get());
    sources_.push_back(std::make_unique<Source>(Source{std::move(read_end), LineSplitter(name + " | "), stream}));
    if (!paused_ && !watch(sources_.back().get())) sources_.pop_back();
}

// A paused source is out of the epoll set altogether: EPOLLHUP is reported
// even for an empty event mask, and a closed pipe we may not read yet would
// wake the loop for nothing, forever.
bool OutputRouter::watch(Source* source) {
    auto added = loop_.add(source->fd.get(), EPOLLIN, [this, source](std::uint32_t events) { on_readable(source, events); });
    if (!added) log::error("--log-prefix: cannot watch a service's output: {}", std::strerror(added.error()));
    return added.has_value();
}

void OutputRouter::on_readable(Source* source, std::uint32_t events) {
    const Stream stream = source->stream;  // `source` may be gone after close_source
    OutputQueue& queue = *queues_[static_cast<int>(stream)];
    char buffer[16384];
    // Read a bounded amount per wakeup so one chatty service cannot starve the loop.
    for (int round = 0; round < 4 && !queue.full(); ++round) {
        ssize_t n = ::read(source->fd.get(), buffer, sizeof buffer);
        if (n > 0) {
            std::string lines;
            source->splitter.feed(std::string_view(buffer, static_cast<std::size_t>(n)), lines);
            queue.append(lines);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        close_source(source);  // EOF or error: the writer is gone
        break;
    }
    (void)events;
    on_writable(stream);
}

void OutputRouter::close_source(Source* source) {
    std::string rest;
    source->splitter.flush(rest);
    queues_[static_cast<int>(source->stream)]->append(rest);
    loop_.remove(source->fd.get());
    std::erase_if(sources_, [source](const std::unique_ptr<Source>& s) { return s.get() == source; });
}

void OutputRouter::on_writable(Stream stream) {
    int index = static_cast<int>(stream);
    OutputQueue& queue = *queues_[index];
    if (!queue.write_some()) {
        // Nobody reads our output any more; keep the services running anyway.
        log::debug("--log-prefix: writing to fd {} failed: {}", index + 1, std::strerror(errno));
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
    queue.append(line);
    on_writable(Stream::Err);
}

bool OutputRouter::any_full() const { return queues_[0]->full() || queues_[1]->full(); }

// While a queue is full, every source stops being read (services block on
// their pipes); reading resumes when it drained below the mark.
void OutputRouter::update_backpressure() {
    bool pause = any_full();
    if (pause == paused_) return;
    paused_ = pause;
    for (auto& source : sources_) {
        if (pause) {
            loop_.remove(source->fd.get());
        } else {
            watch(source.get());
        }
    }
}

void OutputRouter::drain_all(int deadline_ms) {
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + std::chrono::milliseconds(deadline_ms);
    auto remaining_ms = [&] {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        return static_cast<int>(std::max<long long>(0, left));
    };
    // Whatever is still in the pipes, then the partial lines.
    while (!sources_.empty()) {
        Source* source = sources_.front().get();
        OutputQueue& queue = *queues_[static_cast<int>(source->stream)];
        char buffer[16384];
        ssize_t n = ::read(source->fd.get(), buffer, sizeof buffer);
        if (n > 0) {
            std::string lines;
            source->splitter.feed(std::string_view(buffer, static_cast<std::size_t>(n)), lines);
            queue.append(lines);
            if (queue.full()) {
                pollfd out{queue.fd(), POLLOUT, 0};
                ::poll(&out, 1, remaining_ms());
                if (!queue.write_some() || remaining_ms() == 0) break;
            }
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        close_source(source);
    }
    for (auto& queue : queues_) {
        while (!queue->empty() && remaining_ms() > 0) {
            pollfd out{queue->fd(), POLLOUT, 0};
            ::poll(&out, 1, remaining_ms());
            if (!queue->write_some()) break;
        }
    }
}

}  // namespace tend::log
