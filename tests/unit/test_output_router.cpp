// OutputRouter with a real event loop over pipes and a fake clock: what
// reaches tend's stdout/stderr, when a partial line is flushed, that the
// timer is armed only while one waits, and what the exit drain reports.
#include "fake_clock.hpp"
#include "tend/log/output_router.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace tend::log {
namespace {

using core::Duration;

sys::Pipe nonblocking_pipe() {
    auto pipe = sys::make_pipe(O_NONBLOCK);
    EXPECT_TRUE(pipe.has_value());
    return std::move(*pipe);
}

std::string read_all(int fd) {
    std::string got;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            got.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        return got;
    }
}

void write_all(int fd, std::string_view data) {
    ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
}

// A router writing to two pipes the test reads, with one service "web".
struct RouterFixture {
    explicit RouterFixture(bool prefix) {
        auto created = sys::EventLoop::create();
        EXPECT_TRUE(created.has_value());
        loop.emplace(std::move(*created));
        out = nonblocking_pipe();
        err = nonblocking_pipe();
        router = std::make_unique<OutputRouter>(*loop, clock, prefix, std::move(out.write), std::move(err.write));
        web = router->add_writer("web");
        web_out = nonblocking_pipe();
        web_err = nonblocking_pipe();
        router->add_source(web, std::move(web_out.read), Stream::Out);
        router->add_source(web, std::move(web_err.read), Stream::Err);
    }
    // One loop iteration; only called when something is ready (no timeout).
    void turn() { ASSERT_TRUE(loop->run_once().has_value()); }

    core::FakeClock clock;
    std::optional<sys::EventLoop> loop;
    sys::Pipe out, err;
    std::unique_ptr<OutputRouter> router;
    OutputRouter::WriterId web = 0;
    sys::Pipe web_out, web_err;
};

TEST(OutputRouter, UnprefixedByDefaultEachStreamToItsOwn) {
    RouterFixture f(false);
    write_all(f.web_out.write.get(), "hello\nworld\n");
    f.turn();
    write_all(f.web_err.write.get(), "oops\n");
    f.turn();
    EXPECT_EQ(read_all(f.out.read.get()), "hello\nworld\n");
    EXPECT_EQ(read_all(f.err.read.get()), "oops\n");
    EXPECT_EQ(f.router->next_deadline(), std::nullopt) << "no partial line: no timer";
}

TEST(OutputRouter, PrefixesWithTheWritersName) {
    RouterFixture f(true);
    write_all(f.web_out.write.get(), "hello\n\n");
    f.turn();
    EXPECT_EQ(read_all(f.out.read.get()), "web | hello\nweb |\n");
}

TEST(OutputRouter, UnprefixedWriterStaysUnprefixedWithLogPrefix) {
    RouterFixture f(true);
    auto cmd = f.router->add_writer("the CMD", false);
    auto pipe = nonblocking_pipe();
    f.router->add_source(cmd, std::move(pipe.read), Stream::Out);
    write_all(pipe.write.get(), "plain\n");
    f.turn();
    EXPECT_EQ(read_all(f.out.read.get()), "plain\n");
}

// An overlapping run's own pipe (SourceEnd::EndOfFile): the exit of another
// process of the same writer leaves its partial line waiting; the run's own
// end of file flushes it.
TEST(OutputRouter, ARunsOwnPipeKeepsItsPartialLineWhenTheWriterExitsAndFlushesItAtItsEnd) {
    RouterFixture f(true);
    auto run = nonblocking_pipe();
    f.router->add_source(f.web, std::move(run.read), Stream::Out, OutputRouter::SourceEnd::EndOfFile);
    write_all(run.write.get(), "half");
    f.turn();
    write_all(f.web_out.write.get(), "shared half");
    f.turn();
    f.router->writer_exited(f.web);
    EXPECT_EQ(read_all(f.out.read.get()), "web | shared half\n") << "only the shared pipe's line is cut";
    write_all(run.write.get(), " and the rest");
    f.turn();
    run.write.reset();
    f.turn();
    EXPECT_EQ(read_all(f.out.read.get()), "web | half and the rest\n");
}

TEST(OutputRouter, PartialLineWaitsOneSecondThenIsFlushed) {
    RouterFixture f(false);
    write_all(f.web_out.write.get(), "done\nprompt> ");
    f.turn();
    EXPECT_EQ(read_all(f.out.read.get()), "done\n");
    const core::TimePoint written = f.clock.now();
    ASSERT_EQ(f.router->next_deadline(), written + kPartialLineWait);

    f.clock.advance(Duration{999});
    f.router->on_timer();
    EXPECT_EQ(read_all(f.out.read.get()), "") << "flushed before the second was up";

    f.clock.advance(Duration{1});
    f.router->on_timer();
    EXPECT_EQ(read_all(f.out.read.get()), "prompt> \n");
    EXPECT_EQ(f.router->next_deadline(), std::nullopt) << "nothing waits: the timer must be off";
}

// The newline arrived in the pipe but was not read yet when the timer fires:
// the line stays whole.
TEST(OutputRouter, TimerReadsThePipeBeforeFlushing) {
    RouterFixture f(false);
    write_all(f.web_out.write.get(), "half");
    f.turn();
    write_all(f.web_out.write.get(), " and the rest\n");
    f.clock.advance(kPartialLineWait);
    f.router->on_timer();
    EXPECT_EQ(read_all(f.out.read.get()), "half and the rest\n");
    EXPECT_EQ(f.router->next_deadline(), std::nullopt);
}

