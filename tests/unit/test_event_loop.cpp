// The event loop's failure policy: whatever a handler,
// timer handler, deferred task or end-of-round hook throws is reported once,
// with where and why, and the loop goes on; std::bad_alloc is reported as out
// of memory (tend then shuts down gracefully).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "tend/sys/event_loop.hpp"

using namespace tend;

namespace {

struct Reported {
    std::string where;
    std::string cause;
    bool out_of_memory;
};

class EventLoopFailures : public ::testing::Test {
protected:
    void SetUp() override {
        loop.emplace(std::move(*sys::EventLoop::create()));
        loop->on_failure([this](const sys::EventLoop::Failure& failure) {
            reported.push_back({std::string(failure.where), std::string(failure.cause), failure.out_of_memory});
        });
    }
    std::optional<sys::EventLoop> loop;
    std::vector<Reported> reported;
};

TEST_F(EventLoopFailures, AThrowingDeferredTaskIsReportedAndTheNextOneRuns) {
    bool second_ran = false;
    loop->defer([] { throw std::runtime_error("first failed"); });
    loop->defer([&] { second_ran = true; });
    ASSERT_TRUE(loop->run_once());
    EXPECT_TRUE(second_ran);
    ASSERT_EQ(reported.size(), 1U);
    EXPECT_EQ(reported[0].where, "a deferred task");
    EXPECT_EQ(reported[0].cause, "first failed");
    EXPECT_FALSE(reported[0].out_of_memory);
}

TEST_F(EventLoopFailures, BadAllocIsReportedAsOutOfMemory) {
    loop->defer([] { throw std::bad_alloc(); });
    ASSERT_TRUE(loop->run_once());
    ASSERT_EQ(reported.size(), 1U);
    EXPECT_TRUE(reported[0].out_of_memory);
    EXPECT_EQ(reported[0].cause, "out of memory");
}

TEST_F(EventLoopFailures, ANonStandardExceptionIsReportedToo) {
    loop->after_round([] { throw 42; });
    loop->defer([] {});  // a round that does not block
    ASSERT_TRUE(loop->run_once());
    ASSERT_EQ(reported.size(), 1U);
    EXPECT_EQ(reported[0].where, "the end of a round");
    EXPECT_EQ(reported[0].cause, "an exception that is not a std::exception");
}

TEST_F(EventLoopFailures, AThrowingFdHandlerDoesNotStopTheLoop) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    int calls = 0;
    ASSERT_TRUE(loop->add(fds[0], EPOLLIN, [&](std::uint32_t) -> void {
        char byte;
        if (::read(fds[0], &byte, 1) == 1) ++calls;
        throw std::runtime_error("handler failed");
    }));
    for (int round = 0; round < 3; ++round) {
        ASSERT_EQ(::write(fds[1], "x", 1), 1);
        ASSERT_TRUE(loop->run_once());
    }
    EXPECT_EQ(calls, 3);
    ASSERT_EQ(reported.size(), 3U);
    EXPECT_EQ(reported[2].where, "the handler of fd " + std::to_string(fds[0]));
    loop->remove(fds[0]);
    ::close(fds[0]);
    ::close(fds[1]);
}

// A failing failure handler (logging out of memory) still leaves the loop running.
TEST_F(EventLoopFailures, AFailingReportDoesNotEscape) {
    loop->on_failure([](const sys::EventLoop::Failure&) { throw std::bad_alloc(); });
    bool later = false;
    loop->defer([] { throw std::runtime_error("x"); });
    loop->defer([&] { later = true; });
    ASSERT_TRUE(loop->run_once());
    EXPECT_TRUE(later);
}

}  // namespace
