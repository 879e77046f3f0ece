// Proves: docs/s6-overlay.md
// s6 trees as tend carries them out: applet words are tend's own applets
// (never a same-named program on PATH), scripts are read once and a FIFO or
// a rewritten shebang cannot stall PID 1 or reach the container
// environment, execline files of comments succeed, s6-overlay's own names
// are dependency targets in s6-overlay's start order, and S6_STAGE2_HOOK.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control_client.hpp"
#include "harness.hpp"

namespace tend::itest {
namespace {

// A private /run (tend writes /run/s6 there) and, when the machine has one,
// an empty /command: what the test installs is all there is.
constexpr std::string_view kPrivateRun =
    "/bin/mount -t tmpfs tmpfs /run\n"
    "if [ -d /command ]; then /bin/mount -t tmpfs tmpfs /command; fi\n"
    "exec \"$@\"";

TendOptions s6_options(std::map<std::string, std::string> env = {}) {
    TendOptions options;
    options.launcher_script = std::string(kPrivateRun);
    options.env = std::move(env);
    return options;
}

// /etc/s6-overlay from <sandbox>/etc-upper (an overlay on /etc), plus the above.
TendOptions v3_options(const Sandbox& sandbox, std::map<std::string, std::string> env = {}) {
    TendOptions options;
    options.env = std::move(env);
    // Absolute paths: a test may give tend a PATH with nothing in it.
    options.launcher_script = fmt::format(
        "set -e\n/bin/mkdir -p {r}/etc-work\n"
        "/bin/mount -t overlay overlay -o lowerdir=/etc,upperdir={r}/etc-upper,workdir={r}/etc-work /etc\n"
        "/bin/mount -t tmpfs tmpfs /run\n"
        "if [ -d /command ]; then /bin/mount -t tmpfs tmpfs /command; fi\n"
        "set +e\nexec \"$@\"",
        fmt::arg("r", shell_quote(sandbox.root().string())));
    return options;
}

// Symlinks of every applet in <sandbox>/root/{command,usr/bin}; returns
// "<root>/command".
fs::path install_applets(const Sandbox& sandbox) {
    fs::path root = sandbox.root() / "root";
    std::string command = fmt::format("{} compat install {}", shell_quote(tend_binary().string()),
                                      shell_quote(root.string()));
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    return root / "command";
}

// A dir of decoys named like tend's applets: each records that it ran.
fs::path decoys(const Sandbox& sandbox) {
    const fs::path dir = sandbox.root() / "decoys";
    for (const char* name : {"halt", "s6-svscanctl", "with-contenv"})
        write_file(dir / name, sandbox.script(fmt::format("echo \"$0 $*\" >> \"$OUT/decoy-ran\"\nexit 0\n")), 0755);
    ::chmod(dir.c_str(), 0755);
    return dir;
}

bool serving(const Sandbox& sandbox) {
    return wait_until([&] { return ctl(sandbox, {"status"}).code == 0; }, 15s);
}

// ---- tend's own applets, never a decoy on PATH -----------------------------

// A finish script in execline saying `halt 7`, with a distribution's `halt`
// first on PATH (systemctl on Debian): tend carries the script out itself,
// whether or not execlineb is installed, and `halt` is its own applet.
TEST(S6Trees, AppletWordsAreTendsOwnAppletsNotADecoyFirstOnPath) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path decoy_dir = decoys(sandbox);
    sandbox.service("app").run("exit 3\n").file("finish", "#!/usr/bin/execlineb -S0\nhalt 7\n", 0755);
    TendOptions options = s6_options({{"PATH", decoy_dir.string() + ":/usr/sbin:/usr/bin:/sbin:/bin"}});
    options.args.push_back("--runtime-dir=" + sandbox.runtime_dir().string());
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 7) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("decoy-ran")), "") << "a decoy ran instead of tend's applet\n" << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "tend ctl halt from uid 0")) << r.diagnostics();
}

// The same for a v3 oneshot's `up` (execline, as `execlineb -P`).
TEST(S6Trees, OneshotUpWordsAreTendsOwnApplets) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path decoy_dir = decoys(sandbox);
    const fs::path rc = sandbox.root() / "etc-upper/s6-overlay/s6-rc.d";
    write_file(rc / "init-stop/type", "oneshot\n");
    write_file(rc / "init-stop/up", "# stop the container with a code\nhalt 5\n");
    write_file(rc / "user/type", "bundle\n");
    write_file(rc / "user/contents.d/init-stop", "");
    sandbox.service("app").run("exec sleep 1000\n");
    RunResult r = run_tend(sandbox, v3_options(sandbox, {{"PATH", decoy_dir.string() + ":/usr/sbin:/usr/bin:/sbin:/bin"}}));
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 5) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("decoy-ran")), "") << r.diagnostics();
}

