// Time for the state machines. The real clock is CLOCK_MONOTONIC (what
// std::chrono::steady_clock reads on Linux, and what the timerfd uses); unit
// tests drive a fake clock (tests/unit/fake_clock.hpp) so every delay is
// checked exactly, without sleeping. In sys, the lowest layer, so the event
// loop, the output router and the control server use it without core.
#pragma once

#include <chrono>

namespace tend::sys {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

class MonotonicClock final : public Clock {
public:
    TimePoint now() const override {
        return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
    }
};

}  // namespace tend::sys
