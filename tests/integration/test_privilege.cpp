// Proves: docs/service-directory.md#users-and-groups, docs/service-directory.md#privilege-drop
// The `user` file drops a service to exactly the requested
// uid, gid and groups, with no way back to root.
#include <signal.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

// A service that reports its own /proc status and whether it can become root
// again, then stays up. `setpriv --reuid=<own uid>` is the control: it must
// work, so a failing `--reuid=0` means "not allowed", not "no setpriv".
constexpr std::string_view kReportingRun =
    "cat /proc/$$/status > \"$OUT/$TEND_SERVICE.status.tmp\"\n"
    "uid=$(id -u)\n"
    "setpriv --reuid=\"$uid\" true 2> \"$OUT/$TEND_SERVICE.control.err\"\n"
    "echo $? > \"$OUT/$TEND_SERVICE.control.rc\"\n"
    "setpriv --reuid=0 true 2> \"$OUT/$TEND_SERVICE.setuid0.err\"\n"
    "echo $? > \"$OUT/$TEND_SERVICE.setuid0.rc\"\n"
    "mv \"$OUT/$TEND_SERVICE.status.tmp\" \"$OUT/$TEND_SERVICE.status\"\n"
    "exec sleep 1000\n";

std::vector<std::string> repeated(const std::string& value) {
    return {value, value, value, value};
}

std::set<std::string> as_set(const std::vector<std::string>& words) {
    return {words.begin(), words.end()};
}

struct Expected {
    std::string uid{};
    std::string gid{};
    std::set<std::string> groups{};
    // Also accepted: groups plus the primary gid (initgroups(3) style). tend
    // lists exactly the /etc/group memberships (docs/service-directory.md), so off by default.
    bool primary_gid_may_be_listed = false;
};

void expect_identity(const Sandbox& sandbox, const std::string& service, const Expected& want) {
    SCOPED_TRACE("service " + service);
    const auto status = parse_proc_status(read_file(sandbox.out(service + ".status")));
    ASSERT_TRUE(status.contains("Uid")) << "no status report";
    EXPECT_EQ(split_words(status.at("Uid")), repeated(want.uid)) << "real, effective, saved, fs uid";
    EXPECT_EQ(split_words(status.at("Gid")), repeated(want.gid)) << "real, effective, saved, fs gid";
    const auto groups = as_set(split_words(status.at("Groups")));
    auto with_primary = want.groups;
    with_primary.insert(want.gid);
    if (want.primary_gid_may_be_listed)
        EXPECT_TRUE(groups == want.groups || groups == with_primary)
            << "Groups: " << status.at("Groups");
    else
        EXPECT_EQ(groups, want.groups) << "Groups: " << status.at("Groups");
    EXPECT_EQ(status.at("NoNewPrivs"), "1");
    EXPECT_EQ(status.at("CapEff"), "0000000000000000");
    EXPECT_EQ(status.at("CapPrm"), "0000000000000000");
    EXPECT_EQ(read_file(sandbox.out(service + ".control.rc")), "0\n")
        << "setpriv to the own uid should work: " << read_file(sandbox.out(service + ".control.err"));
    EXPECT_NE(read_file(sandbox.out(service + ".setuid0.rc")), "0\n")
        << "a dropped service must not be able to setresuid(0)";
    EXPECT_NE(read_file(sandbox.out(service + ".setuid0.rc")), "") << "no setuid report";
}

TEST(PrivilegeDrop, NobodyHasAllIdsItsGroupsNoNewPrivsAndCannotRegainRoot) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc").user("nobody").run(kReportingRun);
    RunResult r = run_until_files(sandbox, {"svc.status"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    expect_identity(sandbox, "svc",
                    {.uid = "65534",
                     .gid = "65534",
                     .groups = group_memberships(read_file("/etc/group"), "nobody")});
}

TEST(PrivilegeDrop, NumericUidGidWithoutPasswdEntryHasNoSupplementaryGroups) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc").user("12345:12345").run(kReportingRun);
    RunResult r = run_until_files(sandbox, {"svc.status"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    expect_identity(sandbox, "svc",
                    {.uid = "12345", .gid = "12345", .groups = {}, .primary_gid_may_be_listed = false});
}

// tend reads the image's /etc/passwd and /etc/group itself: give it a known
// pair (bind-mounted inside the namespace only) with real memberships, so the
// Groups assertion is not trivially "empty".
TEST(PrivilegeDrop, NamesResolveFromTheImagesPasswdAndGroupFiles) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    const fs::path passwd = sandbox.root() / "etc-passwd";
    const fs::path group = sandbox.root() / "etc-group";
    write_file(passwd,
               "root:x:0:0:root:/root:/bin/sh\n"
               "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
               "alice:x:4242:4343:Alice:/home/alice:/bin/sh\n"
               "bob:x:4244:4244::/home/bob:/bin/sh\n");
    write_file(group,
               "root:x:0:\n"
               "nogroup:x:65534:\n"
               "alicegrp:x:4343:\n"
               "devs:x:5001:bob,alice\n"
               "ops:x:5002:alice\n"
               "others:x:5003:bob\n"
               "alicelike:x:5004:alice2,xalice\n");
    sandbox.service("by-name").user("alice").run(kReportingRun);
    sandbox.service("name-and-group").user("alice:ops").run(kReportingRun);
    sandbox.service("bare-uid").user("4242").run(kReportingRun);

    RunResult r = run_until_files(sandbox, {"by-name.status", "name-and-group.status", "bare-uid.status"},
                                     {.bind_mounts = {{passwd, "/etc/passwd"}, {group, "/etc/group"}}});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    expect_identity(sandbox, "by-name", {.uid = "4242", .gid = "4343", .groups = {"5001", "5002"}});
    {
        SCOPED_TRACE("name:group");
        const auto status = parse_proc_status(read_file(sandbox.out("name-and-group.status")));
        ASSERT_TRUE(status.contains("Uid"));
        EXPECT_EQ(split_words(status.at("Uid")), repeated("4242"));
        EXPECT_EQ(split_words(status.at("Gid")), repeated("5002"));
        EXPECT_EQ(status.at("NoNewPrivs"), "1");
    }
    // SPEC: a bare uid takes its passwd gid; numeric ids get no supplementary
    // groups, even when a passwd entry exists.
    expect_identity(sandbox, "bare-uid",
                    {.uid = "4242", .gid = "4343", .groups = {}, .primary_gid_may_be_listed = false});
}

TEST(PrivilegeDrop, UnknownUserFailsThatServiceOnlyNamingTheFile) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    auto ghost = sandbox.service("ghost");
    ghost.user("no-such-user-xyz").run("echo ran > \"$OUT/ghost\"\nexec sleep 1000\n");
    sandbox.service("good").run("echo ran > \"$OUT/good\"\nexec sleep 1000\n");

    TendProcess tend(sandbox);
    EXPECT_TRUE(wait_for_file(sandbox.out("good"))) << tend.current_err();
    const std::string user_file = ghost.file_path("user").string();
    EXPECT_TRUE(tend.wait_for_err(user_file, 5s))
        << "the error must name " << user_file << "\n" << tend.current_err();
    EXPECT_TRUE(tend.running()) << "one bad service must not stop tend";
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("ghost"))) << "a service with an unknown user must not run";
    EXPECT_TRUE(logs_path_with_reason(r.err, user_file)) << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest
