// A clock the unit tests move by hand, so every delay is checked exactly.
#pragma once

#include "tend/core/clock.hpp"

namespace tend::core {

class FakeClock final : public Clock {
public:
    TimePoint now() const override { return now_; }
    void advance(TimePoint::duration by) { now_ += by; }
    void set(TimePoint at) { now_ = at; }

private:
    TimePoint now_{Duration{1'000'000}};
};

}  // namespace tend::core
