// Proves: docs/security.md
// A service must never be able to freeze PID 1: tend never waits, in any
// system call, on a process that an untrusted uid can stop, trace or slow.
//
// Each test reproduces one attack a hostile service (uid 4242) can make and
// checks that tend keeps answering `tend ctl status` throughout (the client
// gives up after its own deadline and then exits non-zero) and still reaps,
// restarts and shuts down:
// - a spinner of the service's uid that sends SIGSTOP and SIGCONT to every
//   process it may signal (kill(-1)), against restarts, finish scripts,
//   scheduled runs, and tend's signals to a group without CAP_KILL (the
//   helper that signals as that uid) up to the final sweep;
// - a pty as tend's stdin: services must not read it (their fd 0 is
//   /dev/null), the CMD keeps it;
// - a flood of signals to tend's own process group while services start:
//   the new child is in that group until its setsid and must not die of it;
// - a runtime dir others may write (a disk-backed emptyDir is 0777), where a
//   service could replace control.sock: control is off, saying why.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "control_client.hpp"
#include "harness.hpp"
#include "require_capsh.hpp"

namespace tend::itest {
namespace {

constexpr std::string_view kAttacker = "4242:4242";

// As uid 4242: stop every process of that uid, over and over. dash runs
// `kill` as a builtin, so the loop never forks and is never stopped itself
// (kill(-1) spares the caller). A child tend starts as that uid is stopped
// between its setresuid and its exec; tend must not wait for it.
constexpr std::string_view kSpinner = "while :; do kill -s STOP -- -1 2>/dev/null; done\n";

// tend stays PID 1 without CAP_KILL (capsh execs it): signals to uid 4242
// go through a helper acting as that uid.
const std::string kWithoutCapKill = "exec capsh --drop=cap_kill -- -c 'exec \"$@\"' sh \"$@\"";

// Asks `tend ctl status` `rounds` times, each time after `between` (e.g. a
// `tend ctl restart`); every answer must come (exit 0) within the client's
// own deadline. Returns the failures, one line each.
std::string answers_throughout(const Sandbox& sandbox, int rounds, const std::function<void()>& between = {}) {
    std::string failures;
    for (int i = 0; i < rounds; ++i) {
        if (between) between();
        CtlResult status = ctl(sandbox, {"status"});
        if (status.code != 0) {
            failures += fmt::format("round {}: {}\n", i, status.diagnostics());
            break;  // a frozen tend would not answer the next rounds either
        }
        std::this_thread::sleep_for(50ms);
    }
    return failures;
}

// The service's restart count as `tend ctl status --json` gives it (-1: no answer).
int restarts_of(const Sandbox& sandbox, const std::string& name) {
    CtlResult status = ctl(sandbox, {"status", name, "--json"});
    const std::string key = "\"restarts\":";
    std::size_t at = status.out.find(key);
    if (status.code != 0 || at == std::string::npos) return -1;
    return std::atoi(status.out.c_str() + at + key.size());
}

struct SpinnerCase {
    const char* name;
    bool without_cap_kill;
};

class NeverWaitSpinner : public ::testing::TestWithParam<SpinnerCase> {};

// Restarts by `tend ctl restart`: each one signals the group (as uid 4242
// through the helper without CAP_KILL) and spawns a child that switches to
// uid 4242 before its exec.
TEST_P(NeverWaitSpinner, RestartsOfTheSpinnersUidKeepTendAnswering) {
    TEND_REQUIRE_NAMESPACES();
    if (GetParam().without_cap_kill) TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("spinner").user(kAttacker).run(kSpinner);
    sandbox.service("victim").user(kAttacker).timeout_kill("100").run("exec sleep 1000\n");
    TendOptions options;
    if (GetParam().without_cap_kill) options.launcher_script = kWithoutCapKill;
    TendProcess tend(sandbox, options);
    ASSERT_TRUE(wait_for_socket(sandbox)) << tend.current_err();
    std::string failures = answers_throughout(sandbox, 30, [&] { ctl(sandbox, {"restart", "victim"}); });
    EXPECT_EQ(failures, "") << tend.current_err();
    EXPECT_GE(restarts_of(sandbox, "victim"), 3) << "the victim was not restarted\n" << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    EXPECT_FALSE(r.timed_out) << "tend hung in its shutdown\n" << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
}

// A finish script (run as uid 4242) after every end of a crashing service.
TEST_P(NeverWaitSpinner, FinishScriptsOfTheSpinnersUidKeepTendAnswering) {
    TEND_REQUIRE_NAMESPACES();
    if (GetParam().without_cap_kill) TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("spinner").user(kAttacker).run(kSpinner);
    sandbox.service("crasher")
        .user(kAttacker)
        .timeout_kill("100")
        .line("timeout-finish", "100")
        .run("exec sleep 1000\n")
        .finish("exit 0\n");
    TendOptions options;
    if (GetParam().without_cap_kill) options.launcher_script = kWithoutCapKill;
    TendProcess tend(sandbox, options);
    ASSERT_TRUE(wait_for_socket(sandbox)) << tend.current_err();
    std::string failures = answers_throughout(sandbox, 30, [&] { ctl(sandbox, {"restart", "crasher"}); });
    EXPECT_EQ(failures, "") << tend.current_err();
    EXPECT_GE(restarts_of(sandbox, "crasher"), 3) << "no restart through finish\n" << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    EXPECT_FALSE(r.timed_out) << "tend hung in its shutdown\n" << r.diagnostics();
}

// A scheduled run every second, as uid 4242.
TEST_P(NeverWaitSpinner, ScheduledRunsOfTheSpinnersUidKeepTendAnswering) {
    TEND_REQUIRE_NAMESPACES();
    if (GetParam().without_cap_kill) TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("spinner").user(kAttacker).run(kSpinner);
    sandbox.service("tick").user(kAttacker).timeout_kill("100").line("schedule", "* * * * * * *").run("exit 0\n");
    TendOptions options;
    if (GetParam().without_cap_kill) options.launcher_script = kWithoutCapKill;
    TendProcess tend(sandbox, options);
    ASSERT_TRUE(wait_for_socket(sandbox)) << tend.current_err();
    std::string failures = answers_throughout(sandbox, 60);  // 3 s or more: 3 ticks or more
    EXPECT_EQ(failures, "") << tend.current_err();
    EXPECT_TRUE(contains(tend.current_err(), "service tick: started")) << "no scheduled run\n" << tend.current_err();
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    EXPECT_FALSE(r.timed_out) << "tend hung in its shutdown\n" << r.diagnostics();
}

INSTANTIATE_TEST_SUITE_P(NeverWait, NeverWaitSpinner,
                         ::testing::Values(SpinnerCase{"WithAllCapabilities", false},
                                           SpinnerCase{"WithoutCapKill", true}),
                         ParamName{});

// The final sweep without CAP_KILL: the CMD (uid 4242) leaves the spinner
// and a worker behind; tend signals them from a helper acting as uid 4242,
// which the spinner must not be able to stop, and exits.
TEST(NeverWait, TheFinalSweepWithoutCapKillCannotBeStoppedByTheSpinner) {
    TEND_REQUIRE_NAMESPACES();
    TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("idle").run("exec sleep 1000\n");
    // The spinner starts once the CMD (its parent shell) has exited, so the
    // CMD's own exit starts the shutdown.
    std::vector<std::string> cmd = sandbox.sh(fmt::format("( while kill -0 $$ 2>/dev/null; do sleep 0.01; done\n{} ) &\n"
                                                          "( exec sleep 1000 ) &\n"
                                                          "echo up > \"$OUT/cmd.up\"\nexit 3\n",
                                                          std::string(kSpinner).substr(0, kSpinner.size() - 1)));
    RunResult r = run_tend(sandbox, {.args = {"--cmd-user", "4242", "--kill-grace=20000"},
                                     .command = cmd,
                                     .launcher_script = kWithoutCapKill});
    ASSERT_FALSE(r.timed_out) << "tend hung in the final sweep\n" << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("cmd.up")), "up\n") << r.diagnostics();
    EXPECT_EQ(r.exit_code, 3) << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "left after")) << r.diagnostics();
}

