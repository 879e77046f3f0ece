// LineSplitter keeps at most one unfinished line; whole lines are appended to
// the caller's string straight from the input without an extra copy.
// OutputQueue is a string with a read offset, compacted as it drains.
#include "tend/log/line_splitter.hpp"

#include <algorithm>
#include <cerrno>
#include <new>
#include <utility>

#include <unistd.h>

namespace tend::log {
namespace {

// Appends "<prefix><head><tail>\n". An empty line drops the prefix's trailing
// space ("nginx |" rather than "nginx | "), so tend never emits trailing
// whitespace of its own.
void append_line(std::string& out, std::string_view prefix, std::string_view head,
                 std::string_view tail) {
    if (head.empty() && tail.empty() && prefix.ends_with(' ')) prefix.remove_suffix(1);
    out += prefix;
    out += head;
    out += tail;
    out += '\n';
}

}  // namespace

LineSplitter::LineSplitter(std::string prefix) : prefix_(std::move(prefix)) {}

void LineSplitter::feed(std::string_view data, std::string& out) {
    try {
        // Unprefixed with no line pending (the default, and the common case):
        // whole lines are copied in one piece when none of them can be longer
        // than kMaxLineBytes (they all lie within the first kMaxLineBytes).
        if (prefix_.empty() && partial_.empty()) {
            const std::size_t last_newline = data.rfind('\n');
            if (last_newline != std::string_view::npos && last_newline < kMaxLineBytes) {
                out.append(data.data(), last_newline + 1);
                data.remove_prefix(last_newline + 1);
                ++lines_emitted_;  // at least one; only the change matters
            }
        }
        while (!data.empty()) {
            const std::size_t newline = data.find('\n');
            const bool line_ends = newline != std::string_view::npos;
            std::string_view body = line_ends ? data.substr(0, newline) : data;
            data.remove_prefix(line_ends ? newline + 1 : data.size());

            // A full piece is cut only once a byte beyond it is known not to be
            // the newline, so a line of exactly kMaxLineBytes stays one line,
            // however the bytes are chunked.
            while (partial_.size() + body.size() > kMaxLineBytes) {
                const std::size_t take = kMaxLineBytes - partial_.size();
                append_line(out, prefix_, partial_, body.substr(0, take));
                partial_.clear();
                ++lines_emitted_;
                body.remove_prefix(take);
            }
            if (line_ends) {
                append_line(out, prefix_, partial_, body);
                partial_.clear();
                ++lines_emitted_;
            } else {
                partial_ += body;
            }
        }
    } catch (const std::bad_alloc&) {
        // Out of memory: this chunk is lost rather than tend.
    }
}

void LineSplitter::flush(std::string& out) {
    if (partial_.empty()) return;
    try {
        append_line(out, prefix_, partial_, {});
    } catch (const std::bad_alloc&) {
    }
    partial_.clear();
    ++lines_emitted_;
}

OutputQueue::OutputQueue(int fd, std::size_t high_water) : fd_(fd), high_water_(high_water) {}

void OutputQueue::append(std::string_view data, std::size_t owner) {
    try {
        buffer_ += data;
        count(owner, data.size());
    } catch (const std::bad_alloc&) {
        // Out of memory: drop the data; the queue stays usable.
    }
}

void OutputQueue::count(std::size_t owner, std::size_t bytes) {
    if (bytes == 0) return;
    try {
        if (!runs_.empty() && runs_.back().owner == owner)
            runs_.back().bytes += bytes;
        else
            runs_.push_back({owner, bytes});
    } catch (const std::bad_alloc&) {
        // Only the per-owner report at exit would be off.
    }
}

void OutputQueue::consume(std::size_t bytes) {
    while (bytes > 0 && !runs_.empty()) {
        const std::size_t taken = std::min(bytes, runs_.front().bytes);
        runs_.front().bytes -= taken;
        bytes -= taken;
        if (runs_.front().bytes == 0) runs_.pop_front();
    }
}

// One total per owner, so a dead fd over a long life costs no memory.
void OutputQueue::note_lost() {
    for (const Run& run : runs_) {
        auto same = std::find_if(lost_.begin(), lost_.end(), [&](const Run& r) { return r.owner == run.owner; });
        try {
            if (same != lost_.end())
                same->bytes += run.bytes;
            else
                lost_.push_back(run);
        } catch (const std::bad_alloc&) {
        }
    }
    runs_.clear();
}

std::vector<std::pair<std::size_t, std::size_t>> OutputQueue::take_lost() {
    std::vector<std::pair<std::size_t, std::size_t>> result;
    for (const Run& run : lost_) result.emplace_back(run.owner, run.bytes);
    lost_.clear();
    return result;
}

std::vector<std::pair<std::size_t, std::size_t>> OutputQueue::unwritten() const {
    std::vector<std::pair<std::size_t, std::size_t>> result;
    for (const Run& run : runs_) result.emplace_back(run.owner, run.bytes);
    return result;
}

bool OutputQueue::write_some() {
    bool healthy = true;
    while (offset_ < buffer_.size()) {
        const ssize_t written = ::write(fd_, buffer_.data() + offset_, buffer_.size() - offset_);
        if (written > 0) {
            offset_ += static_cast<std::size_t>(written);
            consume(static_cast<std::size_t>(written));
        } else if (written < 0 && errno == EINTR) {
            continue;
        } else if (written == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
            break;  // the fd is full; the event loop calls again when writable
        } else {
            healthy = false;
            offset_ = buffer_.size();  // a dead fd: what it would not take is dropped
            note_lost();
            break;
        }
    }

    if (offset_ == buffer_.size()) {
        buffer_.clear();
        offset_ = 0;
        // One burst far above the high-water mark should not pin its memory.
        if (buffer_.capacity() > 4 * high_water_) std::string().swap(buffer_);
    } else if (offset_ >= buffer_.size() - offset_) {
        // Moving the unwritten rest costs no more than what was just written,
        // so compaction is amortised O(1) per byte.
        buffer_.erase(0, offset_);
        offset_ = 0;
    }
    return healthy;
}

}  // namespace tend::log
