// Proves: docs/behaviour.md#stages, docs/service-directory.md#privilege-drop
// Services (and the CMD) see exactly fds 0, 1 and 2, even when
// tend itself was started with extra inherited fds; tend closes those too.
#include <signal.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

// Targets of tend's own open fds (readlink of /proc/<pid>/fd/N).
std::vector<std::string> fd_targets(pid_t pid) {
    std::vector<std::string> targets;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fmt::format("/proc/{}/fd", pid), ec)) {
        std::error_code link_ec;
        targets.push_back(fs::read_symlink(entry.path(), link_ec).string());
    }
    return targets;
}

TEST(FileDescriptors, ServiceAndCmdSeeExactlyStdioAndInheritedFdsAreClosed) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path inherited = sandbox.root() / "inherited-fd-marker";
    write_file(inherited, "tend must close me\n");

    // The helper is exec'd directly, so nothing of a shell's own fds (dash
    // keeps the script open) muddies the listing.
    sandbox.service("svc")
        .restart("never")
        .run("exec " + helper_shell_command({"fds", sandbox.out("svc.fds").string()}) + "\n");
    // The CMD reports, then holds on until the test has looked at tend's fds.
    const std::string cmd = sh_wait_for_file("\"$OUT/svc.fds\"") +
                            "( exec " + helper_shell_command({"fds", sandbox.out("cmd.fds").string()}) +
                            " )\n"
                            "echo ready > \"$OUT/cmd.ready\"\n" +
                            sh_wait_for_file("\"$OUT/go\"") + "exit 0\n";
    TendProcess tend(sandbox, {.command = sandbox.sh(cmd), .inherit_fd7 = inherited});

    ASSERT_TRUE(wait_for_file(sandbox.out("cmd.ready"), 10s)) << tend.current_err();
    const pid_t tend_pid = tend.tend_pid();
    ASSERT_GT(tend_pid, 0);
    const auto targets = fd_targets(tend_pid);
    write_file(sandbox.out("go"), "go\n");
    RunResult r = tend.wait();

    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("svc.fds")), "0 1 2\n") << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("cmd.fds")), "0 1 2\n") << r.diagnostics();
    ASSERT_FALSE(targets.empty());
    for (const auto& target : targets)
        EXPECT_NE(target, inherited.string()) << "tend kept the inherited fd 7 open";
}

// tend itself closes fds >= 3 at start; the same guarantee holds without a
// CMD, through the services' start path alone (no inherited fd here, so this
// catches fds tend opens itself: signalfd, epoll, pipes, /etc files).
TEST(FileDescriptors, TendsOwnFdsNeverReachAService) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("first").run("echo > \"$OUT/first.up\"\nexec sleep 1000\n");
    sandbox.service("second")
        .user("nobody")
        .restart("never")
        .run("exec " +
             sandbox.helper_shell_command_for_any_user({"fds", sandbox.out("second.fds").string()}) +
             "\n");
    TendProcess tend(sandbox);
    EXPECT_TRUE(wait_for_file(sandbox.out("second.fds"), 10s)) << tend.current_err();
    EXPECT_TRUE(wait_for_file(sandbox.out("first.up"), 10s)) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("second.fds")), "0 1 2\n") << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
