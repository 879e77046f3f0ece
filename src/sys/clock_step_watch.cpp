#include "tend/sys/clock_step_watch.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace tend::sys {
namespace {
// 2200-01-01 UTC: far enough to never expire, below the kernel's ktime limit (2262).
constexpr time_t kNever = 7'258'118'400;
}  // namespace

std::expected<ClockStepWatch, int> ClockStepWatch::create() {
    UniqueFd fd(::timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!fd) return std::unexpected(errno);
    ClockStepWatch watch(std::move(fd));
    if (!watch.arm()) return std::unexpected(errno);
    return watch;
}

bool ClockStepWatch::arm() {
    itimerspec spec{};
    spec.it_value.tv_sec = kNever;
    return ::timerfd_settime(fd_.get(), TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec, nullptr) == 0;
}

bool ClockStepWatch::consume() {
    std::uint64_t expirations = 0;
    ssize_t n = ::read(fd_.get(), &expirations, sizeof expirations);
    const bool stepped = n < 0 && errno == ECANCELED;
    // A cancelled timer stays cancelled until set again; an expiry (a clock
    // set past 2200) needs re-arming as well.
    if (stepped || n == static_cast<ssize_t>(sizeof expirations)) arm();
    return stepped;
}

}  // namespace tend::sys
