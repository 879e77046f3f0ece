// The wall clock (CLOCK_REALTIME), behind an interface so unit tests set it.
//
// Schedules are due at instants of the wall clock; everything else in tend
// runs on the monotonic clock (sys/clock.hpp). The wall clock can be stepped
// (settimeofday, NTP): sys/clock_step_watch.hpp notices, and whoever keeps
// wall-clock deadlines recomputes them.
#pragma once

#include <chrono>

namespace tend::time {

using WallTime = std::chrono::sys_time<std::chrono::milliseconds>;

class WallClock {
public:
    virtual ~WallClock() = default;
    virtual WallTime now() const = 0;
};

class SystemWallClock final : public WallClock {
public:
    WallTime now() const override {
        return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    }
};

class FakeWallClock final : public WallClock {
public:
    WallTime now() const override { return now_; }
    void set(WallTime at) { now_ = at; }
    void advance(std::chrono::milliseconds by) { now_ += by; }

private:
    WallTime now_{};
};

}  // namespace tend::time