// A pty as tend's stdin (`docker run -it`): what is typed is the CMD's.
// Services, finish scripts and scheduled runs read /dev/null instead.
TEST(NeverWait, APtyOnTendsStdinIsTheCmdsOnlyServicesFinishAndRunsGetDevNull) {
    TEND_REQUIRE_NAMESPACES();
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(master, 0);
    ASSERT_EQ(::grantpt(master), 0);
    ASSERT_EQ(::unlockpt(master), 0);
    const std::string pty = ::ptsname(master);
    Sandbox sandbox;
    const std::string record = "readlink /proc/$$/fd/0 > \"$OUT/{}.stdin\"\n";
    sandbox.service("svc").user(kAttacker).run(fmt::format(fmt::runtime(record), "svc") + "exec sleep 1000\n");
    sandbox.service("once")
        .user(kAttacker)
        .restart("never")
        .run(fmt::format(fmt::runtime(record), "once"))
        .finish(fmt::format(fmt::runtime(record), "finish"));
    sandbox.service("tick").user(kAttacker).line("schedule", "* * * * * * *").run(fmt::format(fmt::runtime(record), "tick"));
    std::vector<std::string> cmd = sandbox.sh(fmt::format(fmt::runtime(record), "cmd") + "exec sleep 1000\n");
    TendProcess tend(sandbox, {.command = cmd, .launcher_script = "exec \"$@\" < " + shell_quote(pty)});
    for (const char* name : {"svc", "once", "finish", "tick", "cmd"})
        EXPECT_TRUE(wait_for_file(sandbox.out(std::string(name) + ".stdin"))) << name << "\n" << tend.current_err();
    ::close(master);
    EXPECT_EQ(read_file(sandbox.out("svc.stdin")), "/dev/null\n");
    EXPECT_EQ(read_file(sandbox.out("once.stdin")), "/dev/null\n");
    EXPECT_EQ(read_file(sandbox.out("finish.stdin")), "/dev/null\n");
    EXPECT_EQ(read_file(sandbox.out("tick.stdin")), "/dev/null\n");
    EXPECT_EQ(read_file(sandbox.out("cmd.stdin")), pty + "\n") << "the CMD keeps tend's stdin";
    tend.signal(SIGTERM);
    tend.wait();
}

