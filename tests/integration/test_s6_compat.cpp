// Proves: docs/s6-overlay.md
// S6-overlay images switch to tend unchanged. The applets, the
// with-contenv and execlineb shebangs without any s6 program installed, the
// container environment dir, halting with a code, and a v2 blog tree run as
// written (in a private mount namespace: overlays on /etc, /usr/bin and /var,
// a tmpfs on /run, so nothing of the host changes).
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <initializer_list>

#include "harness.hpp"

namespace tend::itest {
namespace {

// Every test that makes tend detect an s6 tree gets its own /run: tend writes
// /run/s6/container_environment there. A /command the machine has (s6-overlay
// v3's bin dir, or the links `tend compat install /` leaves) is hidden behind
// an empty tmpfs: the tests install the applets they need in their sandbox.
constexpr std::string_view kPrivateRunNoCommand =
    "mount -t tmpfs tmpfs /run\n[ ! -d /command ] || mount -t tmpfs tmpfs /command\n";
const std::string kPrivateRun = std::string(kPrivateRunNoCommand) + "exec \"$@\"";

// Launcher lines that make programs the machine may have installed absent in
// the test's mount namespace: an overlay on /usr/bin whose upper dir (in the
// sandbox) holds a whiteout for each name. Debian's execline package installs
// /usr/bin/execlineb; with it hidden, tend carries out an execlineb script
// itself, on any machine.
std::string hide_in_usr_bin(const Sandbox& sandbox, std::initializer_list<std::string_view> programs) {
    std::string r = shell_quote(sandbox.root().string());
    std::string lines = fmt::format("mkdir -p {0}/hide-upper {0}/hide-work\n", r);
    for (std::string_view program : programs)
        lines += fmt::format("mknod {}/hide-upper/{} c 0 0\n", r, program);
    lines += fmt::format("mount -t overlay overlay -o lowerdir=/usr/bin,upperdir={0}/hide-upper,workdir={0}/hide-work "
                         "/usr/bin\n",
                         r);
    return lines;
}

// s6_options() whose launcher also hides `programs` from /usr/bin.
TendOptions s6_options_without(const Sandbox& sandbox, std::initializer_list<std::string_view> programs,
                               std::map<std::string, std::string> env = {}) {
    TendOptions options;
    options.launcher_script = "set -e\n" + hide_in_usr_bin(sandbox, programs) + std::string(kPrivateRunNoCommand) +
                              "set +e\nexec \"$@\"";
    options.env = std::move(env);
    return options;
}

TendOptions s6_options(std::map<std::string, std::string> env = {}) {
    TendOptions options;
    options.launcher_script = kPrivateRun;
    options.env = std::move(env);
    return options;
}

// Control listening where the applets find it: TEND_RUNTIME_DIR (the
// harness's) does not reach services without keep-env, PID 1's command line
// does.
TendOptions with_control(TendOptions options, const Sandbox& sandbox) {
    options.args.push_back("--runtime-dir=" + sandbox.runtime_dir().string());
    return options;
}

// Symlinks of every applet in <sandbox>/root/{command,usr/bin}, made by
// `tend compat install ROOT`; returns "<root>/command".
fs::path install_applets(const Sandbox& sandbox) {
    fs::path root = sandbox.root() / "root";
    std::string command = fmt::format("{} compat install {}", shell_quote(tend_binary().string()),
                                      shell_quote(root.string()));
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    return root / "command";
}

TEST(S6Compat, MissingInterpreterIsNamedForRunAndContInit) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    write_file(sandbox.services_dir() / "app" / "run", "#!/usr/bin/tend-test-no-such-interpreter\n", 0755);
    sandbox.service("app").line("restart", "never");
    write_file(sandbox.cont_init_dir() / "00-init", "#!/usr/bin/tend-test-missing-too -e\n", 0755);
    RunResult r = run_tend(sandbox, {.args = {"--on-init-failure=continue"}, .command = {"/bin/true"}});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "service app: run: interpreter /usr/bin/tend-test-no-such-interpreter not found"))
        << r.diagnostics();
    EXPECT_TRUE(contains(r.err, (sandbox.cont_init_dir() / "00-init").string() +
                                    ": interpreter /usr/bin/tend-test-missing-too not found"))
        << r.diagnostics();
}

TEST(S6Compat, WithContenvShebangWorksWithoutAnyS6Program) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    std::string body = fmt::format("#!/usr/bin/with-contenv sh\ncat /proc/$$/environ > {}/app.env\nexec sleep 1000\n",
                                   shell_quote(sandbox.out_dir().string()));
    sandbox.service("app").file("run", body, 0755).env("FROM_ENVDIR", "yes");
    write_file(sandbox.cont_init_dir() / "00",
               fmt::format("#!/command/with-contenv /bin/sh -e\necho \"$SECRET\" > {}/cont-init.secret\n",
                           shell_quote(sandbox.out_dir().string())),
               0755);
    RunResult r = run_until_files(sandbox, {"app.env", "cont-init.secret"},
                                  s6_options_without(sandbox, {"with-contenv"}, {{"SECRET", "hunter2"}}));
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    auto env = parse_environ(read_file(sandbox.out("app.env")));
    EXPECT_EQ(env["SECRET"], "hunter2") << "with-contenv gives the container environment";
    EXPECT_EQ(env["TEND_SERVICE"], "app") << "tend's layer 2 stays";
    EXPECT_EQ(env["FROM_ENVDIR"], "yes") << "env/ (layer 3) stays";
    EXPECT_EQ(read_file(sandbox.out("cont-init.secret")), "hunter2\n");
}

