// Proves: docs/confinement.md#the-paths-file, docs/confinement.md#older-kernels, docs/confinement.md#seeing-it-tend-ctl-status
// Confinement with Landlock (`paths`), tried as an attacker would: a service
// that was taken over tries to read what its uid may read but its rules do
// not grant, to write and execute outside its paths, to bind and connect to
// ports it was not given, to signal tend and another service, and through a
// child it forks. The services here run as root, with every capability tend
// has: whatever they are denied, only Landlock denied.
//
// The kernel without Landlock is this kernel seen through a seccomp filter
// that answers ENOSYS to the three Landlock system calls, installed by this
// binary (helper mode `no-landlock`) before it execs tend as PID 1.
#include <arpa/inet.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "control_client.hpp"
#include "harness.hpp"

namespace tend::itest {
namespace {

constexpr std::string_view kHelperFlag = "--tend-landlock-helper";

// The kernel's Landlock ABI as this test process sees it (0: none).
int landlock_abi() {
    const long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, 1U);
    return abi < 0 ? 0 : static_cast<int>(abi);
}

// A sandbox with a secret the service's uid may read, a directory it may
// write by its permissions, and a copy of this binary for the helper modes.
class Confinement : public ::testing::Test {
protected:
    Sandbox sandbox;
    fs::path secret = sandbox.root() / "secrets" / "db-password";
    fs::path notice = sandbox.root() / "public" / "notice";
    fs::path elsewhere = sandbox.root() / "elsewhere";
    fs::path helper_dir = sandbox.root() / "bin";
    fs::path helper = helper_dir / "landlock-helper";

    void SetUp() override {
        write_file(secret, "hunter2\n", 0644);
        write_file(notice, "granted\n", 0644);
        fs::create_directories(elsewhere);
        ::chmod(elsewhere.c_str(), 0777);
        fs::create_directories(helper_dir);
        std::error_code ec;
        fs::copy_file(self_exe(), helper, ec);
        ASSERT_FALSE(ec) << ec.message();
        ::chmod(helper.c_str(), 0755);
    }

    // What every service here needs to start: the shell and its libraries
    // (all under /usr on a merged-/usr system), its run file, its reports.
    std::string base_rules() const {
        return fmt::format(
            "# the shell, coreutils and their libraries\n"
            "exec /usr\n"
            "read /etc/ld.so.cache\n"
            "# the shell opens it for a background job's stdin, and so do daemons\n"
            "write /dev/null\n"
            "# run and finish files\n"
            "exec {}\n"
            "write {}\n",
            sandbox.services_dir().string(), sandbox.out_dir().string());
    }

    // The helper binary in MODE; `words` are shell words, quoted by the caller.
    std::string helper_call(const std::string& mode, const std::vector<std::string>& words) const {
        std::string text = shell_quote(helper.string()) + " " + std::string(kHelperFlag) + " " + mode;
        for (const auto& word : words) text += " " + word;
        return text;
    }

