// Proves: docs/check.md
// `tend check`: the broken trees the other suites start tend on (bad input,
// capabilities, users, depends, ready-when, schedules, interpreters, limits,
// cont-init scripts, s6-overlay v3), each problem named as `FILE: what is
// wrong`, every one of them, exit 1, nothing run; the good examples: exit 0
// and not a word. check runs inside the harness's PID namespace like every
// tend run (a mistake that made it an init must not reach kill(-1)).
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <cstdlib>

#include "harness.hpp"
#include "require_capsh.hpp"

namespace tend::itest {
namespace {

// Every service would leave a marker if anything ran it.
std::string marker(std::string_view name) { return fmt::format("echo ran > \"$OUT/{}.ran\"\nexec sleep 1000\n", name); }

RunResult run_check(const Sandbox& sandbox, std::vector<std::string> extra = {}, TendOptions options = {}) {
    options.use_default_args = false;
    options.args = {"check", "--services-dir", sandbox.services_dir().string(), "--cont-init-dir",
                    sandbox.cont_init_dir().string(), "--cont-finish-dir", sandbox.cont_finish_dir().string()};
    options.args.insert(options.args.end(), extra.begin(), extra.end());
    return run_tend(sandbox, options);
}

// The lines of `err` that start with `file` + ": ".
std::vector<std::string> problems_of(const std::string& err, const fs::path& file) {
    std::vector<std::string> found;
    for (const auto& line : lines_containing(err, file.string() + ": "))
        if (line.starts_with(file.string() + ": ")) found.push_back(line);
    return found;
}

void expect_problem(const RunResult& r, const fs::path& file, std::string_view reason = {}) {
    const auto lines = problems_of(r.err, file);
    EXPECT_FALSE(lines.empty()) << "no problem named " << file << "\n" << r.diagnostics();
    if (reason.empty() || lines.empty()) return;
    bool said = false;
    for (const auto& line : lines) said = said || contains(line, reason);
    EXPECT_TRUE(said) << file << " should say '" << reason << "'\n" << r.diagnostics();
}

TEST(Check, EveryBrokenTreeOfTheSuitesIsNamedFileByFile) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    // test_bad_input: each broken service dir.
    sandbox.service("missing-run").user("nobody");
    sandbox.service("not-executable").file("run", sandbox.script(marker("not-executable")), 0644);
    fs::create_directories(sandbox.services_dir() / "run-is-dir" / "run");
    sandbox.service("run-symlink-loop");
    fs::create_symlink("run", sandbox.services_dir() / "run-symlink-loop" / "run");
    sandbox.service("unknown-down-signal").down_signal("SIGNOPE").run(marker("x"));
    sandbox.service("bad-timeout-kill").timeout_kill("soon").run(marker("x"));
    sandbox.service("negative-timeout-kill").timeout_kill("-5").run(marker("x"));
    sandbox.service("bad-restart").restart("sometimes").run(marker("x"));
    sandbox.service("huge-user").file("user", std::string(10 * 1024 * 1024, 'a')).run(marker("x"));
    // test_capabilities, test_privilege: an unknown capability, an unknown user.
    sandbox.service("bad-caps").user("nobody").file("capabilities", "cap_net_bind_service cap_frobnicate\n").run(marker("x"));
    sandbox.service("ghost").user("no-such-user-xyz").run(marker("x"));
    // test_readiness: unknown and cyclic dependencies.
    sandbox.service("orphan").line("depends", "nosuch").run(marker("x"));
    sandbox.service("ping").line("depends", "pong").run(marker("x"));
    sandbox.service("pong").line("depends", "ping").run(marker("x"));
    sandbox.service("narcissus").line("depends", "narcissus").run(marker("x"));
    // test_ready_when: targets that cannot be probed.
    sandbox.service("rw-hostname").line("ready-when", "tcp db.internal:5432").run(marker("x"));
    sandbox.service("rw-relative").line("ready-when", "socket run/php.sock").run(marker("x"));
    sandbox.service("rw-both").line("notification-fd", "3").line("ready-when", "tcp 80").run(marker("x"));
    // test_schedule: a field out of range, a schedule with a restart policy.
    sandbox.service("cron-bad").line("schedule", "0 25 * * *").run("exit 0\n");
    sandbox.service("cron-conflict").line("schedule", "@daily").restart("never").run("exit 0\n");
    // test_s6_compat: a missing interpreter for a run and a cont-init script.
    write_file(sandbox.services_dir() / "no-interpreter" / "run", "#!/usr/bin/tend-test-no-such-interpreter\n", 0755);
    write_file(sandbox.cont_init_dir() / "00-init", "#!/usr/bin/tend-test-missing-too -e\n", 0755);
    // test_cont_init: a script without its execute bit is skipped at start.
    sandbox.cont_init("10-not-executable", "echo ran > \"$OUT/init.ran\"\n", 0644);
    write_file(sandbox.cont_finish_dir() / "90-finish-missing-interpreter", "#!/nonexistent/sh\n", 0755);
    // Three mistakes in one dir: all three, not only the first.
    sandbox.service("many").restart("sometimes").down_signal("SIGNOPE").timeout_kill("soon").run(marker("x"));
    // The good ones stay unnamed.
    sandbox.service("good").run(marker("good"));
    write_file(sandbox.services_dir() / "README", "not a service\n");

