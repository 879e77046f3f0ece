// The clock types under core's names (they live in sys/clock.hpp, the lowest
// layer, so the layers below core use them too).
#pragma once

#include "tend/sys/clock.hpp"

namespace tend::core {

using sys::Clock;
using sys::Duration;
using sys::MonotonicClock;
using sys::TimePoint;

}  // namespace tend::core