// linuxserver.io marks its stages with `up` files holding only a comment:
// for execlineb an empty script, which succeeds.
TEST(S6Trees, UpFileOfCommentsSucceedsWithoutExeclineb) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path rc = sandbox.root() / "etc-upper/s6-overlay/s6-rc.d";
    write_file(rc / "init-config/type", "oneshot\n");
    write_file(rc / "init-config/up", "# This file doesn't do anything, it just signals that services can start\n");
    write_file(rc / "svc-app/type", "longrun\n");
    write_file(rc / "svc-app/run", sandbox.script("echo up > \"$OUT/app.up\"\nexec sleep 1000\n"), 0755);
    write_file(rc / "svc-app/dependencies.d/init-config", "");
    write_file(rc / "user/type", "bundle\n");
    write_file(rc / "user/contents.d/svc-app", "");
    // No execlineb anywhere tend looks.
    RunResult r = run_until_files(sandbox, {"app.up"},
                                  v3_options(sandbox, {{"PATH", (sandbox.root() / "nothing").string()},
                                                       {"S6_BEHAVIOUR_IF_STAGE2_FAILS", "2"}}));
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("app.up")), "up\n") << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "init-config/up: nothing to run (comments only)")) << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "exit 126")) << r.diagnostics();
}

// What tend cannot build exactly goes to a real execlineb (here a stand-in
// that records how it was called); with none, it is refused naming the construct.
TEST(S6Trees, ExeclineWithABlockGoesToExeclinebOrIsRefusedNamingIt) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path bin = sandbox.root() / "bin";
    write_file(bin / "execlineb", sandbox.script("echo \"$*\" > \"$OUT/execlineb.args\"\n"), 0755);
    const fs::path rc = sandbox.root() / "etc-upper/s6-overlay/s6-rc.d";
    write_file(rc / "init-x/type", "oneshot\n");
    write_file(rc / "init-x/up", "foreground { echo hi } echo $HOME\n");
    write_file(rc / "user/type", "bundle\n");
    write_file(rc / "user/contents.d/init-x", "");
    TendOptions options = v3_options(sandbox, {{"PATH", bin.string()}});
    options.command = {"/bin/true"};
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("execlineb.args")), "-P /etc/s6-overlay/s6-rc.d/init-x/up\n") << r.diagnostics();

    fs::remove(bin / "execlineb");
    options.env = {{"PATH", bin.string()}, {"S6_BEHAVIOUR_IF_STAGE2_FAILS", "2"}};
    r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "/etc/s6-overlay/s6-rc.d/init-x/up: uses a { } block (execline's own programs run "
                                "it), which only execlineb can run, and there is none in /command or on PATH"))
        << r.diagnostics();
    EXPECT_EQ(r.exit_code, 126) << "a oneshot that cannot run fails like a cont-init script\n" << r.diagnostics();
}

// ---- scripts are read once: a FIFO or a new shebang changes nothing --------

// A dir and its file owned by uid 1000: what a service of that uid may change.
fs::path app_owned_dir(const Sandbox& sandbox) {
    const fs::path dir = sandbox.root() / "app";
    fs::create_directories(dir);
    EXPECT_EQ(::chown(dir.c_str(), 1000, 1000), 0);
    ::chmod(dir.c_str(), 0755);
    return dir;
}