    RunResult r = run_check(sandbox);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 1) << r.diagnostics();
    EXPECT_EQ(r.out, "") << r.diagnostics();
    const fs::path s = sandbox.services_dir();
    expect_problem(r, s / "missing-run" / "run");
    expect_problem(r, s / "not-executable" / "run");
    expect_problem(r, s / "run-is-dir" / "run");
    expect_problem(r, s / "run-symlink-loop" / "run");
    expect_problem(r, s / "unknown-down-signal" / "down-signal", "SIGNOPE");
    expect_problem(r, s / "bad-timeout-kill" / "timeout-kill");
    expect_problem(r, s / "negative-timeout-kill" / "timeout-kill");
    expect_problem(r, s / "bad-restart" / "restart", "sometimes");
    expect_problem(r, s / "huge-user" / "user");
    expect_problem(r, s / "bad-caps" / "capabilities", "frobnicate");
    expect_problem(r, s / "ghost" / "user", "no-such-user-xyz");
    expect_problem(r, s / "orphan" / "depends", "nosuch");
    expect_problem(r, s / "ping" / "depends", "cycle");
    expect_problem(r, s / "pong" / "depends", "cycle");
    expect_problem(r, s / "narcissus" / "depends", "cycle");
    expect_problem(r, s / "rw-hostname" / "ready-when");
    expect_problem(r, s / "rw-relative" / "ready-when");
    expect_problem(r, s / "rw-both" / "ready-when", "notification-fd");
    expect_problem(r, s / "cron-bad" / "schedule", "hour: '25' is not an hour (0-23)");
    expect_problem(r, s / "cron-conflict" / "schedule", "cannot be combined with");
    expect_problem(r, s / "no-interpreter" / "run", "interpreter /usr/bin/tend-test-no-such-interpreter not found");
    expect_problem(r, sandbox.cont_init_dir() / "00-init", "interpreter /usr/bin/tend-test-missing-too not found");
    expect_problem(r, sandbox.cont_init_dir() / "10-not-executable", "not executable");
    expect_problem(r, sandbox.cont_finish_dir() / "90-finish-missing-interpreter", "/nonexistent/sh");
    expect_problem(r, s / "many" / "restart");
    expect_problem(r, s / "many" / "down-signal");
    expect_problem(r, s / "many" / "timeout-kill");
    EXPECT_TRUE(problems_of(r.err, s / "good").empty()) << r.diagnostics();
    EXPECT_TRUE(lines_containing(r.err, "README").empty()) << r.diagnostics();
    // One line a problem, each naming a file of the tree; nothing ran.
    for (const auto& line : lines_containing(r.err, "")) {
        if (line.starts_with("warning: ")) continue;
        EXPECT_TRUE(line.starts_with(sandbox.root().string())) << line;
    }
    EXPECT_FALSE(file_exists(sandbox.out("good.ran")));
    EXPECT_FALSE(file_exists(sandbox.out("init.ran")));
    EXPECT_LT(r.err.size(), 64u * 1024) << "a 10 MB file must not be echoed";
}

