// The wall-clock step watch: armed with TFD_TIMER_CANCEL_ON_SET for a time
// that never comes, so without a clock change it is silent. Seeing it fire
// would need the clock set, which steps the whole machine's clock (no
// namespace isolates CLOCK_REALTIME): what follows a step (the deadlines
// recomputed) is tested with a fake wall clock in test_scheduled_services.
#include <poll.h>

#include <gtest/gtest.h>

#include "tend/sys/clock_step_watch.hpp"

namespace {

TEST(ClockStepWatch, IsSilentWhileNobodySetsTheClock) {
    auto watch = tend::sys::ClockStepWatch::create();
    ASSERT_TRUE(watch) << "timerfd with TFD_TIMER_CANCEL_ON_SET: errno " << watch.error();
    pollfd entry{watch->fd(), POLLIN, 0};
    EXPECT_EQ(::poll(&entry, 1, 0), 0) << "not readable without a clock step";
    EXPECT_FALSE(watch->consume()) << "nothing to read is not a step";
    EXPECT_EQ(::poll(&entry, 1, 0), 0);
}

}  // namespace