TEST(S6Compat, ContInitWritesToTheContainerEnvironmentReachServicesAndCmd) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    write_file(sandbox.cont_init_dir() / "10-export",
               "#!/bin/sh\nprintf 'from-cont-init' > /run/s6/container_environment/ADDED\n", 0755);
    std::string body = fmt::format(
        "#!/usr/bin/with-contenv sh\necho \"$ADDED $ORIGINAL\" > {}/svc.vars\nexec sleep 1000\n",
        shell_quote(sandbox.out_dir().string()));
    sandbox.service("svc").file("run", body, 0755);
    TendOptions options = s6_options({{"ORIGINAL", "kept"}});
    options.args = {"--wait-ready"};
    options.command = sandbox.sh(sh_wait_for_file("\"$OUT/svc.vars\"") + "echo \"$ADDED\" > \"$OUT/cmd.vars\"\n"
                                 "stat -c %a /run/s6/container_environment > \"$OUT/mode\"");
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("svc.vars")), "from-cont-init kept\n") << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("cmd.vars")), "from-cont-init\n") << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("mode")), "700\n");
}

TEST(S6Compat, AppletsThroughInstalledLinks) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    fs::path command = install_applets(sandbox);
    for (const char* name : {"with-contenv", "s6-setuidgid", "halt", "printcontenv"}) {
        EXPECT_TRUE(fs::is_symlink(command / name)) << name;
        EXPECT_TRUE(fs::is_symlink(command.parent_path() / "usr/bin" / name)) << name;
    }
    // A plain sh run script calls the applets by name, as s6-overlay images do.
    sandbox.service("app").flag("keep-env").run(
        "with-contenv sh -c 'echo \"$SECRET\" > \"$0/contenv\"' \"$OUT\"\n"
        "printcontenv SECRET > \"$OUT/printcontenv\"\n"
        "s6-setuidgid nobody sh -c 'id -u > \"$0/uid\"; id -G > \"$0/groups\"' \"$OUT\"\n"
        "s6-setuidgid 65534:65534 sh -c 'id -G > \"$0/numeric.groups\"' \"$OUT\"\n"
        "s6-envuidgid nobody sh -c 'echo \"$UID:$GID\" > \"$0/envuidgid\"' \"$OUT\"\n"
        "s6-applyuidgid -u 65534 -g 65534 -G '' sh -c 'id -u > \"$0/applied\"' \"$OUT\"\n"
        "exec sleep 1000\n");
    TendOptions options = s6_options({{"SECRET", "hunter2"}, {"PATH", command.string() + ":/usr/bin:/bin"}});
    RunResult r = run_until_files(sandbox, {"contenv", "printcontenv", "uid", "numeric.groups", "envuidgid", "applied"},
                                  options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("contenv")), "hunter2\n");
    EXPECT_EQ(read_file(sandbox.out("printcontenv")), "hunter2\n");
    EXPECT_EQ(read_file(sandbox.out("uid")), "65534\n");
    EXPECT_EQ(read_file(sandbox.out("numeric.groups")), "65534\n") << "uid:gid clears supplementary groups";
    EXPECT_EQ(read_file(sandbox.out("envuidgid")), "65534:65534\n");
    EXPECT_EQ(read_file(sandbox.out("applied")), "65534\n");
}

TEST(S6Compat, SetuidgidHandsOverTheOutputPipes) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    fs::path command = install_applets(sandbox);
    // The service's pipes belong to root (tend's user); nobody must still be
    // able to open /dev/stdout after s6-setuidgid, as nginx and php-fpm do.
    sandbox.service("app").run(fmt::format(
        "exec {}/s6-setuidgid nobody sh -c 'echo via-dev-stdout > /dev/stdout && echo ok > \"$0/wrote\"; exec sleep 1000' \"$OUT\"\n",
        shell_quote(command.string())));
    TendOptions options = s6_options();
    options.args = {"--log-prefix"};
    RunResult r = run_until_files(sandbox, {"wrote"}, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_TRUE(contains(r.out, "via-dev-stdout")) << r.diagnostics();
}

TEST(S6Compat, HaltFromAFinishScriptWithACodeWithoutExeclineb) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("app").run("exit 3\n").file("finish", "#!/usr/bin/execlineb -S0\nhalt 7\n", 0755);
    // No execlineb (hidden if the machine has one), no halt on PATH but the distribution's
    // (/usr/sbin is not searched): tend runs `halt 7` itself, as its own applet.
    RunResult r =
        run_tend(sandbox, with_control(s6_options_without(sandbox, {"execlineb"}, {{"PATH", "/usr/bin:/bin"}}), sandbox));
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 7) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "tend ctl halt from uid 0")) << "control listens: halt uses it\n" << r.diagnostics();
}

