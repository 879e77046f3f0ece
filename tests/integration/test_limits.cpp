// Proves: docs/service-directory.md#limits, docs/service-directory.md#files
// `limits`, `umask` and `workdir`, read back from what the
// service process really has: /proc/$$/limits, the Umask line of
// /proc/$$/status and the /proc/$$/cwd link.
#include <signal.h>
#include <sys/resource.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"
#include "proc_and_log_readers.hpp"

namespace tend::itest {
namespace {

using namespace readers;

// Fails the test unless the report exists and parses.
std::map<std::string, LimitPair> limits_report(const Sandbox& sandbox, const std::string& name) {
    auto limits = parse_proc_limits(read_file(sandbox.out(name)));
    EXPECT_FALSE(limits.empty()) << "no usable limits report " << name;
    return limits;
}

bool hard_limit_is_unlimited(int resource) {
    rlimit value{};
    return ::getrlimit(resource, &value) == 0 && value.rlim_max == RLIM_INFINITY;
}

// SPEC, fine points: tend raises its own soft open-file limit to the hard
// one (services' pipes cost it fds) and gives every child the original soft
// limit back, unless the service's `limits` file says otherwise.
TEST(Limits, TendRaisesItsOwnOpenFileLimitAndChildrenKeepTheOriginal) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("plain").run(sh_report("/proc/$$/limits", "plain.limits") + "exec sleep 1000\n");
    sandbox.service("own").file("limits", "nofile 100:3000\n")
        .run(sh_report("/proc/$$/limits", "own.limits") + sh_report("/proc/1/limits", "tend.limits") +
             "exec sleep 1000\n");
    TendOptions options;
    // prlimit starts tend with soft 64, hard 4096 (below the host's hard limit).
    options.launcher_script = "exec prlimit --nofile=64:4096 \"$@\"\n";
    RunResult r = run_until_files(sandbox, {"plain.limits", "own.limits", "tend.limits"}, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(limits_report(sandbox, "tend.limits").at("Max open files"), (LimitPair{"4096", "4096"}));
    EXPECT_EQ(limits_report(sandbox, "plain.limits").at("Max open files"), (LimitPair{"64", "4096"}));
    EXPECT_EQ(limits_report(sandbox, "own.limits").at("Max open files"), (LimitPair{"100", "3000"}));
}

// Every name of the spec, every value form: one number, SOFT:HARD, the
// K/M/G suffixes (powers of 1024), `unlimited` and `infinity`.
TEST(Limits, EveryNamedLimitReachesTheService) {
    TEND_REQUIRE_NAMESPACES();
    // tend cannot give what it does not have; these two hard limits are
    // unlimited on any usual machine and the values below rely on it.
    if (!hard_limit_is_unlimited(RLIMIT_AS) || !hard_limit_is_unlimited(RLIMIT_CPU))
        GTEST_SKIP() << "this machine caps the hard RLIMIT_AS or RLIMIT_CPU";
    Sandbox sandbox;
    sandbox.service("svc")
        .file("limits",
              "nofile 1000:2000\n"
              "nproc 3000:4000\n"
              "core 0\n"
              "as 1G:unlimited\n"
              "fsize 10M\n"
              "memlock 64K\n"
              "stack 1M:2M\n"
              "cpu 100:infinity\n")
        .run(sh_report("/proc/$$/limits", "svc.limits") + "exec sleep 1000\n");

    RunResult r = run_until_files(sandbox, {"svc.limits"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    const auto limits = limits_report(sandbox, "svc.limits");
    const std::map<std::string, LimitPair> expected{
        {"Max open files", {"1000", "2000"}},
        {"Max processes", {"3000", "4000"}},
        {"Max core file size", {"0", "0"}},
        {"Max address space", {"1073741824", "unlimited"}},
        {"Max file size", {"10485760", "10485760"}},
        {"Max locked memory", {"65536", "65536"}},
        {"Max stack size", {"1048576", "2097152"}},
        {"Max cpu time", {"100", "unlimited"}},
    };
    for (const auto& [name, want] : expected) {
        SCOPED_TRACE(name);
        ASSERT_TRUE(limits.contains(name)) << read_file(sandbox.out("svc.limits"));
        EXPECT_EQ(limits.at(name), want);
    }
}

// tend's hard nofile is lowered to 4096 and CAP_SYS_RESOURCE is gone from its
// bounding set (so from its permitted set after exec): 8192 is out of reach,
// 4096 (the boundary) is not. SPEC: such a value refuses the service once at
// load, naming the limit, the value asked for and tend's hard limit; it is
// never started, so never restarted with backoff either.
TEST(Limits, LimitAboveTendsHardLimitRefusesThatServiceOnceAtLoad) {
    TEND_REQUIRE_NAMESPACES();
    if (find_program("capsh").empty()) {
        if (::geteuid() == 0) GTEST_FAIL() << "capsh (libcap2-bin) is not installed";  // CI installs it
        GTEST_SKIP() << "capsh (libcap2-bin) is not installed";
    }
    Sandbox sandbox;
    sandbox.service("over")
        .line("limits", "nofile 8192")
        .run("echo ran >> \"$OUT/over.ran\"\nexec sleep 1000\n");
    sandbox.service("at")
        .line("limits", "nofile 4096")
        .run(sh_report("/proc/$$/limits", "at.limits") + "exec sleep 1000\n");

    TendProcess tend(sandbox, {.launcher_script = "ulimit -n 4096 || exit 99\n"
                                                  "exec capsh --drop=cap_sys_resource -- "
                                                  "-c 'exec \"$@\"' sh \"$@\""});
    const auto own = cap_sets_from_status(tend_status(tend));
    const auto own_limits = parse_proc_limits(read_file(fmt::format("/proc/{}/limits", tend.tend_pid())));
    EXPECT_TRUE(wait_for_file(sandbox.out("at.limits"))) << tend.current_err();
    EXPECT_TRUE(tend.wait_for_err("service over: not started", 5s)) << tend.current_err();
    EXPECT_TRUE(tend.running()) << "one refused service must not stop tend";
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();

    ASSERT_TRUE(own.has_value()) << "cannot read tend's own status";
    ASSERT_EQ(own->effective & cap_bit(24), 0U) << "tend still has CAP_SYS_RESOURCE";
    ASSERT_TRUE(own_limits.contains("Max open files"));
    ASSERT_EQ(own_limits.at("Max open files"), (LimitPair{"4096", "4096"}))
        << "the launcher did not lower tend's nofile";

    EXPECT_FALSE(file_exists(sandbox.out("over.ran"))) << "a refused service ran anyway";
    const auto lines = lines_containing(r.err, "service over:");
    ASSERT_EQ(lines.size(), 1U) << "exactly one message, no restart: " << r.diagnostics();
    EXPECT_TRUE(contains(lines.front(), "limits")) << lines.front();
    EXPECT_TRUE(contains(lines.front(), "nofile 8192")) << lines.front();
    EXPECT_TRUE(contains(lines.front(), "hard limit 4096")) << lines.front();
    EXPECT_TRUE(contains(lines.front(), "CAP_SYS_RESOURCE")) << lines.front();
    EXPECT_TRUE(lines_containing(r.err, "service at: cannot").empty()) << r.diagnostics();
    const auto at = limits_report(sandbox, "at.limits");
    ASSERT_TRUE(at.contains("Max open files"));
    EXPECT_EQ(at.at("Max open files"), (LimitPair{"4096", "4096"}));
}

// The launcher sets an unusual umask (0003) that only inheritance explains.
TEST(Umask, FromTheFileInThreeOrFourDigitsElseInheritedFromTend) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("three").line("umask", "027").run(reporting_run("three.status"));
    sandbox.service("four").line("umask", "0077").run(reporting_run("four.status"));
    sandbox.service("nobody-027").user("nobody").line("umask", "027").run(reporting_run("nobody-027.status"));
    sandbox.service("inherited").run(reporting_run("inherited.status"));

    RunResult r = run_until_files(sandbox,
                                  {"three.status", "four.status", "nobody-027.status", "inherited.status"},
                                  {.launcher_script = "umask 0003\nexec \"$@\""});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    const std::map<std::string, std::string> expected{
        {"three", "0027"}, {"four", "0077"}, {"nobody-027", "0027"}, {"inherited", "0003"}};
    for (const auto& [service, umask] : expected) {
        SCOPED_TRACE(service);
        const auto status = parse_proc_status(read_file(sandbox.out(service + ".status")));
        ASSERT_TRUE(status.contains("Umask")) << r.diagnostics();
        EXPECT_EQ(status.at("Umask"), umask);
    }
}

TEST(Workdir, AbsoluteRelativeToTheServiceDirOrTheServiceDirItself) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path absolute = sandbox.root() / "absolute-wd";
    fs::create_directories(absolute);
    auto abs = sandbox.service("abs");
    abs.line("workdir", absolute.string());
    auto rel = sandbox.service("rel");
    fs::create_directories(rel.path() / "data" / "sub");
    rel.line("workdir", "data/sub");
    auto up = sandbox.service("up");
    up.line("workdir", "..");
    auto plain = sandbox.service("plain");
    auto as_nobody = sandbox.service("as-nobody");
    as_nobody.user("nobody").line("workdir", absolute.string());
    for (auto* service : {&abs, &rel, &up, &plain, &as_nobody}) {
        const std::string name = service->path().filename().string();
        service->run(fmt::format("readlink /proc/$$/cwd > \"$OUT/{0}.tmp\" && mv \"$OUT/{0}.tmp\" \"$OUT/{0}.cwd\"\n"
                                 "exec sleep 1000\n",
                                 name));
    }

    RunResult r = run_until_files(sandbox, {"abs.cwd", "rel.cwd", "up.cwd", "plain.cwd", "as-nobody.cwd"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    auto canonical = [](const fs::path& p) { return fs::canonical(p).string() + "\n"; };
    EXPECT_EQ(read_file(sandbox.out("abs.cwd")), canonical(absolute)) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("rel.cwd")), canonical(rel.path() / "data" / "sub")) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("up.cwd")), canonical(sandbox.services_dir())) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("plain.cwd")), canonical(plain.path())) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("as-nobody.cwd")), canonical(absolute)) << r.diagnostics();
}