TEST(S6Trees, AFifoAsRunDoesNotHangPid1) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    // A FIFO there at load: refused, naming it.
    sandbox.service("fifo").line("restart", "never");
    ASSERT_EQ(::mkfifo((sandbox.services_dir() / "fifo/run").c_str(), 0755), 0);
    // A service of uid 1000 whose run is a link into its own dir: it plants a
    // FIFO there and exits, so its restart would find one.
    const fs::path app = app_owned_dir(sandbox);
    write_file(app / "run",
               sandbox.script(fmt::format("rm -f {0}/run && mkfifo -m 0755 {0}/run && echo yes > \"$OUT/planted\"\nexit 1\n",
                                          shell_quote(app.string()))),
               0755);
    ASSERT_EQ(::chown((app / "run").c_str(), 1000, 1000), 0);
    sandbox.service("planter").user("1000");
    fs::create_symlink(app / "run", sandbox.services_dir() / "planter/run");
    sandbox.service("steady").run("exec sleep 1000\n");

    TendProcess tend(sandbox, s6_options());
    ASSERT_TRUE(tend.started());
    EXPECT_TRUE(tend.wait_for_err((sandbox.services_dir() / "fifo/run").string() + ": is not a regular file"))
        << tend.current_err();
    ASSERT_TRUE(wait_for_file(sandbox.out("planted"))) << tend.current_err();
    // Its next start meets the FIFO: exec fails in the child; PID 1 never opens it.
    EXPECT_TRUE(tend.wait_for_err("service planter: cannot exec: Permission denied", 15s)) << tend.current_err();
    EXPECT_TRUE(serving(sandbox)) << "tend stopped answering\n" << tend.current_err();
    CtlResult status = ctl(sandbox, {"status"});
    EXPECT_EQ(status.code, 0) << status.diagnostics();
    EXPECT_TRUE(contains(status.out, "steady")) << status.diagnostics();
    EXPECT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    EXPECT_FALSE(r.timed_out) << r.diagnostics();
}

// A uid-1000 service rewrites its own run to `#!/usr/bin/with-contenv sh` to
// read DB_PASSWORD from the container environment: its restart does not get
// it. A with-contenv shebang in a file that uid owns from the start does
// not either (said once, at load); root's own file does.
TEST(S6Trees, ARewrittenShebangDoesNotGetTheContainerEnvironment) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    install_applets(sandbox);  // a real with-contenv for the kernel to find
    const fs::path contenv = sandbox.root() / "root/usr/bin/with-contenv";
    const std::string out = shell_quote(sandbox.out_dir().string());
    const std::string leak_script =
        fmt::format("#!{} sh\necho \"pw=$DB_PASSWORD\" >> {}/$SVC.leak\nexec sleep 1000\n", contenv.string(), out);

    auto owned_by_1000 = [&](const std::string& name, const std::string& content) {
        sandbox.service(name).user("1000").env("SVC", name);
        const fs::path run = sandbox.services_dir() / name / "run";
        write_file(run, content, 0755);
        EXPECT_EQ(::chown(run.c_str(), 1000, 1000), 0);
    };
    owned_by_1000("rewriter",
                  fmt::format("#!/bin/sh\nprintf '%s' {} > \"$0\"\necho $$ >> {}/rewritten\nexit 1\n",
                              shell_quote(leak_script), out));
    owned_by_1000("owned", leak_script);
    sandbox.service("roots").env("SVC", "roots").file("run", leak_script, 0755);

    TendProcess tend(sandbox, s6_options({{"DB_PASSWORD", "s3cret"}}));
    ASSERT_TRUE(tend.started());
    ASSERT_TRUE(wait_for_file(sandbox.out("roots.leak"))) << tend.current_err();
    EXPECT_EQ(read_file(sandbox.out("roots.leak")), "pw=s3cret\n") << "root's with-contenv script gets it";
    ASSERT_TRUE(wait_for_file(sandbox.out("owned.leak"))) << tend.current_err();
    EXPECT_EQ(read_file(sandbox.out("owned.leak")), "pw=\n");
    EXPECT_TRUE(contains(tend.current_err(), "with-contenv shebang not honoured (it is owned by uid 1000"))
        << tend.current_err();
    // The rewriter's second start runs the rewritten file.
    ASSERT_TRUE(wait_for_file(sandbox.out("rewritten"))) << tend.current_err();
    ASSERT_TRUE(wait_until([&] {
        const std::string err = tend.current_err();
        std::size_t starts = 0;
        for (std::size_t at = err.find("service rewriter: started"); at != std::string::npos;
             at = err.find("service rewriter: started", at + 1))
            ++starts;
        return starts >= 2;
    }, 15s)) << tend.current_err();
    EXPECT_TRUE(serving(sandbox));
    EXPECT_FALSE(contains(read_file(sandbox.out("rewriter.leak")), "s3cret"))
        << "the rewritten shebang reached the container environment";
    EXPECT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    EXPECT_FALSE(r.timed_out) << r.diagnostics();
}