// A flood of SIGHUP to tend's process group (tend in a session of its own,
// as PID 1): each restart's child is in that group until its setsid, and
// must drop what it got there instead of dying of it after its exec.
TEST(NeverWait, AFloodOfSignalsToTendsGroupKillsNoNewService) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("victim").run("echo started >> \"$OUT/victim.starts\"\nexec sleep 1000\n");
    TendProcess tend(sandbox, {.launcher_script = "exec setsid \"$@\""});
    ASSERT_TRUE(wait_for_socket(sandbox)) << tend.current_err();
    const pid_t group = ::getpgid(tend.tend_pid());
    ASSERT_EQ(group, tend.tend_pid()) << "tend is not the leader of its own group: the flood would hit others";
    std::atomic<bool> flooding{true};
    std::thread flood([&] {
        while (flooding) ::kill(-group, SIGHUP);
    });
    std::string failures;
    for (int i = 0; i < 150; ++i) {
        CtlResult restarted = ctl(sandbox, {"restart", "victim"});
        if (restarted.code != 0) failures += restarted.diagnostics() + "\n";
    }
    flooding = false;
    flood.join();
    EXPECT_EQ(failures, "");
    const std::string err = tend.current_err();
    EXPECT_FALSE(contains(err, "killed by SIGHUP")) << err;
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    EXPECT_FALSE(r.timed_out) << r.diagnostics();
}

