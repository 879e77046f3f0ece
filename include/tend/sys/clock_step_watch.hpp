// Notices steps of the wall clock (settimeofday, clock_settime, an NTP step,
// a resume from suspend).
//
// Scheduled services turn wall-clock instants into deadlines on the loop's
// monotonic timerfd; a step of CLOCK_REALTIME makes those deadlines wrong. A
// second timerfd, on CLOCK_REALTIME with TFD_TIMER_CANCEL_ON_SET and armed
// for a time that never comes, is the kernel's way to say so: it never
// expires (no wakeups), and when the clock is set its read fails with
// ECANCELED. The loop's own timerfd stays monotonic, because every other
// deadline of tend (backoff, timeouts) must not move with the wall clock.
#pragma once

#include <expected>

#include "tend/sys/fd.hpp"

namespace tend::sys {

class ClockStepWatch {
public:
    // Setup: may fail (errno), e.g. on a kernel without timerfd.
    static std::expected<ClockStepWatch, int> create();

    int fd() const { return fd_.get(); }
    // After fd() became readable: true when the clock was set. Re-arms itself.
    bool consume();

private:
    explicit ClockStepWatch(UniqueFd fd) : fd_(std::move(fd)) {}
    bool arm();

    UniqueFd fd_;
};

}  // namespace tend::sys
