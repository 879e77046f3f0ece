// Proves: docs/behaviour.md#stages, docs/behaviour.md#shutdown-timing
// Shutdown stops every service's process group, SIGKILLs a
// stubborn one after its timeout-kill, runs cont-finish, kills whatever
// escaped with kill(-1) (PID 1 only), exits with the spec's code, and takes
// milliseconds when everything cooperates.
#include <signal.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

// A cont-finish script that reports, for each pid file given, whether that
// process is still alive while cont-finish runs (after the services stage).
std::string alive_report_script(const std::vector<std::string>& pid_files) {
    std::string script;
    for (const auto& file : pid_files)
        script += fmt::format(
            "if kill -0 \"$(cat \"$OUT/{0}\")\" 2>/dev/null; then echo \"{0} alive\"; "
            "else echo \"{0} gone\"; fi >> \"$OUT/at-cont-finish\"\n",
            file);
    return script;
}

std::chrono::milliseconds ms(Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

// Sends `signo` to tend and returns the result plus the time from the signal
// to tend's exit.
std::pair<RunResult, Clock::duration> stop_with(TendProcess& tend, int signo) {
    const auto sent = Clock::now();
    EXPECT_TRUE(tend.signal(signo));
    RunResult r = tend.wait();
    return {r, Clock::now() - sent};
}

TEST(Shutdown, SigtermStopsEveryServiceProcessGroupFastAndExitsZero) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("with-child").run(
        "sleep 1000 & echo $! > \"$OUT/with-child.child\"\n"
        "echo $$ > \"$OUT/with-child.pid\"\n"
        "wait\n");
    sandbox.service("trapping").run(
        "trap 'echo term > \"$OUT/trapping.term\"; exit 0' TERM\n"
        + sh_background_sleep() +  // before reporting: the stop signal must reach it
        "echo $$ > \"$OUT/trapping.pid\"\n"
        "wait\n");
    sandbox.service("plain").run("echo $$ > \"$OUT/plain.pid\"\nexec sleep 1000\n");
    sandbox.cont_finish(
        "report", alive_report_script({"with-child.pid", "with-child.child", "trapping.pid",
                                       "plain.pid"}));

    TendProcess tend(sandbox);
    for (const char* f : {"with-child.pid", "with-child.child", "trapping.pid", "plain.pid"})
        ASSERT_TRUE(wait_for_file(sandbox.out(f), 10s)) << f << "\n" << tend.current_err();
    auto [r, shutdown_time] = stop_with(tend, SIGTERM);

    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << "no primary: 0 after a signal\n" << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("at-cont-finish")),
              (std::vector<std::string>{"with-child.pid gone", "with-child.child gone",
                                        "trapping.pid gone", "plain.pid gone"}))
        << r.diagnostics();
    EXPECT_TRUE(file_exists(sandbox.out("trapping.term"))) << "the down-signal is SIGTERM";
    // The default grace is 3 s: a shutdown that waits for it fails here.
    EXPECT_LT(shutdown_time, 1500ms) << "shutdown took " << ms(shutdown_time).count() << " ms\n"
                                     << r.diagnostics();
}

struct StopSignalCase {
    const char* name;
    int signo;

    friend void PrintTo(const StopSignalCase& c, std::ostream* os) { *os << c.name; }
};

class ShutdownSignal : public ::testing::TestWithParam<StopSignalCase> {};

TEST_P(ShutdownSignal, StartsShutdownAndExitsZeroWithoutPrimary) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc").run(
        sh_stoppable_service());
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("svc.up"), 10s)) << tend.current_err();
    auto [r, shutdown_time] = stop_with(tend, GetParam().signo);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_TRUE(file_exists(sandbox.out("svc.stopped"))) << r.diagnostics();
    EXPECT_LT(shutdown_time, 1500ms) << r.diagnostics();
}

INSTANTIATE_TEST_SUITE_P(Signals, ShutdownSignal,
                         ::testing::Values(StopSignalCase{"Sigterm", SIGTERM},
                                           StopSignalCase{"Sigint", SIGINT},
                                           StopSignalCase{"Sigquit", SIGQUIT}),
                         ParamName{});

// SPEC: when a service's main process exits, the rest of its process group
// gets the down-signal. A child forked while the service handles its stop
// signal must not make the shutdown wait for timeout-kill.
TEST(Shutdown, ChildForkedWhileStoppingGetsTheDownSignalWhenTheMainProcessExits) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("late-forker").run(
        // The late child is a real `sleep` (exec'd) before the main process
        // exits, so only a second down-signal can stop it quickly.
        "late() {\n" + sh_background_sleep() +
        "  echo $tend_itest_child > \"$OUT/late.child\"\n"
        "  exit 0\n"
        "}\n"
        "trap late TERM\n" +
        sh_background_sleep() +
        "echo up > \"$OUT/up\"\n"
        "wait\n");
    sandbox.cont_finish("report", alive_report_script({"late.child"}));
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("up"), 10s)) << tend.current_err();
    auto [r, shutdown_time] = stop_with(tend, SIGTERM);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("at-cont-finish")), std::vector<std::string>{"late.child gone"});
    EXPECT_LT(shutdown_time, 1500ms) << "the late child should get SIGTERM, not wait for SIGKILL at "
                                        "timeout-kill (3 s)\n"
                                     << r.diagnostics();
}

