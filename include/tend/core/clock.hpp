// Time for the state machines. The real clock is CLOCK_MONOTONIC (what
// std::chrono::steady_clock reads on Linux, and what the timerfd uses); unit
// tests drive a FakeClock so every delay is checked exactly, without sleeping.
#pragma once

#include <chrono>

namespace tend::core {

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

class FakeClock final : public Clock {
public:
    TimePoint now() const override { return now_; }
    void advance(Duration by) { now_ += by; }
    void set(TimePoint at) { now_ = at; }

private:
    TimePoint now_{Duration{1'000'000}};
};

}  // namespace tend::core