    // A launcher that makes this kernel look as if it had no Landlock.
    std::string without_landlock_launcher() const {
        return "exec " + shell_quote(helper.string()) + " " + std::string(kHelperFlag) + " no-landlock \"$@\"\n";
    }
};

// Shell: run COMMAND, keep its stderr (its redirections' errors too) and exit
// code as $OUT/NAME.err, .rc.
std::string attempt(std::string_view name, std::string_view command) {
    return fmt::format("{{ {}; }} 2> \"$OUT/{}.err\"; echo $? > \"$OUT/{}.rc\"\n", command, name, name);
}

std::string rc(const Sandbox& sandbox, std::string_view name) {
    return read_file(sandbox.out(std::string(name) + ".rc"));
}
std::string err(const Sandbox& sandbox, std::string_view name) {
    return read_file(sandbox.out(std::string(name) + ".err"));
}

TEST_F(Confinement, AServiceReadsWritesAndExecutesOnlyWhatItsRulesGrantAndSoDoesItsChild) {
    TEND_REQUIRE_NAMESPACES();
    ASSERT_GT(landlock_abi(), 0) << "this kernel has Landlock";
    std::string body;
    body += attempt("read-notice", "cat " + shell_quote(notice.string()) + " > \"$OUT/notice\"");
    body += attempt("read-secret", "cat " + shell_quote(secret.string()));
    body += attempt("list-secrets", "ls " + shell_quote(secret.parent_path().string()));
    body += attempt("write-out", "echo x > \"$OUT/written\"");
    body += attempt("write-elsewhere", "echo x > " + shell_quote((elsewhere / "planted").string()));
    body += attempt("exec-usr", "/usr/bin/true");
    // Written where it may write, then run from there: write is not exec.
    body += "cp /usr/bin/true \"$OUT/true\"\n";
    body += attempt("exec-written", "\"$OUT/true\"");
    // A child it forks: a new shell, and a background subshell.
    body += attempt("child-read-secret", "sh -c 'cat \"$1\"' child " + shell_quote(secret.string()));
    body += "( cat " + shell_quote(secret.string()) + " 2> \"$OUT/subshell.err\"; echo $? > \"$OUT/subshell.rc\" ) &\n";
    body += "wait\n";
    body += "echo done > \"$OUT/done\"\nexec sleep 1000\n";
    sandbox.service("web").run(body).file("paths", base_rules() + "read " + notice.string() + "\n");

    RunResult r = run_until_files(sandbox, {"done"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(rc(sandbox, "read-notice"), "0\n") << err(sandbox, "read-notice");
    EXPECT_EQ(read_file(sandbox.out("notice")), "granted\n");
    EXPECT_EQ(rc(sandbox, "read-secret"), "1\n");
    EXPECT_TRUE(contains(err(sandbox, "read-secret"), "Permission denied")) << err(sandbox, "read-secret");
    EXPECT_NE(rc(sandbox, "list-secrets"), "0\n") << "listing a directory it was not given";
    EXPECT_EQ(rc(sandbox, "write-out"), "0\n") << err(sandbox, "write-out");
    EXPECT_NE(rc(sandbox, "write-elsewhere"), "0\n");
    EXPECT_TRUE(contains(err(sandbox, "write-elsewhere"), "Permission denied")) << err(sandbox, "write-elsewhere");
    EXPECT_FALSE(file_exists(elsewhere / "planted"));
    EXPECT_EQ(rc(sandbox, "exec-usr"), "0\n") << err(sandbox, "exec-usr");
    EXPECT_EQ(rc(sandbox, "exec-written"), "126\n") << err(sandbox, "exec-written");
    EXPECT_TRUE(contains(err(sandbox, "exec-written"), "Permission denied")) << err(sandbox, "exec-written");
    EXPECT_EQ(rc(sandbox, "child-read-secret"), "1\n") << err(sandbox, "child-read-secret");
    EXPECT_TRUE(contains(err(sandbox, "child-read-secret"), "Permission denied"));
    EXPECT_EQ(read_file(sandbox.out("subshell.rc")), "1\n") << read_file(sandbox.out("subshell.err"));
    // No warning on a kernel that enforces all of it (ABI 5: files, TCP, ioctl).
    if (landlock_abi() >= 5) EXPECT_FALSE(contains(r.err, "cannot enforce")) << r.err;
}

TEST_F(Confinement, FinishScriptsAndScheduledRunsAreConfinedLikeTheService) {
    TEND_REQUIRE_NAMESPACES();
    const std::string read_secret = "cat " + shell_quote(secret.string());
    sandbox.service("once")
        .run("exit 3\n")
        .restart("never")
        .finish(attempt("finish-read-secret", read_secret) + "echo done > \"$OUT/finish.done\"\n")
        .file("paths", base_rules());
    sandbox.service("job")
        .run(attempt("job-read-secret", read_secret) + "echo done > \"$OUT/job.done\"\n")
        .line("schedule", "@every 1s")
        .file("paths", base_rules());
    RunResult r = run_until_files(sandbox, {"finish.done", "job.done"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(rc(sandbox, "finish-read-secret"), "1\n");
    EXPECT_TRUE(contains(err(sandbox, "finish-read-secret"), "Permission denied")) << err(sandbox, "finish-read-secret");
    EXPECT_EQ(rc(sandbox, "job-read-secret"), "1\n");
    EXPECT_TRUE(contains(err(sandbox, "job-read-secret"), "Permission denied")) << err(sandbox, "job-read-secret");
}

// A TCP socket on 127.0.0.1: listening (for connect) or only bound and closed
// again (a free port to bind). The port, or 0 on failure.
struct Listener {
    int fd = -1;
    std::uint16_t port = 0;
    explicit Listener(bool listen) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0) return;
        if (listen && ::listen(fd, 8) != 0) return;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) return;
        port = ntohs(address.sin_port);
        if (!listen) {
            ::close(fd);
            fd = -1;
        }
    }
    ~Listener() {
        if (fd >= 0) ::close(fd);
    }
};

TEST_F(Confinement, AServiceBindsAndConnectsOnlyToThePortsItWasGiven) {
    TEND_REQUIRE_NAMESPACES();
    if (landlock_abi() < 4) {
        // An older kernel cannot restrict TCP: the start says so instead.
        sandbox.service("net").run("echo done > \"$OUT/done\"\nexec sleep 1000\n").file("paths", base_rules() + "tcp-bind 80\n");
        RunResult r = run_until_files(sandbox, {"done"});
        EXPECT_TRUE(contains(r.err, "cannot enforce TCP bind and connect")) << r.err;
        return;
    }
    Listener granted_server(true), other_server(true);
    Listener granted_bind(false), other_bind(false);
    ASSERT_NE(granted_server.port, 0);
    ASSERT_NE(other_server.port, 0);
    ASSERT_NE(granted_bind.port, 0);
    ASSERT_NE(other_bind.port, 0);
    auto port = [](std::uint16_t p) { return std::to_string(p); };
    std::string body;
    body += helper_call("tcp-bind", {port(granted_bind.port), "\"$OUT/bind-granted\""}) + "\n";
    body += helper_call("tcp-bind", {port(other_bind.port), "\"$OUT/bind-other\""}) + "\n";
    body += helper_call("tcp-connect", {port(granted_server.port), "\"$OUT/connect-granted\""}) + "\n";
    body += helper_call("tcp-connect", {port(other_server.port), "\"$OUT/connect-other\""}) + "\n";
    body += "echo done > \"$OUT/done\"\nexec sleep 1000\n";
    sandbox.service("net").run(body).file(
        "paths", base_rules() + "exec " + helper_dir.string() + "\ntcp-bind " + port(granted_bind.port) +
                     "\ntcp-connect " + port(granted_server.port) + "\n");
    RunResult r = run_until_files(sandbox, {"done"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("bind-granted")), "ok\n") << r.err;
    EXPECT_EQ(read_file(sandbox.out("bind-other")), "Permission denied\n");
    EXPECT_EQ(read_file(sandbox.out("connect-granted")), "ok\n") << r.err;
    EXPECT_EQ(read_file(sandbox.out("connect-other")), "Permission denied\n");
}

TEST_F(Confinement, WithScopeSignalsAServiceCannotSignalTendOrAnotherServiceOnlyItsOwnChildren) {
    TEND_REQUIRE_NAMESPACES();
    if (landlock_abi() < 6) {
        // An older kernel cannot scope signals: the start says so instead.
        sandbox.service("scoped").run("echo done > \"$OUT/done\"\nexec sleep 1000\n").file("paths", base_rules() + "scope signals\n");
        RunResult r = run_until_files(sandbox, {"done"});
        EXPECT_TRUE(contains(r.err, "scope signals (Landlock ABI 6, Linux 6.12)")) << r.err;
        return;
    }
    sandbox.service("victim").run("echo $$ > \"$OUT/victim.pid.tmp\"\nmv \"$OUT/victim.pid.tmp\" \"$OUT/victim.pid\"\nexec sleep 1000\n");
    const std::string attacks = sh_wait_for_file("\"$OUT/victim.pid\"") +
                                "victim=$(cat \"$OUT/victim.pid\")\n" +
                                attempt("$TEND_SERVICE.kill-victim", "kill -0 \"$victim\"") +
                                attempt("$TEND_SERVICE.kill-tend", "kill -0 1") +
                                "sleep 1000 &\n" + attempt("$TEND_SERVICE.kill-child", "kill -TERM $!") +
                                "echo done > \"$OUT/$TEND_SERVICE.done\"\nexec sleep 1000\n";
    sandbox.service("scoped").run(attacks).file("paths", base_rules() + "scope signals\n");
    // The control: the same rules without the scope may signal (as root).
    sandbox.service("unscoped").run(attacks).file("paths", base_rules());
    // Wait for both before tend is stopped; `unscoped` may kill the victim.
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("scoped.done"))) << tend.current_err();
    ASSERT_TRUE(wait_for_file(sandbox.out("unscoped.done"))) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(rc(sandbox, "scoped.kill-victim"), "1\n");
    EXPECT_TRUE(contains(err(sandbox, "scoped.kill-victim"), "Operation not permitted"))
        << err(sandbox, "scoped.kill-victim");
    EXPECT_EQ(rc(sandbox, "scoped.kill-tend"), "1\n");
    EXPECT_TRUE(contains(err(sandbox, "scoped.kill-tend"), "Operation not permitted"))
        << err(sandbox, "scoped.kill-tend");
    EXPECT_EQ(rc(sandbox, "scoped.kill-child"), "0\n") << err(sandbox, "scoped.kill-child");
    EXPECT_EQ(rc(sandbox, "unscoped.kill-tend"), "0\n") << err(sandbox, "unscoped.kill-tend");
    EXPECT_EQ(rc(sandbox, "unscoped.kill-victim"), "0\n") << err(sandbox, "unscoped.kill-victim");
}

