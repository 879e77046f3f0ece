// Proves: docs/behaviour.md#signals
// SIGHUP, SIGUSR1, SIGUSR2 and SIGWINCH sent to tend reach
// the primary; with --forward-signals SIGTERM goes to the primary too and the
// shutdown waits for it to exit.
#include <signal.h>

#include <thread>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

TEST(Signals, HupUsr1Usr2WinchReachThePrimaryCmd) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    // Short sleeps so a trap runs soon after its signal (a shell runs traps
    // between commands).
    const std::string cmd =
        "for s in HUP USR1 USR2 WINCH; do trap \"echo $s >> \\\"\\$OUT/signals\\\"\" $s; done\n"
        "echo up > \"$OUT/cmd.up\"\n"
        "while :; do sleep 0.05; done\n";
    sandbox.service("svc").run("exec sleep 1000\n");
    TendProcess tend(sandbox, {.command = sandbox.sh(cmd)});
    ASSERT_TRUE(wait_for_file(sandbox.out("cmd.up"), 10s)) << tend.current_err();

    std::vector<std::string> expected;
    for (auto [signo, name] : {std::pair{SIGHUP, "HUP"}, std::pair{SIGUSR1, "USR1"},
                               std::pair{SIGUSR2, "USR2"}, std::pair{SIGWINCH, "WINCH"}}) {
        ASSERT_TRUE(tend.signal(signo)) << name;
        expected.emplace_back(name);
        EXPECT_TRUE(wait_for_lines(sandbox.out("signals"), expected.size(), 5s))
            << name << " did not reach the CMD\n" << tend.current_err();
        EXPECT_TRUE(tend.running()) << name << " must not stop tend";
    }
    EXPECT_EQ(read_lines(sandbox.out("signals")), expected);

    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 143) << "the CMD dies of the shutdown's SIGTERM\n" << r.diagnostics();
}

TEST(Signals, HupReachesAPrimaryService) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("main").flag("primary").run(
        "trap 'echo HUP >> \"$OUT/signals\"' HUP\n"
        "echo up > \"$OUT/main.up\"\n"
        "while :; do sleep 0.05; done\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("main.up"), 10s)) << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGHUP));
    EXPECT_TRUE(wait_for_lines(sandbox.out("signals"), 1, 5s)) << tend.current_err();
    EXPECT_TRUE(tend.running());
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("signals")), std::vector<std::string>{"HUP"});
}

struct ForwardCase {
    const char* name;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;

    friend void PrintTo(const ForwardCase& c, std::ostream* os) { *os << c.name; }
};

class ForwardSignals : public ::testing::TestWithParam<ForwardCase> {};

// Without forwarding the CMD would get the SIGTERM too (the primary is
// stopped first), so what proves forwarding is that tend then waits: the
// services keep running until the CMD chooses to exit.
TEST_P(ForwardSignals, SigtermGoesToTheCmdAndShutdownWaitsForItsExit) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc").run(
        sh_stoppable_service());
    // On SIGTERM the CMD only notes it; it exits 0 when the test says so.
    const std::string cmd =
        "trap 'echo TERM >> \"$OUT/cmd.term\"' TERM\n"
        "echo up > \"$OUT/cmd.up\"\n"
        "while [ ! -e \"$OUT/go\" ]; do sleep 0.02; done\n"
        "exit 0\n";
    TendProcess tend(sandbox,
                     {.args = GetParam().args, .command = sandbox.sh(cmd), .env = GetParam().env});
    ASSERT_TRUE(wait_for_file(sandbox.out("cmd.up"), 10s)) << tend.current_err();
    ASSERT_TRUE(wait_for_file(sandbox.out("svc.up"), 10s)) << tend.current_err();

    ASSERT_TRUE(tend.signal(SIGTERM));
    EXPECT_TRUE(wait_for_file(sandbox.out("cmd.term"), 5s)) << "SIGTERM was not forwarded\n"
                                                            << tend.current_err();
    // The signal is handled once tend says where it went; a wrong tend says
    // "shutting down" instead and stops the services.
    EXPECT_TRUE(tend.wait_for_err("forwarding SIGTERM to the primary", 5s)) << tend.current_err();
    EXPECT_FALSE(contains(tend.current_err(), "shutting down")) << tend.current_err();
    EXPECT_TRUE(tend.running()) << "with --forward-signals tend must wait for the CMD";
    EXPECT_FALSE(file_exists(sandbox.out("svc.stopped")))
        << "services must keep running until the CMD exits";

    write_file(sandbox.out("go"), "go\n");
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << "the CMD's own exit code\n" << r.diagnostics();
    EXPECT_TRUE(file_exists(sandbox.out("svc.stopped"))) << "the shutdown after the CMD's exit\n"
                                                         << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("cmd.term")), std::vector<std::string>{"TERM"});
}

INSTANTIATE_TEST_SUITE_P(
    Spellings, ForwardSignals,
    ::testing::Values(ForwardCase{"Option", {"--forward-signals"}, {}},
                      ForwardCase{"EnvironmentTwin", {}, {{"TEND_FORWARD_SIGNALS", "1"}}}),
    ParamName{});

}  // namespace
}  // namespace tend::itest