// A runtime dir others may write without the sticky bit (a disk-backed
// emptyDir is 0777): a service could replace control.sock and answer root's
// `tend health` itself. tend keeps control off and says why; the client does
// not talk to a socket found in such a dir either.
TEST(NeverWait, AWorldWritableRuntimeDirKeepsControlOffAndTheClientAway) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run("echo up > \"$OUT/up\"\nexec sleep 1000\n");
    ASSERT_EQ(::chmod(sandbox.runtime_dir().c_str(), 0777), 0);
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("up"))) << tend.current_err();
    ASSERT_TRUE(tend.wait_for_err("control is off")) << tend.current_err();
    const std::string err = tend.current_err();
    EXPECT_TRUE(contains(err, sandbox.runtime_dir().string() + " (mode 0777) is writable by others without the "
                                                              "sticky bit")) << err;
    EXPECT_FALSE(fs::exists(socket_path(sandbox))) << "tend made its socket in a dir anybody may write";
    // A hijacker's stand-in (uid 4242), listening where tend's socket would be.
    const int fake = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = socket_path(sandbox).string();
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    ASSERT_EQ(::bind(fake, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(fake, 8), 0);
    ASSERT_EQ(::chown(path.c_str(), 4242, 4242), 0);
    CtlResult status = ctl(sandbox, {"status"});
    EXPECT_EQ(status.code, 3) << status.diagnostics();
    EXPECT_TRUE(contains(status.err, "not trusted")) << status.diagnostics();
    CtlResult healthy = health(sandbox);
    EXPECT_EQ(healthy.code, 1) << healthy.diagnostics();
    ::close(fake);
    tend.signal(SIGTERM);
    tend.wait();
}

