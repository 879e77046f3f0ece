// The supervisor and `paths`: the ruleset is built once at load and handed to
// every start and finish; a kernel that cannot enforce everything gives a
// warning, or a refusal with paths-required / --require-landlock; status
// shows it. The kernel's Landlock ABI is given to the supervisor, so each
// older kernel can be played on this one (whose ABI is at least as high).
#include <signal.h>

#include <gtest/gtest.h>

#include "supervisor_fixture.hpp"
#include "tend/control/commands.hpp"
#include "tend/core/control_bridge.hpp"

namespace tend::test {
namespace {

class SupervisorConfinement : public SupervisorFixture {
protected:
    core::SupervisorContext with_abi(int abi, int error = 0) {
        core::SupervisorContext c = context();
        c.landlock = process::LandlockSupport{abi, error};
        return c;
    }
};

TEST_F(SupervisorConfinement, EveryStartAndFinishGetsTheRulesetBuiltOnceAtLoad) {
    service("web", {{"paths", "exec /usr\nwrite /tmp\ntcp-bind 8080\n"}, {"finish", "#!/bin/sh\n"}});
    std::filesystem::permissions(root / "web" / "finish", std::filesystem::perms::owner_all);
    service("plain");
    auto& sup = load(with_abi(process::probe_landlock().abi));
    ASSERT_FALSE(record("web").refused()) << record("web").refusal;
    ASSERT_TRUE(record("web").resolved.confinement);
    const int fd = record("web").resolved.confinement->ruleset.get();
    ASSERT_GE(fd, 0);
    // Files, TCP and ioctl: all of it from ABI 5 on.
    if (process::probe_landlock().abi >= 5) {
        EXPECT_TRUE(record("web").resolved.confinement->enforced());
    }
    EXPECT_FALSE(record("plain").resolved.confinement);

    sup.start_all();
    EXPECT_EQ(ops.plans.at("web").landlock_ruleset_fd, fd);
    EXPECT_EQ(ops.plans.at("plain").landlock_ruleset_fd, -1);
    exit_service("web", 0);  // exits 0: finish runs with the same ruleset
    EXPECT_EQ(ops.plans.at("web").executable, (root / "web" / "finish").string());
    EXPECT_EQ(ops.plans.at("web").landlock_ruleset_fd, fd);
}

TEST_F(SupervisorConfinement, AnOlderKernelEnforcesWhatItKnowsAndTheStatusSaysWhatIsMissing) {
    service("web", {{"paths", "exec /usr\ntcp-bind 8080\nscope signals\n"}});
    auto& sup = load(with_abi(3));
    ASSERT_FALSE(record("web").refused()) << record("web").refusal;
    ASSERT_TRUE(record("web").resolved.confinement);
    EXPECT_GE(record("web").resolved.confinement->ruleset.get(), 0) << "ABI 3 still confines files";
    EXPECT_EQ(record("web").resolved.confinement->abi, 3);
    EXPECT_EQ(record("web").resolved.confinement->unenforced,
              (std::vector<std::string>{"TCP bind and connect (Landlock ABI 4, Linux 6.7)",
                                        "device ioctl (Landlock ABI 5, Linux 6.10)",
                                        "scope signals (Landlock ABI 6, Linux 6.12)"}));
    sup.start_all();
    EXPECT_GE(ops.plans.at("web").landlock_ruleset_fd, 0);

    core::ControlBridge bridge(sup, clock);
    auto statuses = bridge.services();
    ASSERT_EQ(statuses.size(), 1U);
    ASSERT_TRUE(statuses[0].confinement);
    EXPECT_EQ(statuses[0].confinement->abi, 3);
    EXPECT_EQ(statuses[0].confinement->rules, "1 path, 1 port, scope signals");
    EXPECT_EQ(statuses[0].confinement->unenforced.size(), 3U);
}

TEST_F(SupervisorConfinement, WithoutLandlockTheServiceRunsUnconfined) {
    service("web", {{"paths", "exec /usr\n"}});
    auto& sup = load(with_abi(0, ENOSYS));
    ASSERT_FALSE(record("web").refused()) << record("web").refusal;
    ASSERT_TRUE(record("web").resolved.confinement);
    EXPECT_FALSE(record("web").resolved.confinement->ruleset.valid());
    sup.start_all();
    EXPECT_EQ(ops.plans.at("web").landlock_ruleset_fd, -1);
}

TEST_F(SupervisorConfinement, PathsRequiredOrRequireLandlockRefusesWhatTheKernelCannotEnforce) {
    service("strict", {{"paths", "exec /usr\n"}, {"paths-required", ""}});
    service("lenient", {{"paths", "exec /usr\n"}});
    load(with_abi(4));
    EXPECT_EQ(record("strict").refusal,
              (root / "strict" / "paths").string() +
                  ": this kernel cannot enforce device ioctl (Landlock ABI 5, Linux 6.10); " +
                  (root / "strict" / "paths-required").string() +
                  " exists, so the service does not start without all of it");
    EXPECT_FALSE(record("lenient").refused());

    options.require_landlock = true;
    load(with_abi(4));
    EXPECT_EQ(record("lenient").refusal,
              (root / "lenient" / "paths").string() +
                  ": this kernel cannot enforce device ioctl (Landlock ABI 5, Linux 6.10); --require-landlock was "
                  "given, so the service does not start without all of it");
    // Fully enforced: nothing to refuse.
    load(with_abi(6));
    EXPECT_FALSE(record("lenient").refused()) << record("lenient").refusal;
    EXPECT_FALSE(record("strict").refused()) << record("strict").refusal;
}

}  // namespace
}  // namespace tend::test