// A read that completes a waiting line and leaves a new partial one: the new
// one waits its own full second.
TEST(OutputRouter, ANewPartialLineWaitsAFreshSecond) {
    RouterFixture f(false);
    write_all(f.web_out.write.get(), "old");
    f.turn();
    f.clock.advance(Duration{900});
    write_all(f.web_out.write.get(), " line\nnew");
    f.turn();
    EXPECT_EQ(read_all(f.out.read.get()), "old line\n");
    EXPECT_EQ(f.router->next_deadline(), f.clock.now() + kPartialLineWait);
    f.clock.advance(Duration{100});
    f.router->on_timer();
    EXPECT_EQ(read_all(f.out.read.get()), "") << "the new partial line was cut after 0.1 s";
}

TEST(OutputRouter, WriterExitFlushesItsPartialLineOnceThePipeIsEmpty) {
    RouterFixture f(true);
    write_all(f.web_err.write.get(), "last words");
    f.turn();
    EXPECT_EQ(read_all(f.err.read.get()), "");
    f.router->writer_exited(f.web);
    EXPECT_EQ(read_all(f.err.read.get()), "web | last words\n");
    EXPECT_EQ(f.router->next_deadline(), std::nullopt);
    // The pipe stays: the next start of the service writes to it again.
    write_all(f.web_err.write.get(), "again\n");
    f.turn();
    EXPECT_EQ(read_all(f.err.read.get()), "web | again\n");
}

TEST(OutputRouter, WriterExitReadsWhatIsStillInThePipeFirst) {
    RouterFixture f(false);
    write_all(f.web_out.write.get(), "one line\nand a half");
    f.router->writer_exited(f.web);
    EXPECT_EQ(read_all(f.out.read.get()), "one line\nand a half\n");
}

TEST(OutputRouter, OwnLinesShareTheStderrQueue) {
    RouterFixture f(true);
    write_all(f.web_err.write.get(), "service line\n");
    f.turn();
    f.router->write_own_line("tend: info: something\n");
    EXPECT_EQ(read_all(f.err.read.get()), "web | service line\ntend: info: something\n");
}

TEST(OutputRouter, DrainWritesEverythingAndReportsNothingWhenTheReaderKeepsUp) {
    RouterFixture f(false);
    write_all(f.web_out.write.get(), "a\nb\nunfinished");
    auto result = f.router->drain_all(Duration{1000});
    EXPECT_TRUE(result.dropped.empty());
    EXPECT_FALSE(result.out_of_time);
    EXPECT_EQ(read_all(f.out.read.get()), "a\nb\nunfinished\n");
}

// Nobody reads tend's stdout: the drain gives up at the limit and names
// every byte it did not write, by service.
TEST(OutputRouter, DrainReportsWhatItCouldNotWriteInTimeByWriter) {
    RouterFixture f(false);
    auto db = f.router->add_writer("db");
    auto db_out = nonblocking_pipe();
    f.router->add_source(db, std::move(db_out.read), Stream::Out);
    // Fill tend's stdout pipe so nothing more can be written.
    const std::string block(4096, 'x');
    std::size_t filler = 0;
    {
        // The router owns the write end; fill it through /proc/self/fd of the read end's pipe.
        int fill = ::open(("/proc/self/fd/" + std::to_string(f.out.read.get())).c_str(), O_WRONLY | O_NONBLOCK);
        ASSERT_GE(fill, 0);
        while (::write(fill, block.data(), block.size()) > 0) filler += block.size();
        ::close(fill);
    }
    const std::string web_text = "web line\n";
    const std::string db_text = "db line\npartial";
    write_all(f.web_out.write.get(), web_text);
    write_all(db_out.write.get(), db_text);

    auto result = f.router->drain_all(Duration{0});
    EXPECT_TRUE(result.out_of_time);
    EXPECT_FALSE(result.write_failed);
    ASSERT_EQ(result.dropped.size(), 2u);
    EXPECT_EQ(result.dropped[0].first, "web");
    EXPECT_EQ(result.dropped[0].second, web_text.size());
    EXPECT_EQ(result.dropped[1].first, "db");
    EXPECT_EQ(result.dropped[1].second, db_text.size() + 1) << "the partial line gets its newline";
    EXPECT_EQ(read_all(f.out.read.get()).size(), filler) << "nothing of the services' output was written";
}

TEST(OutputRouter, DrainReportsBytesAClosedStdoutRefused) {
    ::signal(SIGPIPE, SIG_IGN);  // as tend, which blocks it: EPIPE instead of death
    RouterFixture f(false);
    f.out.read.reset();
    write_all(f.web_out.write.get(), "to nobody\n");
    auto result = f.router->drain_all(Duration{100});
    EXPECT_TRUE(result.write_failed);
    ASSERT_EQ(result.dropped.size(), 1u);
    EXPECT_EQ(result.dropped[0].first, "web");
    EXPECT_EQ(result.dropped[0].second, 10u);
    ::signal(SIGPIPE, SIG_DFL);
}

// While tend's stdout is full the pipes are not read, and no partial-line
// timer runs (its newline may be waiting in the pipe; the loop must not spin).
TEST(OutputRouter, NoTimerWhilePaused) {
    RouterFixture f(false);
    write_all(f.web_out.write.get(), "waiting");
    f.turn();
    ASSERT_TRUE(f.router->next_deadline().has_value());
    // A huge line set fills tend's stdout pipe and then the queue.
    int fill = ::open(("/proc/self/fd/" + std::to_string(f.out.read.get())).c_str(), O_WRONLY | O_NONBLOCK);
    ASSERT_GE(fill, 0);
    const std::string block(4096, 'x');
    while (::write(fill, block.data(), block.size()) > 0) {
    }
    ::close(fill);
    const std::string line(1000, 'y');
    while (!f.router->paused()) {
        write_all(f.web_out.write.get(), "\n" + line);
        f.turn();
    }
    EXPECT_EQ(f.router->next_deadline(), std::nullopt);
}

}  // namespace
}  // namespace tend::log