TEST(S6Compat, HaltQueuesTheSignalWhenControlIsOff) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    fs::path command = install_applets(sandbox);
    sandbox.service("app").run(fmt::format(
        "{0}/s6-svc -u app 2> \"$OUT/svc.err\"; echo $? > \"$OUT/svc.rc\"\n"
        "{0}/s6-svok app; echo $? > \"$OUT/svok.rc\"\n"
        "exit 3\n",
        shell_quote(command.string())));
    sandbox.service("app").file("finish", "#!/usr/bin/execlineb -S0\nhalt 7\n", 0755);
    // No dir tend can create: control is off, and no socket is anywhere else.
    // `halt` is the sandbox's applet link, first on PATH; execlineb is hidden.
    RunResult r = run_tend(sandbox, s6_options_without(sandbox, {"execlineb"},
                                                       {{"TEND_RUNTIME_DIR", "/proc/tend-test-no-control"},
                                                        {"PATH", command.string() + ":/usr/bin:/bin"}}));
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "control is off")) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 7) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "halt with exit code 7 requested by pid")) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("svc.rc")), "111\n");
    EXPECT_TRUE(contains(read_file(sandbox.out("svc.err")), "s6-svc: fatal: cannot reach tend's control socket"))
        << read_file(sandbox.out("svc.err"));
    EXPECT_EQ(read_file(sandbox.out("svok.rc")), "111\n");
}

TEST(S6Compat, HaltWithACodeDuringShutdownIsRefusedAndSvscanctlIsQuiet) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    fs::path command = install_applets(sandbox);
    sandbox.service("app").run("echo up > \"$OUT/started\"\nexec sleep 1000\n");
    sandbox.service("app").finish(fmt::format(
        "{0}/halt 5 2> \"$OUT/halt.err\"; echo $? > \"$OUT/halt.rc\"\n"
        "{0}/s6-svscanctl -t /var/run/s6/services 2> \"$OUT/svscanctl.err\"; echo $? > \"$OUT/svscanctl.rc\"\n",
        shell_quote(command.string())));
    RunResult r = run_until_files(sandbox, {"started"}, with_control(s6_options(), sandbox));
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << "the SIGTERM's shutdown keeps its code\n" << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("halt.rc")), "1\n") << read_file(sandbox.out("halt.err"));
    EXPECT_TRUE(contains(read_file(sandbox.out("halt.err")), "halt: fatal: tend is already shutting down"))
        << read_file(sandbox.out("halt.err"));
    EXPECT_EQ(read_file(sandbox.out("svscanctl.rc")), "0\n");
    EXPECT_EQ(read_file(sandbox.out("svscanctl.err")), "");
}

// s6-svc, s6-svwait and s6-svok from the CMD, with s6's paths to the service.
TEST(S6Compat, SvcSvwaitSvokThroughControl) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    fs::path command = install_applets(sandbox);
    sandbox.service("web").run("echo $$ >> \"$OUT/web.pids\"\nexec sleep 1000\n");
    sandbox.service("web").finish("echo $1 $2 >> \"$OUT/web.finished\"\n");
    std::string body = sh_wait_for_file("\"$OUT/web.pids\"") +
                       "rc() { echo $? >> \"$OUT/rc\"; }\n"
                       "first=$(head -n1 \"$OUT/web.pids\")\n"
                       "s6-svok /var/run/s6/services/web; rc\n"                   // 0
                       "s6-svok nope; rc\n"                                       // 1
                       "s6-svc -d -wD /var/run/s6/services/web; rc\n"             // 0
                       "test -s \"$OUT/web.finished\"; rc\n"                       // 0: -wD waits for finish
                       "kill -0 \"$first\" 2>/dev/null; rc\n"                     // 1: gone when -wd returns
                       "s6-svwait -u -t 300 web 2> \"$OUT/timeout.err\"; rc\n"   // 1: stays down
                       "s6-svok web; rc\n"                                        // 0: stopped, still supervised
                       "s6-svc -uwu /run/service/web/; rc\n"                      // 0
                       "s6-svwait -U web; rc\n"                                   // 0
                       "second=$(tail -n1 \"$OUT/web.pids\")\n"
                       "s6-svc -k web; rc\n"                                      // 0: SIGKILL, restarted
                       "until [ $(wc -l < \"$OUT/web.pids\") -ge 3 ]; do sleep 0.01; done\n"
                       "s6-svc -t web; rc\n"                                      // 0: SIGTERM, restarted
                       "until [ $(wc -l < \"$OUT/web.pids\") -ge 4 ]; do sleep 0.01; done\n"
                       "s6-svc -r -wu web; rc\n"                                  // 0
                       "until [ $(wc -l < \"$OUT/web.pids\") -ge 5 ]; do sleep 0.01; done\n"
                       "kill -0 \"$second\" 2>/dev/null; rc\n"                    // 1
                       "s6-svc -d -wd web; rc\n"                                  // 0
                       "s6-svwait -D -t 5000 web; rc\n"                           // 0
                       "s6-svc -u nope 2> \"$OUT/nope.err\"; rc\n"               // 111
                       "s6-svc -x web 2> \"$OUT/usage.err\"; rc\n"               // 100
                       "echo done > \"$OUT/done\"\n";
    TendOptions options = with_control(s6_options({{"PATH", command.string() + ":/usr/bin:/bin"}}), sandbox);
    options.command = sandbox.sh(body);
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    ASSERT_EQ(read_file(sandbox.out("done")), "done\n") << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("rc")),
              (std::vector<std::string>{"0", "1", "0", "0", "1", "1", "0", "0", "0", "0", "0", "0", "1", "0", "0",
                                        "111", "100"}))
        << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("web.pids")).size(), 5u) << "down, up, KILL, TERM, restart";
    EXPECT_TRUE(contains(read_file(sandbox.out("timeout.err")), "s6-svwait: fatal: timed out; not up:\n  web: stopped"))
        << read_file(sandbox.out("timeout.err"));
    EXPECT_TRUE(contains(read_file(sandbox.out("nope.err")), "s6-svc: fatal: no service named 'nope'"))
        << read_file(sandbox.out("nope.err"));
    EXPECT_TRUE(contains(read_file(sandbox.out("usage.err")), "-x is not supported under tend"))
        << read_file(sandbox.out("usage.err"));
    EXPECT_TRUE(contains(r.err, "sending SIGKILL to its process group")) << r.diagnostics();
}