TEST_F(Confinement, StatusShowsEachServicesConfinement) {
    TEND_REQUIRE_NAMESPACES();
    const int abi = landlock_abi();
    sandbox.service("web").run("exec sleep 1000\n").file("paths", base_rules() + "tcp-bind 8080\nscope signals\n");
    sandbox.service("plain").run("exec sleep 1000\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_socket(sandbox)) << tend.current_err();
    auto table = ctl(sandbox, {"status"});
    EXPECT_EQ(table.code, 0) << table.diagnostics();
    EXPECT_TRUE(contains(table.out, "CONFINED  LANDLOCK  RULES")) << table.out;
    // Enforced in full from ABI 6 on; an older kernel says what it lacks.
    const std::string enforced = abi >= 6 ? "yes" : "degraded: not ";
    EXPECT_TRUE(contains(table.out, fmt::format("web       ABI {}     5 paths, 1 port, scope signals  {}", abi, enforced)))
        << table.out;
    auto json = ctl(sandbox, {"status", "--json"});
    EXPECT_TRUE(contains(json.out, fmt::format("\"confinement\":{{\"landlock_abi\":{},\"rules\":\"5 paths, 1 port, "
                                               "scope signals\",\"enforced\":{}",
                                               abi, abi >= 6 ? "true,\"unenforced\":[]}" : "false")))
        << json.out;
    EXPECT_TRUE(contains(json.out, "\"name\":\"plain\"")) << json.out;
    EXPECT_TRUE(contains(json.out, "\"confinement\":null")) << json.out;
    tend.signal(SIGTERM);
    tend.wait();
}

TEST_F(Confinement, WithoutLandlockTheServiceRunsUnconfinedAfterOneWarning) {
    TEND_REQUIRE_NAMESPACES();
    sandbox.service("web")
        .run(attempt("read-secret", "cat " + shell_quote(secret.string()) + " > \"$OUT/secret\"") +
             "echo done > \"$OUT/done\"\nexec sleep 1000\n")
        .file("paths", base_rules());
    TendProcess tend(sandbox, {.launcher_script = without_landlock_launcher()});
    ASSERT_TRUE(wait_for_file(sandbox.out("done"))) << tend.current_err();
    auto json = ctl(sandbox, {"status", "--json"});
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(rc(sandbox, "read-secret"), "0\n") << "unconfined: " << err(sandbox, "read-secret");
    const std::string warning = "tend: warning: service web: " + (sandbox.services_dir() / "web" / "paths").string() +
                                ": this kernel cannot enforce any rule (Landlock is not available: Function not "
                                "implemented); the service runs with the rest (best effort";
    EXPECT_EQ(lines_containing(r.err, "cannot enforce").size(), 1U) << r.err;
    EXPECT_TRUE(contains(r.err, warning)) << r.err;
    EXPECT_TRUE(contains(json.out, "\"confinement\":{\"landlock_abi\":0,\"rules\":\"5 paths, 0 ports\","
                                   "\"enforced\":false,\"unenforced\":[\"any rule (Landlock is not available: "
                                   "Function not implemented)\"]}"))
        << json.out;
}

TEST_F(Confinement, WithoutLandlockPathsRequiredOrRequireLandlockRefusesTheStart) {
    TEND_REQUIRE_NAMESPACES();
    sandbox.service("strict").run("echo ran > \"$OUT/strict\"\nexec sleep 1000\n").file("paths", base_rules()).flag("paths-required");
    sandbox.service("lenient").run("echo ran > \"$OUT/lenient\"\nexec sleep 1000\n").file("paths", base_rules());
    sandbox.service("other").run("echo ran > \"$OUT/other\"\nexec sleep 1000\n");
    {
        RunResult r = run_until_files(sandbox, {"lenient", "other"}, {.launcher_script = without_landlock_launcher()});
        ASSERT_FALSE(r.timed_out) << r.diagnostics();
        EXPECT_FALSE(file_exists(sandbox.out("strict")));
        const std::string dir = (sandbox.services_dir() / "strict").string();
        EXPECT_TRUE(contains(r.err, "tend: error: service strict: not started: " + dir +
                                        "/paths: this kernel cannot enforce any rule (Landlock is not available: "
                                        "Function not implemented); " +
                                        dir + "/paths-required exists, so the service does not start without all of it"))
            << r.err;
    }
    fs::remove(sandbox.out("lenient"));
    fs::remove(sandbox.out("other"));
    {
        RunResult r = run_until_files(sandbox, {"other"},
                                      {.args = {"--require-landlock"}, .launcher_script = without_landlock_launcher()});
        ASSERT_FALSE(r.timed_out) << r.diagnostics();
        EXPECT_FALSE(file_exists(sandbox.out("lenient")));
        EXPECT_TRUE(contains(r.err, "service lenient: not started: ")) << r.err;
        EXPECT_TRUE(contains(r.err, "--require-landlock was given, so the service does not start without all of it"))
            << r.err;
    }
}

TEST_F(Confinement, ARunFileWithoutAnExecRuleFailsWithAHint) {
    TEND_REQUIRE_NAMESPACES();
    sandbox.service("web").run("exit 0\n").restart("never").file("paths", "exec /usr\nwrite /tmp\n");
    TendProcess tend(sandbox);
    ASSERT_TRUE(tend.wait_for_err("service web: cannot exec")) << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    const std::string run = (sandbox.services_dir() / "web" / "run").string();
    EXPECT_TRUE(contains(r.err, "service web: cannot exec: Permission denied (" +
                                    (sandbox.services_dir() / "web" / "paths").string() + " confines it: is " + run +
                                    ", and its #! interpreter, under an exec rule?)"))
        << r.err;
}

TEST_F(Confinement, BadRulesRefuseTheServiceAtLoadNamingTheFileAndLine) {
    TEND_REQUIRE_NAMESPACES();
    sandbox.service("missing").run("exec sleep 1000\n").file("paths", "exec /usr\n\nread /srv/not-here\n");
    sandbox.service("privs").run("exec sleep 1000\n").file("paths", "exec /usr\n").flag("allow-new-privs");
    sandbox.service("ok").run("echo ran > \"$OUT/ok\"\nexec sleep 1000\n");
    RunResult r = run_until_files(sandbox, {"ok"});
    const std::string missing = (sandbox.services_dir() / "missing").string();
    const std::string privs = (sandbox.services_dir() / "privs").string();
    EXPECT_TRUE(contains(r.err, "service missing: not started: " + missing +
                                    "/paths: line 3: /srv/not-here: does not exist"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "service privs: not started: " + privs + "/paths: cannot be combined with " + privs +
                                    "/allow-new-privs"))
        << r.err;
}

}  // namespace
}  // namespace tend::itest