// --crontab (or TEND_CRONTAB): every bad line as FILE:LINE, a zone
// Supercronic cannot load among them; a good crontab passes silently.
TEST(Check, EveryBadCrontabLineIsNamedAsFileColonLine) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path crontab = sandbox.root() / "crontab";
    write_file(crontab,
               "# Supercronic's format\n"
               "*/5 * * * * * * echo fine\n"
               "61 * * * * echo bad minute\n"
               "GREETING='hello'\n"
               "CRON_TZ=Mars/Olympus_Mons\n"
               "echo no schedule at all\n"
               "0 0 L * * echo last day is fine\n");
    RunResult r = run_check(sandbox, {"--crontab", crontab.string()});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 1) << r.diagnostics();
    const auto named = problems_of(r.err, crontab);
    EXPECT_TRUE(named.empty()) << "FILE:LINE, not FILE: LINE\n" << r.diagnostics();
    const auto lines = lines_containing(r.err, crontab.string() + ":");
    ASSERT_EQ(lines.size(), 3u) << r.diagnostics();
    EXPECT_TRUE(lines[0].starts_with(crontab.string() + ":3: bad crontab line '61 * * * * echo bad minute'")) << lines[0];
    EXPECT_TRUE(contains(lines[0], "minute: '61'")) << lines[0];
    EXPECT_EQ(lines[1], crontab.string() + ":5: CRON_TZ=Mars/Olympus_Mons: unknown time zone 'Mars/Olympus_Mons' "
                                           "(no zone file of that name)");
    EXPECT_TRUE(lines[2].starts_with(crontab.string() + ":6: bad crontab line 'echo no schedule at all'")) << lines[2];

    write_file(crontab, "CRON_TZ=Europe/Berlin\n*/5 * * * * * * echo fine\n0 0 L * * echo last day\n");
    RunResult good = run_check(sandbox, {}, TendOptions{.env = {{"TEND_CRONTAB", crontab.string()}}});
    EXPECT_EQ(good.exit_code, 0) << good.diagnostics();
    EXPECT_EQ(good.err, "") << good.diagnostics();
}

// test_limits: above tend's hard limit, without CAP_SYS_RESOURCE to raise it.
TEST(Check, ALimitAboveTheCurrentHardLimitIsNamed) {
    TEND_REQUIRE_NAMESPACES();
    TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("over").line("limits", "nofile 8192").run(marker("over"));
    sandbox.service("at").line("limits", "nofile 4096").run(marker("at"));
    TendOptions options;
    options.launcher_script = "ulimit -n 4096 || exit 99\n"
                              "exec capsh --drop=cap_sys_resource -- -c 'exec \"$@\"' sh \"$@\"";
    RunResult r = run_check(sandbox, {}, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 1) << r.diagnostics();
    expect_problem(r, sandbox.services_dir() / "over" / "limits", "above tend's hard limit 4096");
    EXPECT_TRUE(problems_of(r.err, sandbox.services_dir() / "at" / "limits").empty()) << r.diagnostics();
}

// Options are tend's own and checked as at start, TEND_* twins included.
TEST(Check, TheOptionsAndVariablesOfTheStartAreChecked) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("good").run(marker("good"));
    RunResult r = run_check(sandbox, {"--cmd-user", "no-such-user-xyz"}, {.env = {{"TEND_CONTROL_GROUP", "no-such-group-xyz"}}});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 1) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "--cmd-user no-such-user-xyz: ")) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "--control-group ")) << r.diagnostics();

    RunResult typo = run_check(sandbox, {"--service-dir", "/x"});
    EXPECT_EQ(typo.exit_code, 2) << typo.diagnostics();
    EXPECT_EQ(typo.err, "tend: error: unknown option --service-dir (did you mean --services-dir?)\n")
        << typo.diagnostics();
    RunResult cmd = run_check(sandbox, {"php-fpm"});
    EXPECT_EQ(cmd.exit_code, 2) << cmd.diagnostics();
    EXPECT_TRUE(contains(cmd.err, "check starts nothing and takes no CMD: 'php-fpm'")) << cmd.diagnostics();

    RunResult help = run_check(sandbox, {"--help"});
    EXPECT_EQ(help.exit_code, 0) << help.diagnostics();
    EXPECT_TRUE(help.out.starts_with("Usage: tend check [OPTIONS]\n")) << help.diagnostics();
    EXPECT_TRUE(contains(help.out, "TEND_SERVICES_DIR")) << help.diagnostics();
}