TEST(S6Compat, HaltWithoutCodeUsesTheV3ExitCodeFile) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("app").run(
        "echo 42 > /run/s6-linux-init-container-results/exitcode\n"
        "exec /run/s6/basedir/bin/halt\n");
    sandbox.service("app").line("restart", "never");
    RunResult r = run_tend(sandbox, with_control(s6_options({{"S6_KEEP_ENV", "0"}}), sandbox));
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 42) << r.diagnostics();
}

TEST(S6Compat, HaltFindsTendAlsoWhenItIsNotPid1) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    fs::path command = install_applets(sandbox);
    sandbox.service("app").run("exit 0\n").file("finish", "#!/usr/bin/execlineb -P\nhalt 9\n", 0755);
    TendOptions options = s6_options_without(sandbox, {"execlineb"}, {{"PATH", command.string() + ":/usr/bin:/bin"}});
    options.launcher_script =  // sh stays PID 1
        "set -e\n" + hide_in_usr_bin(sandbox, {"execlineb"}) + std::string(kPrivateRunNoCommand) + "set +e\n\"$@\"\nexit $?";
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 9) << r.diagnostics();
}

TEST(S6Compat, OtherUidsCannotHaltTheContainer) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    fs::path command = install_applets(sandbox);
    sandbox.service("app").user("nobody").run(fmt::format(
        "{}/halt 3 2> \"$OUT/halt.err\"\necho $? > \"$OUT/halt.rc\"\nexec sleep 1000\n",
        shell_quote(command.string())));
    RunResult r = run_until_files(sandbox, {"halt.rc"}, s6_options());
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("halt.rc")), "111\n") << read_file(sandbox.out("halt.err"));
    EXPECT_TRUE(contains(read_file(sandbox.out("halt.err")), "only root and tend's own uid can halt"))
        << read_file(sandbox.out("halt.err"));
    EXPECT_FALSE(contains(r.err, "halt")) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << "stopped by the harness's SIGTERM, not by a halt with 3\n" << r.diagnostics();
}

TEST(S6Compat, S6VariablesMapUnlessTendTwinsAreSet) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    write_file(sandbox.cont_init_dir() / "00-fails", "#!/bin/sh\nexit 5\n", 0755);
    TendOptions options = s6_options({{"S6_BEHAVIOUR_IF_STAGE2_FAILS", "0"},
                                      {"S6_VERBOSITY", "3"},
                                      {"S6_LOGGING", "1"},
                                      {"S6_CMD_ARG0", "/bin/echo prefix"}});
    options.command = {"from-cmd"};
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << "behaviour 0: a failing cont-init goes on\n" << r.diagnostics();
    EXPECT_TRUE(contains(r.out, "prefix from-cmd")) << "S6_CMD_ARG0 prepended\n" << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "debug: S6_VERBOSITY=3 -> TEND_VERBOSITY=3")) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "warning: s6-overlay settings tend does not support, ignored: S6_LOGGING"))
        << r.diagnostics();

    options.env["S6_BEHAVIOUR_IF_STAGE2_FAILS"] = "2";
    RunResult stop = run_tend(sandbox, options);
    EXPECT_EQ(stop.exit_code, 5) << stop.diagnostics();

    options.env["S6_BEHAVIOUR_IF_STAGE2_FAILS"] = "0";
    options.env["TEND_ON_INIT_FAILURE"] = "stop";
    RunResult twin = run_tend(sandbox, options);
    EXPECT_EQ(twin.exit_code, 5) << "TEND_* wins\n" << twin.diagnostics();
}

