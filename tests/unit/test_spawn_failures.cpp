// How spawn() names a failure before the child exists (issue 8: running out
// of fds while making the status pipe was reported as "cannot fork").
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "tend/process/spawn.hpp"

namespace {

using tend::process::SpawnStage;

// Runs spawn() in a forked child whose fd table is full, so the test process
// keeps its own fds; the child sends back the failure message.
std::string message_when_out_of_fds() {
    int report[2];
    if (::pipe(report) != 0) return "pipe failed";
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(report[0]);
        rlimit limit{64, 64};
        ::setrlimit(RLIMIT_NOFILE, &limit);
        while (::dup(report[1]) >= 0) {
        }
        std::string text;
        if (errno != EMFILE) {
            text = "could not fill the fd table";
        } else {
            tend::process::SpawnPlan plan;
            plan.executable = "/bin/true";
            plan.argv = {"true"};
            const auto spawned = tend::process::spawn(plan);
            if (spawned) text = "started";
            else text = (spawned.error().stage == SpawnStage::StatusPipe ? "stage=status-pipe " : "stage=other ") +
                        spawned.error().message();
        }
        [[maybe_unused]] ssize_t n = ::write(report[1], text.data(), text.size());
        ::_exit(0);
    }
    ::close(report[1]);
    std::string text;
    char buffer[512];
    ssize_t n;
    while ((n = ::read(report[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    ::close(report[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return text;
}

TEST(SpawnFailure, OutOfFdsForTheStatusPipeIsNotCalledAForkFailure) {
    const std::string message = message_when_out_of_fds();
    EXPECT_EQ(message, "stage=status-pipe cannot create the status pipe: Too many open files");
}

}  // namespace