// The launcher of the s6-overlay cases: /etc seen through an overlay whose
// upper dir is the sandbox's etc-upper (where each test writes
// /etc/s6-overlay), private to the run's mount namespace.
std::string with_etc_overlay(const Sandbox& sandbox) {
    return fmt::format(
        "set -e\nmkdir -p {r}/etc-work\n"
        "mount -t overlay overlay -o lowerdir=/etc,upperdir={r}/etc-upper,workdir={r}/etc-work /etc\n"
        "set +e\nexec \"$@\"",
        fmt::arg("r", shell_quote(sandbox.root().string())));
}

// s6-overlay v3 (/etc/s6-overlay): unknown names and a dependency cycle.
TEST(Check, AnS6OverlayV3TreeWithACycleAndAnUnknownName) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path rc = sandbox.root() / "etc-upper/s6-overlay/s6-rc.d";
    write_file(rc / "a/type", "longrun\n");
    write_file(rc / "a/run", "#!/bin/sh\nexec sleep 1000\n", 0755);
    write_file(rc / "a/dependencies.d/b", "");
    write_file(rc / "b/type", "longrun\n");
    write_file(rc / "b/run", "#!/bin/sh\nexec sleep 1000\n", 0755);
    write_file(rc / "b/dependencies.d/a", "");
    write_file(rc / "c/type", "longrun\n");
    write_file(rc / "c/run", "#!/bin/sh\nexec sleep 1000\n", 0755);
    write_file(rc / "c/dependencies.d/nosuch", "");
    write_file(rc / "user/type", "bundle\n");
    for (const char* name : {"a", "b", "c"}) write_file(rc / "user/contents.d" / name, "");
    TendOptions options;
    options.env = {{"S6_BEHAVIOUR_IF_STAGE2_FAILS", "2"}, {"PATH", "/usr/bin:/bin"}};
    options.launcher_script = with_etc_overlay(sandbox);
    RunResult r = run_check(sandbox, {}, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 1) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "/etc/s6-overlay/s6-rc.d/a/depends: dependency cycle a -> b -> a\n"))
        << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "/etc/s6-overlay/s6-rc.d/b/depends: dependency cycle a -> b -> a\n"))
        << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "/etc/s6-overlay/s6-rc.d/c/dependencies.d: no service or bundle named 'nosuch'\n"))
        << r.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("a.ran")));
}

// The good trees: the examples of the repository. Silent, exit 0.
void expect_silent_pass(const RunResult& r) {
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(r.err, "") << r.diagnostics();
    EXPECT_EQ(r.out, "") << r.diagnostics();
}

TEST(Check, TheExampleTreesPassSilently) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path source = TEND_SOURCE_DIR;
    TendOptions options;
    options.use_default_args = false;
    options.args = {"check", "--services-dir", (source / "services.d.example").string(), "--cont-init-dir",
                    (source / "cont-init.d.example").string(), "--cont-finish-dir", "/nonexistent"};
    expect_silent_pass(run_tend(sandbox, options));
}