TEST(S6Compat, WaitMaxtimeStartsTheCmdAnywayUnlessBehaviourIsTwo) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    // Never ready: it has a notification fd and never writes to it.
    sandbox.service("slow").line("notification-fd", "3").run("exec sleep 1000\n");
    TendOptions options = s6_options({{"S6_CMD_WAIT_FOR_SERVICES", "1"}, {"S6_CMD_WAIT_FOR_SERVICES_MAXTIME", "200"}});
    options.command = sandbox.sh("echo started > \"$OUT/cmd\"; exit 4");
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("cmd")), "started\n") << r.diagnostics();
    EXPECT_EQ(r.exit_code, 4) << r.diagnostics();

    fs::remove(sandbox.out("cmd"));
    options.env["S6_BEHAVIOUR_IF_STAGE2_FAILS"] = "2";
    RunResult stop = run_tend(sandbox, options);
    ASSERT_FALSE(stop.timed_out) << stop.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("cmd"))) << stop.diagnostics();
    EXPECT_EQ(stop.exit_code, 1) << stop.diagnostics();
}

// ---- a v3 tree in the style of linuxserver.io's images -----------------------

TEST(S6Compat, V3TreeOneshotThenLongrunFromTheUserBundle) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path rc = sandbox.root() / "etc-upper/s6-overlay/s6-rc.d";
    const std::string out = shell_quote(sandbox.out_dir().string());
    // init-app: a oneshot whose up names a script, as linuxserver's do.
    write_file(rc / "init-app/type", "oneshot\n");
    write_file(rc / "init-app/up", "/etc/s6-overlay/s6-rc.d/init-app/run\n");
    write_file(rc / "init-app/run", fmt::format("#!/bin/sh\necho up > {}/init-app.up\n", out), 0755);
    write_file(rc / "init-app/down", "/etc/s6-overlay/s6-rc.d/init-app/stop\n");
    write_file(rc / "init-app/stop", fmt::format("#!/bin/sh\necho down > {}/init-app.down\n", out), 0755);
    write_file(rc / "init-app/dependencies.d/base", "");
    // svc-app: a longrun depending on it and on svc-db, another longrun.
    write_file(rc / "svc-app/type", "longrun\n");
    write_file(rc / "svc-app/run",
               fmt::format("#!/usr/bin/with-contenv sh\n"
                           "cat {0}/init-app.up > {0}/svc-app.saw-init\n"
                           "cat {0}/svc-db.up > {0}/svc-app.saw-db\n"
                           "echo \"$APP_SECRET\" > {0}/svc-app.secret\nexec sleep 1000\n",
                           out),
               0755);
    write_file(rc / "svc-app/dependencies.d/init-app", "");
    write_file(rc / "svc-app/dependencies.d/svc-db", "");
    write_file(rc / "svc-db/type", "longrun\n");
    write_file(rc / "svc-db/notification-fd", "3\n");
    write_file(rc / "svc-db/run", fmt::format("#!/bin/sh\necho up > {}/svc-db.up\necho >&3\nexec sleep 1000\n", out),
               0755);
    // Not in the user bundle and nobody depends on it: never started.
    write_file(rc / "svc-unused/type", "longrun\n");
    write_file(rc / "svc-unused/run", fmt::format("#!/bin/sh\necho up > {}/unused.up\nexec sleep 1000\n", out), 0755);
    write_file(rc / "user/type", "bundle\n");
    write_file(rc / "user/contents.d/svc-app", "");

    TendOptions options;
    options.env = {{"APP_SECRET", "s3"}};
    options.launcher_script = fmt::format(
        "set -e\nmkdir -p {r}/etc-work\n"
        "mount -t overlay overlay -o lowerdir=/etc,upperdir={r}/etc-upper,workdir={r}/etc-work /etc\n"
        "mount -t tmpfs tmpfs /run\nset +e\nexec \"$@\"",
        fmt::arg("r", shell_quote(sandbox.root().string())));
    RunResult r = run_until_files(sandbox, {"svc-app.secret", "svc-app.saw-init", "svc-app.saw-db"}, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("svc-app.saw-init")), "up\n") << "the oneshot ran first\n" << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("svc-app.saw-db")), "up\n") << "its longrun dependency was ready first";
    EXPECT_EQ(read_file(sandbox.out("svc-app.secret")), "s3\n");
    EXPECT_FALSE(file_exists(sandbox.out("unused.up"))) << "only the user bundle starts";
    EXPECT_EQ(read_file(sandbox.out("init-app.down")), "down\n") << "the oneshot's down ran at shutdown\n"
                                                                  << r.diagnostics();
}

TEST(S6Compat, V3OneshotNeedingExeclinebIsRefusedSayingSo) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path rc = sandbox.root() / "etc-upper/s6-overlay/s6-rc.d";
    write_file(rc / "init-x/type", "oneshot\n");
    write_file(rc / "init-x/up", "foreground { echo hi } echo $HOME\n");
    write_file(rc / "user/type", "bundle\n");
    write_file(rc / "user/contents.d/init-x", "");
    TendOptions options;
    options.env = {{"S6_BEHAVIOUR_IF_STAGE2_FAILS", "2"}, {"PATH", "/usr/bin:/bin"}};
    options.command = {"/bin/true"};
    // Whatever the machine has installed, there is no execlineb in /command or on PATH.
    options.launcher_script = fmt::format(
        "set -e\nmkdir -p {r}/etc-work\n"
        "mount -t overlay overlay -o lowerdir=/etc,upperdir={r}/etc-upper,workdir={r}/etc-work /etc\n"
        "{hide}{run}set +e\nexec \"$@\"",
        fmt::arg("r", shell_quote(sandbox.root().string())), fmt::arg("hide", hide_in_usr_bin(sandbox, {"execlineb"})),
        fmt::arg("run", kPrivateRunNoCommand));
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "/etc/s6-overlay/s6-rc.d/init-x/up: uses a { } block")) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 126) << "a oneshot that cannot run fails like a cont-init script\n" << r.diagnostics();
}

