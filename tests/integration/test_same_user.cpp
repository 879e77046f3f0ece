// Proves: docs/service-directory.md#users-and-groups
// A `user` file naming tend's own uid and
// gid needs no switch and no capability, so one image runs both as root and
// with `--user 3000:3000`. The groups the file implies are set where tend may
// (CAP_SETGID), else the service keeps tend's own (said at debug level). When
// only the uid matches (OpenShift: uid N, gid 0) the service is refused,
// naming both gids and suggesting `user N:0`.
//
// tend runs as uid 3000 through setpriv (it execs, so tend stays PID 1), with
// an image passwd/group pair bind-mounted in the namespace only.
#include <signal.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

constexpr std::string_view kReportingRun =
    "cat /proc/$$/status > \"$OUT/$TEND_SERVICE.status.tmp\"\n"
    "mv \"$OUT/$TEND_SERVICE.status.tmp\" \"$OUT/$TEND_SERVICE.status\"\n"
    "exec sleep 1000\n";

struct Image {
    fs::path passwd;
    fs::path group;
};

// app = 3000:3000, also a member of web (3001).
Image write_image_files(const Sandbox& sandbox) {
    Image image{sandbox.root() / "etc-passwd", sandbox.root() / "etc-group"};
    write_file(image.passwd,
               "root:x:0:0:root:/root:/bin/sh\n"
               "app:x:3000:3000:app:/home/app:/bin/sh\n");
    write_file(image.group,
               "root:x:0:\n"
               "app:x:3000:\n"
               "web:x:3001:app\n");
    return image;
}

TendOptions as_user(const Image& image, std::string_view setpriv_args, std::vector<std::string> args = {}) {
    return {.args = std::move(args),
            .launcher_script = fmt::format("exec setpriv {} \"$@\"", setpriv_args),
            .bind_mounts = {{image.passwd, "/etc/passwd"}, {image.group, "/etc/group"}}};
}

void expect_ids(const Sandbox& sandbox, const std::string& service, const std::string& uid, const std::string& gid,
                const std::string& groups) {
    SCOPED_TRACE("service " + service);
    const auto status = parse_proc_status(read_file(sandbox.out(service + ".status")));
    ASSERT_TRUE(status.contains("Uid")) << "no status report";
    EXPECT_EQ(split_words(status.at("Uid")), (std::vector<std::string>{uid, uid, uid, uid}));
    EXPECT_EQ(split_words(status.at("Gid")), (std::vector<std::string>{gid, gid, gid, gid}));
    EXPECT_EQ(split_words(status.at("Groups")), split_words(groups)) << "Groups: " << status.at("Groups");
    EXPECT_EQ(status.at("CapEff"), "0000000000000000");
    EXPECT_EQ(status.at("NoNewPrivs"), "1");
}

TEST(SameUser, OwnUidAndGidRunWithoutAnyCapabilityKeepingTendsGroups) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const Image image = write_image_files(sandbox);
    sandbox.service("by-name").user("app").run(kReportingRun);
    sandbox.service("by-uid").user("3000").run(kReportingRun);
    sandbox.service("by-ids").user("3000:3000").run(kReportingRun);
    RunResult r = run_until_files(sandbox, {"by-name.status", "by-uid.status", "by-ids.status"},
                                  as_user(image, "--reuid 3000 --regid 3000 --clear-groups", {"--verbosity=3"}));
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    for (const char* service : {"by-name", "by-uid", "by-ids"}) expect_ids(sandbox, service, "3000", "3000", "");
    EXPECT_EQ(lines_containing(r.err, "debug: service by-name: runs as tend's own uid 3000 and gid 3000 with "
                                      "tend's supplementary groups")
                  .size(),
              1U)
        << r.diagnostics();
    EXPECT_TRUE(lines_containing(r.err, "error").empty()) << r.diagnostics();
    EXPECT_TRUE(lines_containing(r.err, "warning").empty()) << r.diagnostics();
}

// With CAP_SETGID (ambient, so it survives tend's exec as uid 3000) tend sets
// the groups the file implies; the uid needs no switch and no CAP_SETUID.
TEST(SameUser, OwnUidAndGidGetTheImpliedGroupsWhereTendMaySetThem) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const Image image = write_image_files(sandbox);
    sandbox.service("by-name").user("app").run(kReportingRun);
    RunResult r = run_until_files(
        sandbox, {"by-name.status"},
        as_user(image, "--reuid 3000 --regid 3000 --clear-groups --inh-caps +setgid --ambient-caps +setgid"));
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    expect_ids(sandbox, "by-name", "3000", "3000", "3001");
}

// OpenShift: uid 3000 with gid 0 and no capability. `user app` asks for gid
// 3000: refused once, naming both gids and the spelling that works, which
// runs.
TEST(SameUser, OnlyTheUidMatchingIsRefusedNamingBothGidsAndSuggestingUidColonOwnGid) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const Image image = write_image_files(sandbox);
    sandbox.service("by-name").user("app").run(kReportingRun);
    sandbox.service("suggested").user("3000:0").run(kReportingRun);
    RunResult r = run_until_files(sandbox, {"suggested.status"},
                                  as_user(image, "--reuid 3000 --regid 0 --clear-groups"));
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    expect_ids(sandbox, "suggested", "3000", "0", "");
    EXPECT_FALSE(file_exists(sandbox.out("by-name.status"))) << r.diagnostics();
    const auto lines = lines_containing(r.err, "service by-name");
    ASSERT_EQ(lines.size(), 1U) << r.diagnostics();
    EXPECT_TRUE(contains(lines.front(), "error")) << lines.front();
    EXPECT_TRUE(contains(lines.front(), "gid 3000")) << lines.front();
    EXPECT_TRUE(contains(lines.front(), "gid 0")) << lines.front();
    EXPECT_TRUE(contains(lines.front(), "`user 3000:0`")) << lines.front();
}

}  // namespace
}  // namespace tend::itest
