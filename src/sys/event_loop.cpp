#include "tend/sys/event_loop.hpp"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <memory>
#include <new>
#include <string>

namespace tend::sys {
namespace {
// The timer is registered with this tag instead of a generation/fd pair.
constexpr std::uint64_t kTimerTag = ~std::uint64_t{0};

std::uint64_t tag(int fd, std::uint32_t generation) {
    return (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
}
}  // namespace

std::expected<EventLoop, int> EventLoop::create() {
    EventLoop loop;
    loop.epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!loop.epoll_) return std::unexpected(errno);
    loop.timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!loop.timer_) return std::unexpected(errno);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kTimerTag;
    if (::epoll_ctl(loop.epoll_.get(), EPOLL_CTL_ADD, loop.timer_.get(), &ev) != 0)
        return std::unexpected(errno);
    return loop;
}

std::expected<void, int> EventLoop::add(int fd, std::uint32_t events, Handler handler) {
    std::uint32_t generation = next_generation_++;
    if (next_generation_ == 0) next_generation_ = 1;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag(fd, generation);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return std::unexpected(errno);
    handlers_[fd] = Entry{generation, std::make_shared<Handler>(std::move(handler))};
    return {};
}

std::expected<void, int> EventLoop::modify(int fd, std::uint32_t events) {
    auto it = handlers_.find(fd);
    if (it == handlers_.end()) return std::unexpected(ENOENT);
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag(fd, it->second.generation);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) return std::unexpected(errno);
    return {};
}

void EventLoop::remove(int fd) {
    if (handlers_.erase(fd) == 0) return;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);  // fails harmlessly if already closed
}

void EventLoop::set_timer(std::optional<sys::TimePoint> deadline) {
    itimerspec spec{};
    if (deadline) {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline->time_since_epoch()).count();
        if (ns <= 0) ns = 1;  // zero would disarm
        spec.it_value.tv_sec = ns / 1'000'000'000;
        spec.it_value.tv_nsec = ns % 1'000'000'000;
    }
    ::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

template <typename Call>
void EventLoop::guard(std::string_view where, Call&& call) noexcept {
    try {
        call();
    } catch (const std::bad_alloc&) {
        report({where, "out of memory", true});
    } catch (const std::exception& error) {
        report({where, error.what(), false});
    } catch (...) {
        report({where, "an exception that is not a std::exception", false});
    }
}

void EventLoop::report(const Failure& failure) noexcept {
    if (failure_handler_) {
        try {
            failure_handler_(failure);
            return;
        } catch (...) {
            // The report itself failed (out of memory while logging): say it plainly below.
        }
    }
    char line[512];
    int length = std::snprintf(line, sizeof line, "tend: error: %.*s failed: %.*s\n",
                               static_cast<int>(failure.where.size()), failure.where.data(),
                               static_cast<int>(failure.cause.size()), failure.cause.data());
    if (length > 0)
        [[maybe_unused]] auto written = ::write(2, line, std::min<std::size_t>(static_cast<std::size_t>(length), sizeof line - 1));
}

std::expected<void, int> EventLoop::run_once() noexcept {
    epoll_event events[32];
    // Deferred work: only look at what is pending, never block.
    int count = ::epoll_wait(epoll_.get(), events, 32, deferred_.empty() ? -1 : 0);
    if (count < 0) {
        if (errno != EINTR) return std::unexpected(errno);
        count = 0;
    }
    for (int i = 0; i < count; ++i) {
        std::uint64_t data = events[i].data.u64;
        if (data == kTimerTag) {
            std::uint64_t expirations;
            // Drain the timerfd; EAGAIN means a re-arm raced with the expiry.
            if (::read(timer_.get(), &expirations, sizeof expirations) == sizeof expirations && timer_handler_)
                guard("the timer handler", [&] { timer_handler_(); });
            continue;
        }
        int fd = static_cast<int>(data & 0xffffffffU);
        auto generation = static_cast<std::uint32_t>(data >> 32);
        auto it = handlers_.find(fd);
        if (it == handlers_.end() || it->second.generation != generation) continue;
        auto handler = it->second.handler;  // keeps it alive if it removes itself
        char where[48];
        std::snprintf(where, sizeof where, "the handler of fd %d", fd);
        guard(where, [&] { (*handler)(events[i].events); });
    }
    // Tasks deferred by these ones wait for the next round.
    std::vector<std::function<void()>> tasks;
    tasks.swap(deferred_);
    for (auto& task : tasks) guard("a deferred task", [&] { task(); });
    if (after_round_) guard("the end of a round", [&] { after_round_(); });
    return {};
}

}  // namespace tend::sys