// ---- a v2 tree, as a blog writes it ---------------------------------------

// The files exactly as the blog shows them. It lists the service dir as
// `app/` but its run script calls /etc/services.d/swoole/daemon: the dir is
// `swoole/` here so the run script works as written.
constexpr std::string_view kSeedRun = "#!/usr/bin/with-contenv sh\n"
                                      "s6-setuidgid zendphp:zendphp /etc/services.d/swoole/daemon\n";
constexpr std::string_view kSeedDaemon = "#!/bin/bash\n\nset -e\n\ncd /var/www && ./vendor/bin/laminas mezzio:swoole:start\n";
constexpr std::string_view kSeedFinish = "#!/usr/bin/execlineb -S0\ns6-svscanctl -t /var/run/s6/services\n";
constexpr std::string_view kSeedPermissions = "#!/bin/bash\n# File: /etc/cont-init.d/00-permissions.sh\n\nset -e\n\n"
                                              "chown -R zendphp.zendphp data\nchmod 0775 data\nchmod -R u+rw data\n";
constexpr std::string_view kSeedLogging = "#!/bin/bash\n# File: /etc/cont-init.d/01-logging.sh\n\nset -e\n\n"
                                          "echo \"Setting permissions for output files...\"\n"
                                          "chown --dereference zendphp /dev/stdout /dev/stderr\n"
                                          "echo \"Permissions properly set.\"\n";
constexpr std::string_view kSeedCacheSeed = "#!/usr/bin/with-contenv /bin/bash\n# File: /etc/cont-init.d/02-cache-seed.sh\n\n"
                                            "set -e\n\n./vendor/bin/laminas cache:seed\n";

TEST(S6Compat, Seed002TreeRunsUnchanged) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path etc = sandbox.root() / "etc-upper";
    const fs::path var = sandbox.root() / "var-upper";
    const std::string out = sandbox.out_dir().string();

    // The image: a zendphp user, the seed's scripts, a stand-in for the Swoole app.
    write_file(etc / "passwd", read_file("/etc/passwd") + "zendphp:x:1001:1001::/home/zendphp:/bin/sh\n");
    write_file(etc / "group", read_file("/etc/group") + "zendphp:x:1001:\n");
    write_file(etc / "cont-init.d/00-permissions.sh", kSeedPermissions, 0755);
    write_file(etc / "cont-init.d/01-logging.sh", kSeedLogging, 0755);
    write_file(etc / "cont-init.d/02-cache-seed.sh", kSeedCacheSeed, 0755);
    write_file(etc / "services.d/swoole/run", kSeedRun, 0755);
    write_file(etc / "services.d/swoole/daemon", "#!/bin/bash\n\nset -e\n\ncd /var/www && ./vendor/bin/laminas mezzio:swoole:start\n", 0755);
    write_file(etc / "services.d/swoole/finish", kSeedFinish, 0755);
    fs::create_directories(var / "www/data");
    // The Swoole daemon's stand-in: reports who and what it runs with, then
    // "crashes" (exit 1) once the test asks it to.
    write_file(var / "www/vendor/bin/laminas",
               fmt::format("#!/bin/sh\nOUT={}\ncase \"$1\" in\n"
                           "cache:seed) cat /proc/$$/environ > \"$OUT/cache-seed.env\" ;;\n"
                           "mezzio:swoole:start)\n"
                           "  cat /proc/$$/status > \"$OUT/daemon.status.tmp\"; mv \"$OUT/daemon.status.tmp\" \"$OUT/daemon.status\"\n"
                           "  stat -c %U /var/www/data > \"$OUT/data.owner\"\n"
                           "  cat /proc/$$/environ > \"$OUT/daemon.env.tmp\"; mv \"$OUT/daemon.env.tmp\" \"$OUT/daemon.env\"\n"
                           "  {}\n  exit 1 ;;\nesac\n",
                           shell_quote(out), sh_wait_for_file("\"$OUT/crash\"", 30)),
               0755);
    EXPECT_EQ(kSeedDaemon, read_file(etc / "services.d/swoole/daemon"));

    // `tend compat install` into a staging root, then its /usr/bin links into
    // the overlay (the Dockerfile's `RUN ["/sbin/tend", "compat", "install"]`).
    fs::path stage = sandbox.root() / "stage";
    ASSERT_EQ(std::system(fmt::format("{} compat install {}", shell_quote(tend_binary().string()),
                                      shell_quote(stage.string())).c_str()),
              0);
    const std::string r = sandbox.root().string();
    TendOptions options;
    options.use_default_args = false;  // the s6-overlay v2 dirs are tend's defaults
    // The runtime dir is tend's default, /run/tend (in the private /run), as in the image.
    // PATH as s6-overlay v2 images have it, without /usr/local: the applets
    // are the links copied into /usr/bin below, whatever this machine has.
    options.env = {{"APP_SECRET", "from-docker-run"}, {"TEND_RUNTIME_DIR", "/run/tend"}, {"PATH", "/usr/bin:/bin"}};
    options.launcher_script = fmt::format(
        "set -e\n"
        "mkdir -p {r}/etc-work {r}/usr-upper {r}/usr-work {r}/var-work\n"
        "mount -t overlay overlay -o lowerdir=/etc,upperdir={r}/etc-upper,workdir={r}/etc-work /etc\n"
        "mount -t overlay overlay -o lowerdir=/usr/bin,upperdir={r}/usr-upper,workdir={r}/usr-work /usr/bin\n"
        "mount -t overlay overlay -o lowerdir=/var,upperdir={r}/var-upper,workdir={r}/var-work /var\n"
        "mount -t tmpfs tmpfs /run\n"
        "cp -a {r}/stage/usr/bin/. /usr/bin/\n"
        "cd /var/www\n"  // the image's WORKDIR
        "set +e\nexec \"$@\"",
        fmt::arg("r", shell_quote(r)));
    TendProcess tend(sandbox, options);
    ASSERT_TRUE(wait_for_file(sandbox.out("daemon.env"))) << tend.wait().diagnostics();

    // cont-init ran as root, with-contenv included.
    auto seed_env = parse_environ(read_file(sandbox.out("cache-seed.env")));
    EXPECT_EQ(seed_env["APP_SECRET"], "from-docker-run");
    EXPECT_EQ(read_file(sandbox.out("data.owner")), "zendphp\n");
    // The daemon runs as zendphp with every id, and the container environment.
    auto status = parse_proc_status(read_file(sandbox.out("daemon.status")));
    EXPECT_EQ(split_words(status["Uid"]), (std::vector<std::string>{"1001", "1001", "1001", "1001"}));
    EXPECT_EQ(split_words(status["Gid"]), (std::vector<std::string>{"1001", "1001", "1001", "1001"}));
    auto daemon_env = parse_environ(read_file(sandbox.out("daemon.env")));
    EXPECT_EQ(daemon_env["APP_SECRET"], "from-docker-run");

    // A crash of the daemon halts the container through the finish script.
    write_file(sandbox.out("crash"), "now\n", 0644);
    RunResult result = tend.wait();
    ASSERT_FALSE(result.timed_out) << result.diagnostics();
    EXPECT_TRUE(contains(result.err, "tend ctl halt from uid 0")) << "through the control socket\n" << result.diagnostics();
    EXPECT_EQ(lines_containing(result.err, "service swoole: started").size(), 1u)
        << "the daemon must not be restarted after the halt\n" << result.diagnostics();
}

}  // namespace
}  // namespace tend::itest

