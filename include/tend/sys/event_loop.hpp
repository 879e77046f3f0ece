// The one event loop: epoll over signalfd, pipes and a single timerfd.
//
// tend never polls: the loop blocks in epoll_wait with no timeout, and the
// timerfd is armed only for the earliest deadline someone asked for, so an
// idle tend makes zero wakeups. Handlers are looked up at dispatch time with
// a generation tag, so a handler removed (and its fd number reused) by an
// earlier handler of the same batch is never called with a stale event.
//
// The failure policy of the event path lives here, in one place: every
// handler, timer handler, deferred task and after-round hook is called
// through guard(). An exception escaping one is reported to the failure
// handler (tend logs it with its cause) and the loop goes on with the next;
// std::bad_alloc is reported as out of memory, on which tend starts a
// graceful shutdown. Nothing a handler throws reaches main.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tend/sys/clock.hpp"
#include "tend/sys/fd.hpp"

namespace tend::sys {

class EventLoop {
public:
    using Handler = std::function<void(std::uint32_t events)>;

    // Creates the epoll fd and the timerfd. Setup phase: may fail.
    static std::expected<EventLoop, int> create();

    EventLoop(EventLoop&&) = default;
    EventLoop& operator=(EventLoop&&) = default;

    // Watches `fd` (which the caller keeps open) for `events` (EPOLLIN, ...).
    // Returns errno on failure.
    std::expected<void, int> add(int fd, std::uint32_t events, Handler handler);
    std::expected<void, int> modify(int fd, std::uint32_t events);
    void remove(int fd);

    // Arms the timer for an absolute monotonic deadline (nullopt disarms).
    // When it fires, the timer handler runs once.
    void set_timer(std::optional<sys::TimePoint> deadline);
    void on_timer(std::function<void()> handler) { timer_handler_ = std::move(handler); }

    // Runs `task` once, after the events that are already pending (a signal
    // that arrived meanwhile is handled first). Long work (starting a
    // thousand services) is cut into batches this way so it yields to
    // signals; the loop does not block while a task is deferred.
    void defer(std::function<void()> task) { deferred_.push_back(std::move(task)); }

    // Runs at the end of every round, after the handlers and deferred tasks
    // (tend re-arms its timer here).
    void after_round(std::function<void()> hook) { after_round_ = std::move(hook); }

    // What a guarded call reports: `where` names the handler ("the handler
    // of fd 7", "the timer handler"), `cause` is the exception's what().
    struct Failure {
        std::string_view where;
        std::string_view cause;
        bool out_of_memory = false;
    };
    // Without one, failures are written to stderr as they are.
    void on_failure(std::function<void(const Failure&)> handler) { failure_handler_ = std::move(handler); }

    // Waits for events (blocking, no timeout) and dispatches them. EINTR is
    // not an error; other epoll errors are returned as errno. Never throws.
    std::expected<void, int> run_once() noexcept;

private:
    EventLoop() = default;

    // Calls `call`; what it throws is reported (see Failure) and swallowed.
    template <typename Call>
    void guard(std::string_view where, Call&& call) noexcept;
    void report(const Failure& failure) noexcept;

    struct Entry {
        std::uint32_t generation;
        std::shared_ptr<Handler> handler;
    };

    UniqueFd epoll_;
    UniqueFd timer_;
    std::function<void()> timer_handler_;
    std::unordered_map<int, Entry> handlers_;
    std::vector<std::function<void()>> deferred_;
    std::function<void()> after_round_;
    std::function<void(const Failure&)> failure_handler_;
    std::uint32_t next_generation_ = 1;
};

}  // namespace tend::sys
