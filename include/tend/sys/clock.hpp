// Time for the state machines. The real clock is CLOCK_MONOTONIC (what
// std::chrono::steady_clock reads on Linux, and what the timerfd uses); unit
// tests drive a fake clock (tests/unit/fake_clock.hpp) so every delay is
// checked exactly, without sleeping. In sys, the lowest layer, so the event
// loop, the output router and the control server use it without core.
#pragma once

#include <chrono>

namespace tend::sys {

// Durations are configured and reported in milliseconds; instants are kept
// to the microsecond, so that "restart 100 ms after the exit" is 100 ms after
// the exit, not after the exit's millisecond rounded down (up to 1 ms early).
using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, std::chrono::microseconds>;

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

class MonotonicClock final : public Clock {
public:
    TimePoint now() const override {
        return std::chrono::time_point_cast<TimePoint::duration>(std::chrono::steady_clock::now());
    }
};

}  // namespace tend::sys