namespace tend::itest {
namespace {

// /etc gets the sandbox's etc-upper as an overlay (a v3 tree inside it), /run a tmpfs.
std::string v3_launcher(const Sandbox& sandbox) {
    return fmt::format(
        "set -e\nmkdir -p {r}/etc-upper {r}/etc-work\n"
        "mount -t overlay overlay -o lowerdir=/etc,upperdir={r}/etc-upper,workdir={r}/etc-work /etc\n"
        "mount -t tmpfs tmpfs /run\nset +e\nexec \"$@\"",
        fmt::arg("r", shell_quote(sandbox.root().string())));
}

TEST(S6Compat, V3TimeoutUpAndTimeoutDownKillTheScript) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path rc = sandbox.root() / "etc-upper/s6-overlay/s6-rc.d";
    const std::string out = shell_quote(sandbox.out_dir().string());
    write_file(rc / "init-slow/type", "oneshot\n");
    write_file(rc / "init-slow/up", "/etc/s6-overlay/s6-rc.d/init-slow/start\n");
    write_file(rc / "init-slow/start", fmt::format("#!/bin/sh\necho $$ > {}/slow.pid\nexec sleep 1000\n", out), 0755);
    write_file(rc / "init-slow/timeout-up", "300\n");
    write_file(rc / "init-slow/down", "/etc/s6-overlay/s6-rc.d/init-slow/stop\n");
    write_file(rc / "init-slow/stop", fmt::format("#!/bin/sh\necho $$ > {}/stopping\nexec sleep 1000\n", out), 0755);
    write_file(rc / "init-slow/timeout-down", "200ms\n");
    write_file(rc / "svc-app/type", "longrun\n");
    write_file(rc / "svc-app/run", fmt::format("#!/bin/sh\necho up > {}/svc.started\nexec sleep 1000\n", out), 0755);
    write_file(rc / "user/type", "bundle\n");
    write_file(rc / "user/contents.d/init-slow", "");
    write_file(rc / "user/contents.d/svc-app", "");
    TendOptions options;
    options.launcher_script = v3_launcher(sandbox);
    RunResult r = run_until_files(sandbox, {"slow.pid", "svc.started"}, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "s6-rc.d/init-slow/up: timeout-up of 300 ms passed, sending SIGKILL")) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "s6-rc.d/init-slow/up: killed by SIGKILL; continuing")) << r.diagnostics();
    EXPECT_TRUE(file_exists(sandbox.out("stopping"))) << "its down ran at shutdown\n" << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "s6-rc.d/init-slow/down: timeout-down of 200 ms passed, sending SIGKILL"))
        << r.diagnostics();
}

