// process::plan_identity: who a service runs as and what tend refuses at
// load, each refusal typed and worded once, against made-up privileges of
// tend (no kernel asked) and passwd/group files in a temp dir.
#include "tend/process/identity_plan.hpp"
#include "tend/process/capabilities.hpp"

#include <gtest/gtest.h>
#include <linux/capability.h>

#include "scratch.hpp"

namespace {

using tend::process::capability_bit;
using tend::process::IdentityRefusal;
using tend::process::IdentityRequest;
using tend::process::plan_identity;
using tend::process::TendPrivileges;
using tend::process::UserDatabase;
using Kind = IdentityRefusal::Kind;

class PlanIdentity : public ::testing::Test {
protected:
    void SetUp() override {
        tend::testing::write_file(dir_.path() / "passwd",
                                  "root:x:0:0:root:/root:/bin/sh\napp:x:3000:3000::/srv/app:/bin/sh\n");
        tend::testing::write_file(dir_.path() / "group", "root:x:0:\napp:x:3000:\nweb:x:33:app\n");
        db_.passwd = dir_.path() / "passwd";
        db_.group = dir_.path() / "group";
    }
    // tend as root with every capability, or as uid/gid without any.
    static TendPrivileges root() {
        TendPrivileges tend;
        tend.effective = tend.permitted = ~std::uint64_t{0} >> (63 - CAP_LAST_CAP);
        tend.bounding_set = [] { return ~std::uint64_t{0} >> (63 - CAP_LAST_CAP); };
        tend.hard_limit = [](int) -> std::optional<rlim_t> { return 1024; };
        return tend;
    }
    static TendPrivileges unprivileged(uid_t uid, gid_t gid) {
        TendPrivileges tend;
        tend.own.uid = tend.euid = uid;
        tend.own.gid = tend.egid = gid;
        tend.bounding_set = [] { return capability_bit(CAP_NET_BIND_SERVICE) | capability_bit(CAP_CHOWN); };
        tend.hard_limit = [](int) -> std::optional<rlim_t> { return 1024; };
        return tend;
    }
    static IdentityRequest as(const char* user) {
        IdentityRequest request;
        request.user = user;
        return request;
    }

    tend::testing::ScratchDir dir_;
    UserDatabase db_;
};

TEST_F(PlanIdentity, RootSwitchesToTheUserWithItsGroups) {
    auto plan = plan_identity(as("app"), root(), db_);
    ASSERT_TRUE(plan) << plan.error().reason;
    ASSERT_TRUE(plan->identity);
    EXPECT_EQ(plan->identity->uid, 3000U);
    EXPECT_EQ(plan->identity->gid, 3000U);
    EXPECT_EQ(plan->identity->groups, (std::vector<gid_t>{33})) << "its /etc/group memberships";
    EXPECT_TRUE(plan->capabilities.manage) << "a non-root service loses tend's capabilities";
    EXPECT_FALSE(plan->note);
}

TEST_F(PlanIdentity, AnUnknownUserIsRefusedAsTheUserFile) {
    auto plan = plan_identity(as("nobody-here"), root(), db_);
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().kind, Kind::UnknownUser);
    EXPECT_EQ(plan.error().file, "user");
}

TEST_F(PlanIdentity, AnotherUidWithoutSetuidIsRefusedNamingTheWayOut) {
    auto plan = plan_identity(as("app"), unprivileged(1000, 1000), db_);
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().kind, Kind::SwitchNeedsCaps);
    EXPECT_EQ(plan.error().reason,
              "tend cannot switch to uid 3000: it lacks CAP_SETGID, CAP_SETUID (give the container these "
              "capabilities, or run tend with --as-me)");
}

TEST_F(PlanIdentity, AsMeNeverSwitchesAndSaysSo) {
    IdentityRequest request = as("app");
    request.as_me = true;
    auto plan = plan_identity(request, unprivileged(1000, 1000), db_);
    ASSERT_TRUE(plan);
    EXPECT_FALSE(plan->identity);
    EXPECT_EQ(plan->credentials.uid, 1000U);
    ASSERT_TRUE(plan->note);
    EXPECT_TRUE(plan->note->info);
    EXPECT_EQ(plan->note->text, "--as-me: running as tend's own user instead of 'app'");
}

// OpenShift runs an arbitrary uid with gid 0: a `user` asking for that uid
// and another gid cannot be honoured without CAP_SETGID.
TEST_F(PlanIdentity, TendsUidWithAnotherGidIsRefusedWithTheLineThatWorks) {
    auto plan = plan_identity(as("3000:3000"), unprivileged(3000, 0), db_);
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().kind, Kind::GidNeedsSetgid);
    EXPECT_EQ(plan.error().reason,
              "asks for gid 3000 but tend runs as uid 3000 with gid 0 and lacks CAP_SETGID to change it; write "
              "`user 3000:0` to run with tend's own ids");
}

TEST_F(PlanIdentity, TendsOwnIdsWithOtherGroupsRunWithTendsGroups) {
    auto plan = plan_identity(as("app"), unprivileged(3000, 3000), db_);
    ASSERT_TRUE(plan) << plan.error().reason;
    EXPECT_FALSE(plan->identity) << "no switch needed";
    EXPECT_TRUE(plan->credentials.groups.empty()) << "tend's own (none here)";
    ASSERT_TRUE(plan->note);
    EXPECT_FALSE(plan->note->info) << "debug: nothing the user must act on";
}

TEST_F(PlanIdentity, ALimitAboveTendsHardLimitNeedsSysResource) {
    IdentityRequest request;
    request.limits.push_back({RLIMIT_NOFILE, 4096, 4096, "nofile"});
    auto plan = plan_identity(request, unprivileged(1000, 1000), db_);
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().kind, Kind::LimitAboveHard);
    EXPECT_EQ(plan.error().file, "limits");
    EXPECT_EQ(plan.error().reason,
              "nofile 4096 is above tend's hard limit 1024 and tend lacks CAP_SYS_RESOURCE to raise it");
    EXPECT_TRUE(plan_identity(request, root(), db_)) << "with CAP_SYS_RESOURCE it is raised";
}

TEST_F(PlanIdentity, AllowNewPrivsNeedsSetpcapToShrinkTheBoundingSet) {
    IdentityRequest request;
    request.allow_new_privs = true;
    auto plan = plan_identity(request, unprivileged(1000, 1000), db_);
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().kind, Kind::BoundingNeedsSetpcap);
    EXPECT_EQ(plan.error().file, "allow-new-privs");
    request.capabilities = capability_bit(CAP_NET_BIND_SERVICE) | capability_bit(CAP_CHOWN);
    TendPrivileges holding = unprivileged(1000, 1000);
    holding.permitted = *request.capabilities;
    EXPECT_TRUE(plan_identity(request, holding, db_)) << "nothing left to drop";
}

TEST_F(PlanIdentity, OnlyCapabilitiesTendHoldsCanBeGiven) {
    IdentityRequest request = as("app");
    request.capabilities = capability_bit(CAP_NET_BIND_SERVICE);
    TendPrivileges tend = root();
    tend.permitted &= ~capability_bit(CAP_NET_BIND_SERVICE);
    auto plan = plan_identity(request, tend, db_);
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().kind, Kind::CapabilityNotHeld);
    EXPECT_EQ(plan.error().reason, "tend does not have CAP_NET_BIND_SERVICE to give");
}

}  // namespace
