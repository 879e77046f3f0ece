#include "tend/sys/event_loop.hpp"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

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

void EventLoop::set_timer(std::optional<core::TimePoint> deadline) {
    itimerspec spec{};
    if (deadline) {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline->time_since_epoch()).count();
        if (ns <= 0) ns = 1;  // zero would disarm
        spec.it_value.tv_sec = ns / 1'000'000'000;
        spec.it_value.tv_nsec = ns % 1'000'000'000;
    }
    ::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

std::expected<void, int> EventLoop::run_once() {
    epoll_event events[32];
    // Deferred work: only look at what is pending, never block.
    int count = ::epoll_wait(epoll_.get(), events, 32, deferred_.empty() ? -1 : 0);
    if (count < 0) {
        if (errno == EINTR) return {};
        return std::unexpected(errno);
    }
    for (int i = 0; i < count; ++i) {
        std::uint64_t data = events[i].data.u64;
        if (data == kTimerTag) {
            std::uint64_t expirations;
            // Drain the timerfd; EAGAIN means a re-arm raced with the expiry.
            if (::read(timer_.get(), &expirations, sizeof expirations) == sizeof expirations && timer_handler_)
                timer_handler_();
            continue;
        }
        int fd = static_cast<int>(data & 0xffffffffU);
        auto generation = static_cast<std::uint32_t>(data >> 32);
        auto it = handlers_.find(fd);
        if (it == handlers_.end() || it->second.generation != generation) continue;
        auto handler = it->second.handler;  // keeps it alive if it removes itself
        (*handler)(events[i].events);
    }
    // Tasks deferred by these ones wait for the next round.
    std::vector<std::function<void()>> tasks;
    tasks.swap(deferred_);
    for (auto& task : tasks) task();
    return {};
}

}  // namespace tend::sys