TEST(S6Compat, ScriptsWithoutExecuteBitRunThroughTheirShebang) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path rc = sandbox.root() / "etc-upper/s6-overlay/s6-rc.d";
    const std::string out = shell_quote(sandbox.out_dir().string());
    write_file(rc / "init-x/type", "oneshot\n");
    write_file(rc / "init-x/up", "/etc/s6-overlay/s6-rc.d/init-x/run\n");
    write_file(rc / "init-x/run", fmt::format("#!/bin/sh\necho \"$0\" > {}/init-x.ran\n", out), 0644);
    write_file(rc / "svc-x/type", "longrun\n");
    write_file(rc / "svc-x/run", fmt::format("#!/bin/sh -e\necho \"$0\" > {}/svc-x.ran\nexec sleep 1000\n", out), 0644);
    write_file(rc / "user/type", "bundle\n");
    write_file(rc / "user/contents.d/init-x", "");
    write_file(rc / "user/contents.d/svc-x", "");
    write_file(sandbox.cont_init_dir() / "10-plain", fmt::format("#!/bin/sh\necho \"$0\" > {}/cont-init.ran\n", out),
               0644);
    write_file(sandbox.cont_init_dir() / "20-no-shebang", "echo never\n", 0644);
    TendOptions options;
    options.launcher_script = v3_launcher(sandbox);
    RunResult r = run_until_files(sandbox, {"init-x.ran", "svc-x.ran", "cont-init.ran"}, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("init-x.ran")), "/etc/s6-overlay/s6-rc.d/init-x/run\n");
    EXPECT_EQ(read_file(sandbox.out("svc-x.ran")), "/etc/s6-overlay/s6-rc.d/svc-x/run\n");
    EXPECT_EQ(read_file(sandbox.out("cont-init.ran")), (sandbox.cont_init_dir() / "10-plain").string() + "\n");
    EXPECT_TRUE(contains(r.err, "init-x/run: not executable; run through its #! line")) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "service svc-x: /etc/s6-overlay/s6-rc.d/svc-x/run: not executable; started through its #! line"))
        << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "10-plain: not executable; run through its #! line")) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "20-no-shebang: not executable, skipped")) << "no #! line: nothing to run it with\n"
                                                                           << r.diagnostics();
}

// /command (s6-overlay v3's bin dir) goes first on PATH. The test builds a
// root of its own (a tmpfs with the host's dirs bound in, plus /command) and
// chroots tend into it, so nothing is created on the host.
TEST(S6Compat, CommandDirComesFirstOnPath) {
    TEND_REQUIRE_NAMESPACES();
    // The chroot leaves the machine's /command (if any) out and makes its own.
    const bool machine_has_command = fs::exists("/command");
    Sandbox sandbox;
    sandbox.service("app").run("echo \"$PATH\" > \"$OUT/svc.path\"\nexec sleep 1000\n");
    TendOptions options = s6_options({{"S6_KEEP_ENV", "0"}, {"PATH", "/usr/bin:/bin"}});
    options.launcher_script = fmt::format(
        "set -e\nN={r}/newroot\nmkdir -p \"$N\"\nmount -t tmpfs tmpfs \"$N\"\n"
        "for d in $(ls -A /); do\n"
        "  case $d in proc|sys|dev|run|command|lost+found) continue;; esac\n"
        "  if [ -L \"/$d\" ]; then ln -s \"$(readlink \"/$d\")\" \"$N/$d\"\n"
        "  elif [ -d \"/$d\" ]; then mkdir \"$N/$d\"; mount --rbind \"/$d\" \"$N/$d\"; fi\n"
        "done\n"
        "mkdir \"$N/proc\" \"$N/sys\" \"$N/dev\" \"$N/run\" \"$N/command\"\n"
        "mount --rbind /proc \"$N/proc\"\nmount --rbind /sys \"$N/sys\"\nmount --rbind /dev \"$N/dev\"\n"
        "mount -t tmpfs tmpfs \"$N/run\"\n"
        "printf '#!/bin/sh\\necho from-command\\n' > \"$N/command/tend-test-hello\"\n"
        "chmod 755 \"$N/command/tend-test-hello\"\n"
        "set +e\nexec /usr/sbin/chroot \"$N\" \"$@\"",
        fmt::arg("r", shell_quote(sandbox.root().string())));
    options.command = sandbox.sh(sh_wait_for_file("\"$OUT/svc.path\"") +
                                 "echo \"$PATH\" > \"$OUT/cmd.path\"\ntend-test-hello > \"$OUT/hello\"\n");
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("cmd.path")), "/command:/usr/bin:/bin\n") << r.diagnostics();
    EXPECT_TRUE(read_file(sandbox.out("svc.path")).starts_with("/command:")) << read_file(sandbox.out("svc.path"));
    EXPECT_EQ(read_file(sandbox.out("hello")), "from-command\n") << r.diagnostics();
    EXPECT_EQ(fs::exists("/command"), machine_has_command) << "nothing may be left on the host";
}

}  // namespace
}  // namespace tend::itest