// The same dir with the sticky bit (/tmp's 1777: nobody may remove or
// rename another's file) is fine; a dir owned by another uid, or a symlink
// in its place, is not.
TEST(NeverWait, OnlyARuntimeDirNoOtherUserCanChangeIsUsed) {
    TEND_REQUIRE_NAMESPACES();
    {
        Sandbox sandbox;
        sandbox.service("web").run("exec sleep 1000\n");
        ASSERT_EQ(::chmod(sandbox.runtime_dir().c_str(), 01777), 0);
        TendProcess tend(sandbox);
        EXPECT_TRUE(wait_for_socket(sandbox)) << tend.current_err();
        struct stat st{};
        ASSERT_EQ(::stat(socket_path(sandbox).c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 07777, 0600U) << "the socket's mode comes with it";
        tend.signal(SIGTERM);
        tend.wait();
    }
    {
        Sandbox sandbox;
        sandbox.service("web").run("exec sleep 1000\n");
        ASSERT_EQ(::chown(sandbox.runtime_dir().c_str(), 4242, 4242), 0);
        TendProcess tend(sandbox);
        ASSERT_TRUE(tend.wait_for_err("control is off")) << tend.current_err();
        EXPECT_TRUE(contains(tend.current_err(), "is owned by uid 4242")) << tend.current_err();
        EXPECT_FALSE(fs::exists(socket_path(sandbox)));
        tend.signal(SIGTERM);
        tend.wait();
    }
    {
        Sandbox sandbox;
        sandbox.service("web").run("exec sleep 1000\n");
        fs::path elsewhere = sandbox.root() / "elsewhere";
        fs::create_directories(elsewhere);
        fs::path link = sandbox.root() / "linked-run";
        fs::create_directory_symlink(elsewhere, link);
        TendProcess tend(sandbox, {.args = {"--runtime-dir", link.string()}});
        ASSERT_TRUE(tend.wait_for_err("control is off")) << tend.current_err();
        EXPECT_TRUE(contains(tend.current_err(), "is a symlink")) << tend.current_err();
        EXPECT_FALSE(fs::exists(elsewhere / "control.sock"));
        tend.signal(SIGTERM);
        tend.wait();
    }
}

// A peer that may connect (file permissions let it: here CAP_DAC_OVERRIDE)
// but is not allowed to control tend reads tend's own "permission denied",
// not EPIPE from sending its request to a closed connection.
TEST(NeverWait, ARefusedPeerReadsTendsPermissionDenied) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("web").run("exec sleep 1000\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_socket(sandbox)) << tend.current_err();
    fs::path binary = sandbox.root() / "tend-client";
    fs::copy_file(tend_binary(), binary);
    ::chmod(binary.c_str(), 0755);
    for (int i = 0; i < 20; ++i) {
        CtlResult refused = run_client({"ctl", "--runtime-dir", sandbox.runtime_dir().string(), "status"},
                                       {"/usr/bin/setpriv", "--reuid=4242", "--regid=4242", "--clear-groups",
                                        "--inh-caps=+dac_override", "--ambient-caps=+dac_override"},
                                       binary);
        EXPECT_TRUE(contains(refused.err, "permission denied: uid 4242 may not control tend")) << refused.diagnostics();
        EXPECT_FALSE(contains(refused.err, "Broken pipe")) << refused.diagnostics();
        if (HasFailure()) break;
    }
    tend.signal(SIGTERM);
    tend.wait();
}

// A failed exec names what is really missing: a script whose interpreter is
// a script whose own interpreter does not exist (Debian's execlineb wrapper
// in an image without /usr/lib/execline/bin/execlineb), for a service, its
// finish script, a cont-init script and the CMD.
TEST(NeverWait, AMissingInterpreterOfAnInterpreterIsNamedForEveryKindOfScript) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path wrapper = sandbox.root() / "bin" / "execlineb";
    const fs::path missing = sandbox.root() / "lib" / "execline" / "bin" / "execlineb";
    write_file(wrapper, "#!" + missing.string() + " -S0\n", 0755);
    // A block: only execlineb can run it (a plain `halt` tend carries out
    // itself, with its own applet, and no interpreter is exec'd at all).
    const std::string script = "#!" + wrapper.string() + " -P\nforeground { halt } halt\n";
    sandbox.service("svc").file("run", script, 0755).restart("never");
    sandbox.service("fin").run("exit 0\n").file("finish", script, 0755).restart("never");
    write_file(sandbox.cont_init_dir() / "10-init", script, 0755);
    write_file(sandbox.root() / "cmd", script, 0755);
    RunResult r = run_tend(sandbox, {.args = {"--on-init-failure", "continue"},
                                     .command = {(sandbox.root() / "cmd").string()}});
    const std::string expected =
        "cannot exec " + wrapper.string() + ": its interpreter " + missing.string() + " does not exist";
    EXPECT_TRUE(contains(r.err, "service svc: " + expected)) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "service fin: finish: " + expected)) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, (sandbox.cont_init_dir() / "10-init").string() + ": " + expected)) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "CMD " + (sandbox.root() / "cmd").string() + ": " + expected)) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 127) << r.diagnostics();
}

// allow-new-privs without CAP_SETPCAP: the bounding set cannot shrink, and
// without no_new_privs a setuid program could regain what it keeps. Refused
// once at load, named, not a failure at every restart.
TEST(NeverWait, AllowNewPrivsWithoutCapSetpcapIsRefusedOnceAtLoad) {
    TEND_REQUIRE_NAMESPACES();
    TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("web").user(kAttacker).flag("allow-new-privs").run("exec sleep 1000\n");
    sandbox.service("other").run("echo up > \"$OUT/up\"\nexec sleep 1000\n");
    TendProcess tend(sandbox, {.launcher_script = "exec capsh --drop=cap_setpcap -- -c 'exec \"$@\"' sh \"$@\""});
    ASSERT_TRUE(wait_for_file(sandbox.out("up"))) << tend.current_err();
    ASSERT_TRUE(tend.wait_for_err("allow-new-privs")) << tend.current_err();
    std::this_thread::sleep_for(500ms);  // time for restarts, if there were any
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    EXPECT_EQ(lines_containing(r.err, "allow-new-privs").size(), 1U) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "without CAP_SETPCAP")) << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "cannot drop capabilities from the bounding set")) << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
