// Proves: docs/service-directory.md#bad-input
// A malformed service dir is reported once, with the file's
// path and what is wrong, and only that service stays down; tend keeps
// supervising the others and never exits because of it.
#include <signal.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

struct BadService {
    std::string name;
    std::string bad_file;  // relative to the service dir: the path the log must name
};

TEST(BadInput, EachBrokenServiceFailsAloneWithPathAndReasonAndTendKeepsRunning) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    // Every broken service would leave a marker if it ever ran.
    const std::string marker_run = "echo ran > \"$OUT/$TEND_SERVICE.ran\"\nexec sleep 1000\n";
    std::vector<BadService> bad;

    sandbox.service("missing-run").user("nobody");
    bad.push_back({"missing-run", "run"});

    sandbox.service("not-executable").file("run", sandbox.script(marker_run), 0644);
    bad.push_back({"not-executable", "run"});

    fs::create_directories(sandbox.services_dir() / "run-is-dir" / "run");
    bad.push_back({"run-is-dir", "run"});

    sandbox.service("run-symlink-loop");
    fs::create_symlink("run", sandbox.services_dir() / "run-symlink-loop" / "run");
    bad.push_back({"run-symlink-loop", "run"});

    sandbox.service("unknown-down-signal").down_signal("SIGNOPE").run(marker_run);
    bad.push_back({"unknown-down-signal", "down-signal"});

    sandbox.service("bad-timeout-kill").timeout_kill("soon").run(marker_run);
    bad.push_back({"bad-timeout-kill", "timeout-kill"});

    sandbox.service("negative-timeout-kill").timeout_kill("-5").run(marker_run);
    bad.push_back({"negative-timeout-kill", "timeout-kill"});

    sandbox.service("bad-restart").restart("sometimes").run(marker_run);
    bad.push_back({"bad-restart", "restart"});

    sandbox.service("huge-user").file("user", std::string(10 * 1024 * 1024, 'a')).run(marker_run);
    bad.push_back({"huge-user", "user"});

    constexpr char kGarbage[] = "\x00\xff\xfe\x01nobody\x00\x80\n\x1b[31m";
    std::string garbage(kGarbage, sizeof kGarbage - 1);
    for (int i = 0; i < 256; ++i) garbage += static_cast<char>(i);
    sandbox.service("garbage-user").file("user", garbage).run(marker_run);
    bad.push_back({"garbage-user", "user"});

    // A service whose every start fails: its retries measure the time in
    // which a refused service, wrongly retried, would report again.
    sandbox.service("zz-retrying").run("echo x >> \"$OUT/retrying.starts\"\nexit 1\n");

    // The good one, and files in the services dir that are not services.
    sandbox.service("good").run("echo ran > \"$OUT/good.ran\"\nexec sleep 1000\n");
    write_file(sandbox.services_dir() / "README", "not a service\n");
    sandbox.service(".hidden").run(marker_run);

    TendProcess tend(sandbox);
    ASSERT_TRUE(wait_for_file(sandbox.out("good.ran"), 10s)) << tend.current_err();
    for (const auto& service : bad) {
        const auto path = (sandbox.services_dir() / service.name / service.bad_file).string();
        EXPECT_TRUE(tend.wait_for_err(path, 5s))
            << service.name << ": the log must name " << path << "\n" << tend.current_err();
    }
    // A few retries later (backoff 100, 200, 400 ms) the report must still be a single one.
    ASSERT_TRUE(wait_for_lines(sandbox.out("retrying.starts"), 4, 10s)) << tend.current_err();
    EXPECT_TRUE(tend.running()) << "bad service dirs must not stop tend";
    ASSERT_TRUE(tend.signal(SIGTERM));
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();

    for (const auto& service : bad) {
        SCOPED_TRACE(service.name);
        const auto path = (sandbox.services_dir() / service.name / service.bad_file).string();
        EXPECT_TRUE(logs_path_with_reason(r.err, path)) << r.diagnostics();
        EXPECT_EQ(lines_containing(r.err, path).size(), 1u)
            << "reported once, not once per retry\n" << r.diagnostics();
        EXPECT_FALSE(file_exists(sandbox.out(service.name + ".ran")));
    }
    EXPECT_FALSE(file_exists(sandbox.out(".hidden.ran"))) << "hidden dirs are not services";
    EXPECT_LT(r.err.size(), 64u * 1024) << "a 10 MB file must not be echoed into the log";
}

}  // namespace
}  // namespace tend::itest
