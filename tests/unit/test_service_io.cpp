// ServiceIo: a service's fds with tend, seen from the fds themselves.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tend/core/clock.hpp"
#include "tend/core/service_io.hpp"
#include "tend/sys/event_loop.hpp"

namespace tend {
namespace {

class ServiceIoTest : public ::testing::Test {
protected:
    void SetUp() override { loop.emplace(std::move(*sys::EventLoop::create())); }

    core::ServiceIo& make() {
        io.emplace(*loop, nullptr, "app", core::ServiceIo::Owner{::geteuid(), ::getegid()}, [this] { ++readies; });
        return *io;
    }
    // One round of the loop, bounded by a timer so that a lost event fails the test instead of hanging it.
    void round(core::Duration bound = core::Duration{2000}) {
        loop->set_timer(core::MonotonicClock().now() + bound);
        ASSERT_TRUE(loop->run_once());
    }

    std::optional<sys::EventLoop> loop;
    std::optional<core::ServiceIo> io;
    int readies = 0;
};

TEST_F(ServiceIoTest, ANewlineOnTheNotificationFdMakesTheServiceReadyOnceAndClosesIt) {
    auto& service = make();
    process::SpawnPlan plan;
    sys::UniqueFd write_end = service.open_notification(plan, 3);
    ASSERT_TRUE(write_end);
    EXPECT_EQ(plan.notification_fd_number, 3);
    EXPECT_EQ(plan.notification_fd, write_end.get());
    service.watch_notification();
    ASSERT_EQ(::write(write_end.get(), "rea", 3), 3);
    round();
    EXPECT_EQ(readies, 0) << "bytes without a newline are not readiness";
    ASSERT_EQ(::write(write_end.get(), "dy\n", 3), 3);
    round();
    EXPECT_EQ(readies, 1);
    // The read end is gone: the writer now gets EPIPE, and no second readiness can come.
    ::signal(SIGPIPE, SIG_IGN);
    EXPECT_EQ(::write(write_end.get(), "\n", 1), -1);
    EXPECT_EQ(errno, EPIPE);
}

TEST_F(ServiceIoTest, EofWithoutANewlineNeverMakesTheServiceReady) {
    auto& service = make();
    process::SpawnPlan plan;
    sys::UniqueFd write_end = service.open_notification(plan, 5);
    service.watch_notification();
    ASSERT_EQ(::write(write_end.get(), "no newline", 10), 10);
    write_end.reset();
    round();
    EXPECT_EQ(readies, 0);
}

TEST_F(ServiceIoTest, AFloodWithoutANewlineIsNoLongerReadButStaysOpenSoTheWriterBlocksInsteadOfDying) {
    auto& service = make();
    process::SpawnPlan plan;
    sys::UniqueFd write_end = service.open_notification(plan, 3);
    service.watch_notification();
    ::fcntl(write_end.get(), F_SETFL, O_NONBLOCK);
    const std::string chunk(4096, 'x');
    std::size_t written = 0;
    // Fill the pipe, let tend read, again, until a round frees no room: tend
    // has stopped reading and the pipe stays full (the writer would block).
    for (std::size_t before_round = static_cast<std::size_t>(-1); written != before_round && written < 1024 * 1024;) {
        ssize_t n;
        while ((n = ::write(write_end.get(), chunk.data(), chunk.size())) > 0) written += static_cast<std::size_t>(n);
        ASSERT_EQ(errno, EAGAIN) << "the read end was closed under a flooding writer";
        before_round = written;
        round(core::Duration{200});  // the last round has nothing to read: it ends by the timer
        while ((n = ::write(write_end.get(), chunk.data(), chunk.size())) > 0) written += static_cast<std::size_t>(n);
    }
    EXPECT_GT(written, 64u * 1024) << "tend read less than its limit";
    EXPECT_LT(written, 512u * 1024) << "tend kept reading past its limit";
    EXPECT_EQ(readies, 0);
}

TEST_F(ServiceIoTest, TheLogPipeIsMadeOnceAboveFdTwoAndOffTheLoggersNotificationFd) {
    auto& logger = make();
    // The logger's notification fd is the number a new pipe's read end gets
    // (the lowest free fd), as with s6-log -d3 in a process with 0..2 open.
    const int lowest_free = ::dup(0);
    ASSERT_GE(lowest_free, 3);
    ::close(lowest_free);
    process::SpawnPlan producer;
    process::SpawnPlan logger_plan;
    ASSERT_TRUE(logger.attach_log_stdout(producer, {::geteuid(), ::getegid()}, lowest_free));
    ASSERT_TRUE(logger.attach_log_stdin(logger_plan, {::geteuid(), ::getegid()}, lowest_free));
    EXPECT_EQ(logger_plan.stdin_fd, logger.log_pipe_read_end());
    EXPECT_EQ(producer.stdout_fd, logger.log_pipe_write_end());
    EXPECT_GE(logger.log_pipe_read_end(), 3);
    EXPECT_NE(logger.log_pipe_read_end(), lowest_free) << "the read end took the logger's notification-fd number";
    EXPECT_GE(logger.log_pipe_write_end(), 3);
    EXPECT_TRUE(::fcntl(logger.log_pipe_read_end(), F_GETFD) & FD_CLOEXEC);
    EXPECT_TRUE(::fcntl(logger.log_pipe_write_end(), F_GETFD) & FD_CLOEXEC);

    ASSERT_EQ(::write(producer.stdout_fd, "line\n", 5), 5);
    EXPECT_EQ(logger.unread_log_bytes(), 5u);
    process::SpawnPlan again;
    ASSERT_TRUE(logger.attach_log_stdout(again, {::geteuid(), ::getegid()}, lowest_free));
    EXPECT_EQ(again.stdout_fd, producer.stdout_fd) << "a restart got a new pipe and lost what was in the old one";
}

TEST_F(ServiceIoTest, WithoutARouterTheChildKeepsTendsOwnOutput) {
    auto& service = make();
    process::SpawnPlan plan;
    const int stdout_before = plan.stdout_fd;
    const int stderr_before = plan.stderr_fd;
    EXPECT_TRUE(service.attach_output(plan));
    EXPECT_EQ(plan.stdout_fd, stdout_before);
    EXPECT_EQ(plan.stderr_fd, stderr_before);
}

}  // namespace
}  // namespace tend