// ---------------------------------------------------------------------------
// Helper modes: `<copy of this binary> --tend-landlock-helper MODE ...`, run
// before main() and gtest. POSIX calls only.
namespace {

void report(const char* path, const char* text) {
    FILE* file = std::fopen(path, "we");
    if (file == nullptr) ::_exit(120);
    std::fprintf(file, "%s\n", text);
    std::fclose(file);
}

// tcp-bind PORT FILE / tcp-connect PORT FILE: "ok" or the error's text.
int tcp_attempt(bool bind, const char* port_text, const char* file) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        report(file, std::strerror(errno));
        return 1;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(port_text)));
    const auto* raw = reinterpret_cast<sockaddr*>(&address);
    const int result = bind ? ::bind(fd, raw, sizeof address) : ::connect(fd, raw, sizeof address);
    report(file, result == 0 ? "ok" : std::strerror(errno));
    ::close(fd);
    return 0;
}

// no-landlock PROGRAM ARGS...: this kernel without Landlock, as far as
// PROGRAM and everything it starts can tell.
int without_landlock(char** argv) {
#if defined(__x86_64__)
    constexpr std::uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
    constexpr std::uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
#error "the no-landlock helper knows x86_64 and aarch64"
#endif
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, SYS_landlock_create_ruleset, 0, 2),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, SYS_landlock_restrict_self, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    static_assert(SYS_landlock_restrict_self - SYS_landlock_create_ruleset == 2);
    sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    // As root (CAP_SYS_ADMIN) a filter needs no no_new_privs, which would
    // change what the services under test get.
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
        std::perror("no-landlock: seccomp");
        return 125;
    }
    ::execv(argv[0], argv);
    std::perror("no-landlock: exec");
    return 127;
}

int landlock_helper_main(int argc, char** argv) {
    if (argc >= 3 && std::strcmp(argv[0], "tcp-bind") == 0) return tcp_attempt(true, argv[1], argv[2]);
    if (argc >= 3 && std::strcmp(argv[0], "tcp-connect") == 0) return tcp_attempt(false, argv[1], argv[2]);
    if (argc >= 2 && std::strcmp(argv[0], "no-landlock") == 0) return without_landlock(argv + 1);
    return 122;
}

__attribute__((constructor)) void run_landlock_helper_if_asked(int argc, char** argv, char**) {
    if (argc >= 2 && argv != nullptr && std::strcmp(argv[1], "--tend-landlock-helper") == 0)
        ::_exit(landlock_helper_main(argc - 2, argv + 2));
}

}  // namespace