// s6-svscanctl with no command letter sends nothing: `--` is not -t.
TEST(S6Trees, SvscanctlWithoutTDoesNotHalt) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path command = install_applets(sandbox);
    sandbox.service("app").run(fmt::format(
        "{0}/s6-svscanctl -- /run/s6/services; echo $? > \"$OUT/plain.rc\"\n"
        "{0}/s6-svscanctl /run/s6/services; echo $? > \"$OUT/bare.rc\"\nexec sleep 1000\n",
        shell_quote(command.string())));
    RunResult r = run_until_files(sandbox, {"plain.rc", "bare.rc"}, s6_options());
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("plain.rc")), "0\n");
    EXPECT_EQ(read_file(sandbox.out("bare.rc")), "0\n");
    EXPECT_FALSE(contains(r.err, "halt")) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << "stopped by the harness's SIGTERM\n" << r.diagnostics();
}

// s6-rc -d|-u change NAME on a service tend supervises, through control.
TEST(S6Trees, S6RcChangeStopsAndStartsAService) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path command = install_applets(sandbox);
    sandbox.service("app").run("echo $$ >> \"$OUT/app.starts\"\nexec sleep 1000\n");
    // ctl starts beside app: it waits for app's first start to be written.
    sandbox.service("ctl").run(fmt::format(
        "while [ ! -s \"$OUT/app.starts\" ]; do sleep 0.05; done\n"
        "{0}/s6-rc -t 5000 -d change app; echo $? > \"$OUT/down.rc\"\n"
        "{0}/s6-rc -t 5000 -u change app; echo $? > \"$OUT/up.rc\"\n"
        "while [ \"$(wc -l < \"$OUT/app.starts\")\" -lt 2 ]; do sleep 0.05; done\n"
        "{0}/s6-rc -u list app 2> \"$OUT/list.err\"; echo $? > \"$OUT/list.rc\"\nexec sleep 1000\n",
        shell_quote(command.string())));
    TendOptions options = s6_options();
    options.args.push_back("--runtime-dir=" + sandbox.runtime_dir().string());
    RunResult r = run_until_files(sandbox, {"down.rc", "up.rc", "list.rc"}, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("down.rc")), "0\n") << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("up.rc")), "0\n") << r.diagnostics();
    EXPECT_EQ(read_lines(sandbox.out("app.starts")).size(), 2u) << "stopped, then started again\n" << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("list.rc")), "100\n");
    EXPECT_TRUE(contains(read_file(sandbox.out("list.err")), "'list' is not supported")) << read_file(sandbox.out("list.err"));
}

// ---- s6-overlay's own names and its order ---------------------------------

// A service body: appends its name to $OUT/order, says it is ready on fd 3,
// stays up.
std::string ordered_longrun(const Sandbox& sandbox, std::string_view name) {
    return sandbox.script(fmt::format("echo {} >> \"$OUT/order\"\necho >&3\nexec sleep 1000\n", name));
}

TEST(S6Trees, S6OverlaysOwnNamesAndItsStartOrder) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path rc = sandbox.root() / "etc-upper/s6-overlay/s6-rc.d";
    auto oneshot = [&](const std::string& name, std::vector<std::string> deps) {
        write_file(rc / name / "type", "oneshot\n");
        const fs::path script = sandbox.root() / "scripts" / name;
        write_file(script, sandbox.script(fmt::format("echo {} >> \"$OUT/order\"\n", name)), 0755);
        write_file(rc / name / "up", script.string() + "\n");
        for (const auto& dep : deps) write_file(rc / name / "dependencies.d" / dep, "");
    };
    auto longrun = [&](const std::string& name, std::vector<std::string> deps) {
        write_file(rc / name / "type", "longrun\n");
        write_file(rc / name / "notification-fd", "3\n");
        write_file(rc / name / "run", ordered_longrun(sandbox, name), 0755);
        for (const auto& dep : deps) write_file(rc / name / "dependencies.d" / dep, "");
    };
    sandbox.cont_init("10-legacy", "echo cont-init >> \"$OUT/order\"\n");
    oneshot("init-config", {"base", "legacy-cont-init"});
    longrun("svc-user", {"init-config"});
    oneshot("ci-service-check", {"legacy-services"});
    longrun("svc-late", {});
    write_file(rc / "user/type", "bundle\n");
    write_file(rc / "user/contents.d/svc-user", "");
    write_file(rc / "user2/type", "bundle\n");
    write_file(rc / "user2/contents.d/ci-service-check", "");
    write_file(rc / "user2/contents.d/svc-late", "");
    sandbox.service("legacy").file("notification-fd", "3\n").file("run", ordered_longrun(sandbox, "legacy"), 0755);

    TendOptions options = v3_options(sandbox);
    options.args.push_back("--wait-ready");
    options.command = sandbox.sh("echo cmd >> \"$OUT/order\"");
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_FALSE(contains(r.err, "no service or bundle named")) << r.diagnostics();
    auto order = read_lines(sandbox.out("order"));
    ASSERT_EQ(order.size(), 7u) << read_file(sandbox.out("order")) << r.diagnostics();
    EXPECT_EQ(std::vector<std::string>(order.begin(), order.begin() + 4),
              (std::vector<std::string>{"cont-init", "init-config", "svc-user", "legacy"}))
        << read_file(sandbox.out("order"));
    // user2's members both wait for services.d (one by its dependency, one
    // by being in user2); the CMD comes last.
    std::vector<std::string> late(order.begin() + 4, order.begin() + 6);
    std::sort(late.begin(), late.end());
    EXPECT_EQ(late, (std::vector<std::string>{"ci-service-check", "svc-late"})) << read_file(sandbox.out("order"));
    EXPECT_EQ(order.back(), "cmd");
}