TEST(Workdir, MissingOneFailsTheStartOfThatServiceOnly) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("lost")
        .line("workdir", (sandbox.root() / "no-such-dir").string())
        .run("echo ran > \"$OUT/lost.ran\"\nexec sleep 1000\n");
    sandbox.service("lost-relative")
        .line("workdir", "missing/sub")
        .run("echo ran > \"$OUT/lost-relative.ran\"\nexec sleep 1000\n");
    sandbox.service("good").run("echo ran > \"$OUT/good.ran\"\nexec sleep 1000\n");

    TendProcess tend(sandbox);
    EXPECT_TRUE(wait_for_file(sandbox.out("good.ran"))) << tend.current_err();
    // The message names the directory, as the service would see it resolved.
    EXPECT_TRUE(tend.wait_for_err("service lost: cannot change to workdir " + (sandbox.root() / "no-such-dir").string() +
                                      ": No such file or directory",
                                  5s))
        << tend.current_err();
    EXPECT_TRUE(tend.wait_for_err("service lost-relative: cannot change to workdir /", 5s)) << tend.current_err();
    EXPECT_TRUE(tend.wait_for_err("missing/sub: No such file or directory", 5s)) << tend.current_err();
    EXPECT_TRUE(tend.running()) << "one failing start must not stop tend";
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("lost.ran"))) << "ran without its workdir";
    EXPECT_FALSE(file_exists(sandbox.out("lost-relative.ran"))) << "ran without its workdir";
    for (const auto& line : lines_containing(r.err, "cannot change to workdir"))
        EXPECT_TRUE(contains(line, "No such file or directory")) << line;
}

}  // namespace
}  // namespace tend::itest