TEST(Shutdown, ServiceIgnoringSigtermIsKilledAfterItsTimeoutKill) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("stubborn")
        .timeout_kill("500")
        .run("trap '' TERM\n"
             "echo $$ > \"$OUT/stubborn.pid\"\n"
             "exec sleep 1000\n");  // the ignored disposition survives exec
    sandbox.service("plain").run("echo $$ > \"$OUT/plain.pid\"\nexec sleep 1000\n");
    sandbox.cont_finish("report", alive_report_script({"stubborn.pid", "plain.pid"}));

    TendProcess tend(sandbox);
    for (const char* f : {"stubborn.pid", "plain.pid"})
        ASSERT_TRUE(wait_for_file(sandbox.out(f), 10s)) << f << "\n" << tend.current_err();
    auto [r, shutdown_time] = stop_with(tend, SIGTERM);

    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("at-cont-finish")),
              (std::vector<std::string>{"stubborn.pid gone", "plain.pid gone"}))
        << "the stubborn service must be SIGKILLed before cont-finish\n" << r.diagnostics();
    EXPECT_GE(shutdown_time, 450ms) << "timeout-kill must give the service its 500 ms";
    EXPECT_LT(shutdown_time, 2000ms)
        << "timeout-kill (500 ms) must win over the default grace (3 s): took "
        << ms(shutdown_time).count() << " ms\n" << r.diagnostics();
}

TEST(Shutdown, DaemonThatEscapedItsGroupIsKilledByTheFinalKillAll) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    // Two daemons leave the service's session with setsid: one stops on
    // SIGTERM (and says so), one ignores it and needs the final SIGKILL.
    sandbox.service("spawner").run(
        "OUT=\"$OUT\" setsid sh -c '"
        "trap \"echo term >> \\\"\\$OUT/daemon.term\\\"; exit 0\" TERM; "
        "echo $$ > \"$OUT/daemon.pid\"; "
        "while :; do sleep 0.05; done' &\n"
        "OUT=\"$OUT\" setsid sh -c '"
        "trap \"\" TERM; echo $$ > \"$OUT/stubborn-daemon.pid\"; exec sleep 1000' &\n"
        "echo $$ > \"$OUT/spawner.pid\"\n"
        "exec sleep 1000\n");
    sandbox.cont_finish("report",
                        alive_report_script({"spawner.pid", "daemon.pid", "stubborn-daemon.pid"}));

    TendProcess tend(sandbox, {.args = {"--kill-grace=300"}});
    for (const char* f : {"spawner.pid", "daemon.pid", "stubborn-daemon.pid"})
        ASSERT_TRUE(wait_for_file(sandbox.out(f), 10s)) << f << "\n" << tend.current_err();
    auto [r, shutdown_time] = stop_with(tend, SIGTERM);

    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    // The test only means something if the daemons really escaped the
    // service's group: they must outlive the services stage.
    EXPECT_EQ(read_lines(sandbox.out("at-cont-finish")),
              (std::vector<std::string>{"spawner.pid gone", "daemon.pid alive",
                                        "stubborn-daemon.pid alive"}))
        << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("daemon.term")), "term\n")
        << "kill(-1, SIGTERM) must reach the escaped daemon\n" << r.diagnostics();
    EXPECT_GE(shutdown_time, 250ms) << "--kill-grace=300 must be waited for the stubborn daemon";
    EXPECT_LT(shutdown_time, 2500ms) << r.diagnostics();
}

TEST(Shutdown, CmdKilledByTheSigtermOfTheShutdownGives143) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc").run("exec sleep 1000\n");
    TendProcess tend(sandbox, {.command = sandbox.sh("echo up > \"$OUT/cmd.up\"\nexec sleep 1000\n")});
    ASSERT_TRUE(wait_for_file(sandbox.out("cmd.up"), 10s)) << tend.current_err();
    auto [r, shutdown_time] = stop_with(tend, SIGTERM);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 143) << r.diagnostics();
    EXPECT_LT(shutdown_time, 1500ms) << r.diagnostics();
}

TEST(Shutdown, CmdGetsTheSignalThatStartedTheShutdown) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    TendProcess tend(sandbox, {.command = sandbox.sh("echo up > \"$OUT/cmd.up\"\nexec sleep 1000\n")});
    ASSERT_TRUE(wait_for_file(sandbox.out("cmd.up"), 10s)) << tend.current_err();
    auto [r, shutdown_time] = stop_with(tend, SIGINT);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 128 + SIGINT) << r.diagnostics();
}

TEST(Shutdown, ContFinishScriptsRunInOrderEachLimitedByFinishTimeout) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc").run("echo up > \"$OUT/svc.up\"\nexec sleep 1000\n");
    sandbox.cont_finish("1-hangs", "echo 1-hangs >> \"$OUT/finish.order\"\nexec sleep 1000\n");
    sandbox.cont_finish("2-next", "echo 2-next >> \"$OUT/finish.order\"\n");
    TendProcess tend(sandbox, {.args = {"--finish-timeout=300"}});
    ASSERT_TRUE(wait_for_file(sandbox.out("svc.up"), 10s)) << tend.current_err();
    auto [r, shutdown_time] = stop_with(tend, SIGTERM);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("finish.order")),
              (std::vector<std::string>{"1-hangs", "2-next"}))
        << r.diagnostics();
    EXPECT_GE(shutdown_time, 250ms);
    EXPECT_LT(shutdown_time, 2500ms) << "--finish-timeout=300 must stop the hanging script\n"
                                     << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