// ---- S6_STAGE2_HOOK --------------------------------------------------------

// linuxserver.io's docker-mods hook, in miniature: it adds a service to the
// s6-rc tree and a variable to the container environment; both count.
TEST(S6Trees, Stage2HookRunsFirstAndWhatItAddsCounts) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path rc = sandbox.root() / "etc-upper/s6-overlay/s6-rc.d";
    write_file(rc / "user/type", "bundle\n");
    fs::create_directories(rc / "user/contents.d");
    const fs::path hook = sandbox.root() / "docker-mods";
    write_file(hook, sandbox.script(
                         "echo \"hook $1 uid=$(id -u) secret=$APP_SECRET\" >> \"$OUT/order\"\n"
                         "printf true > /run/s6/container_environment/LSIO_READ_ONLY_FS\n"
                         "d=/etc/s6-overlay/s6-rc.d/svc-custom\nmkdir -p $d\necho longrun > $d/type\n"
                         "printf '#!/usr/bin/with-contenv sh\\necho \"custom ro=$LSIO_READ_ONLY_FS\" >> %s/order\\n"
                         "exec sleep 1000\\n' \"$OUT\" > $d/run\nchmod 755 $d/run\n"
                         "touch /etc/s6-overlay/s6-rc.d/user/contents.d/svc-custom\n"),
               0755);
    write_file(sandbox.cont_init_dir() / "10-init",
               "#!/usr/bin/with-contenv sh\necho \"cont-init ro=$LSIO_READ_ONLY_FS\" >> " +
                   shell_quote(sandbox.out_dir().string()) + "/order\n",
               0755);
    TendOptions options = v3_options(sandbox, {{"S6_STAGE2_HOOK", hook.string() + " mods"}, {"APP_SECRET", "s3"}});
    TendProcess tend(sandbox, options);
    ASSERT_TRUE(tend.started());
    ASSERT_TRUE(wait_for_lines(sandbox.out("order"), 3)) << read_file(sandbox.out("order")) << tend.current_err();
    EXPECT_EQ(read_lines(sandbox.out("order")),
              (std::vector<std::string>{"hook mods uid=0 secret=s3", "cont-init ro=true", "custom ro=true"}))
        << tend.current_err();
    EXPECT_TRUE(tend.signal(SIGTERM));
    RunResult stopped = tend.wait();
    EXPECT_FALSE(stopped.timed_out) << stopped.diagnostics();
}

TEST(S6Trees, AFailingStage2HookFollowsBehaviourIfStage2Fails) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path hook = sandbox.root() / "hook";
    write_file(hook, sandbox.script("exit 3\n"), 0755);
    sandbox.cont_init("10-init", "echo ran > \"$OUT/cont-init\"\n");
    TendOptions options = s6_options({{"S6_STAGE2_HOOK", hook.string()}, {"S6_BEHAVIOUR_IF_STAGE2_FAILS", "2"}});
    options.command = {"/bin/true"};
    RunResult r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 3) << r.diagnostics();
    EXPECT_TRUE(contains(r.err, "S6_STAGE2_HOOK " + hook.string() + ": exited with code 3")) << r.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("cont-init"))) << "stopped before cont-init";

    options.env["S6_BEHAVIOUR_IF_STAGE2_FAILS"] = "0";
    r = run_tend(sandbox, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_TRUE(file_exists(sandbox.out("cont-init"))) << "went on\n" << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