TEST(Check, TheDockerExampleTreesPassSilentlyWithTheirImagesUsers) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path examples = fs::path(TEND_SOURCE_DIR) / "docker/examples";
    // The nginx example's image adds the user app (uid 3000): so does this /etc/passwd.
    const fs::path passwd = sandbox.root() / "passwd";
    const fs::path group = sandbox.root() / "group";
    write_file(passwd, read_file("/etc/passwd") + "app:x:3000:3000::/nonexistent:/usr/sbin/nologin\n");
    write_file(group, read_file("/etc/group") + "app:x:3000:\n");
    for (const char* example : {"nginx-php-fpm", "cron"}) {
        SCOPED_TRACE(example);
        TendOptions options;
        options.use_default_args = false;
        // The image's paths too: the `paths` files name directories that
        // exist in the image (Landlock rules need existing paths), made here
        // in overlays of /etc and /var private to this run.
        options.launcher_script = fmt::format(
            "set -e\nmkdir -p {r}/etc-upper {r}/etc-work {r}/var-upper {r}/var-work\n"
            "mount -t overlay overlay -o lowerdir=/etc,upperdir={r}/etc-upper,workdir={r}/etc-work /etc\n"
            "mount -t overlay overlay -o lowerdir=/var,upperdir={r}/var-upper,workdir={r}/var-work /var\n"
            "cat {r}/passwd > /etc/passwd\ncat {r}/group > /etc/group\n"
            "mkdir -p /etc/services.d/nginx /etc/services.d/php-fpm /etc/nginx /etc/php /var/www/html\n"
            "set +e\nexec \"$@\"",
            fmt::arg("r", shell_quote(sandbox.root().string())));
        options.args = {"check", "--services-dir", (examples / example / "rootfs/etc/services.d").string(),
                        "--cont-init-dir", "/nonexistent", "--cont-finish-dir", "/nonexistent"};
        if (example == std::string_view("cron"))  // its Supercronic crontab, as `supercronic` reads it
            options.args.insert(options.args.end(), {"--crontab", (examples / example / "rootfs/etc/crontab").string()});
        expect_silent_pass(run_tend(sandbox, options));
    }
}

// A longrun only `user2` wants starts after every services.d service: check
// loads it with that dependency as start does, so a services.d service that
// depends on it is a cycle here too (start refuses both).
TEST(Check, AnS6OverlayLongrunAfterTheLegacyServicesIsLoadedAsAtStart) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path rc = sandbox.root() / "etc-upper/s6-overlay/s6-rc.d";
    write_file(rc / "late/type", "longrun\n");
    write_file(rc / "late/run", "#!/bin/sh\nexec sleep 1000\n", 0755);
    write_file(rc / "user2/type", "bundle\n");
    write_file(rc / "user2/contents.d/late", "");
    sandbox.service("web").line("depends", "late").run(marker("web"));
    TendOptions options;
    options.env = {{"PATH", "/usr/bin:/bin"}};
    options.launcher_script = with_etc_overlay(sandbox);
    RunResult r = run_check(sandbox, {}, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 1) << r.diagnostics();
    expect_problem(r, sandbox.services_dir() / "web" / "depends", "dependency cycle");
    EXPECT_FALSE(file_exists(sandbox.out("web.ran")));
}

// Oneshots are checked as they will start, the late ones (waiting for a
// longrun) as well as those that run right after cont-init.d.
TEST(Check, EveryOneshotsScriptIsCheckedEarlyAndLate) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path rc = sandbox.root() / "etc-upper/s6-overlay/s6-rc.d";
    write_file(rc / "svc/type", "longrun\n");
    write_file(rc / "svc/run", "#!/bin/sh\nexec sleep 1000\n", 0755);
    write_file(rc / "early/type", "oneshot\n");
    write_file(rc / "early/up", "/no/such/program-early\n");
    write_file(rc / "late/type", "oneshot\n");
    write_file(rc / "late/up", "/no/such/program-late\n");
    write_file(rc / "late/dependencies.d/svc", "");
    write_file(rc / "user/type", "bundle\n");
    for (const char* name : {"svc", "early", "late"}) write_file(rc / "user/contents.d" / name, "");
    TendOptions options;
    options.env = {{"PATH", "/usr/bin:/bin"}};
    options.launcher_script = with_etc_overlay(sandbox);
    RunResult r = run_check(sandbox, {}, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 1) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "/etc/s6-overlay/s6-rc.d/early/up: /no/such/program-early: No such file or directory\n"))
        << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "/etc/s6-overlay/s6-rc.d/late/up: /no/such/program-late: No such file or directory\n"))
        << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
