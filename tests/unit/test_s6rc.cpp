// s6-overlay v3 trees read into oneshots (in order) and longruns.
#include <gtest/gtest.h>

#include <algorithm>

#include "scratch.hpp"
#include "tend/s6/s6rc.hpp"

namespace {

using tend::s6::load_s6rc;
using tend::testing::ScratchDir;
namespace fs = std::filesystem;

class S6rc : public ::testing::Test {
protected:
    void define(const std::string& name, const std::string& type, std::vector<std::string> deps = {}) {
        fs::create_directories(rc() / name);
        tend::testing::write_file(rc() / name / "type", type + "\n");
        for (const auto& dep : deps) {
            fs::create_directories(rc() / name / "dependencies.d");
            tend::testing::write_file(rc() / name / "dependencies.d" / dep, "");
        }
        if (type == "oneshot") tend::testing::write_file(rc() / name / "up", "true\n");
        if (type == "longrun") tend::testing::write_file(rc() / name / "run", "#!/bin/sh\n", 0755);
    }
    void member(const std::string& bundle, const std::string& name) {
        fs::create_directories(rc() / bundle / "contents.d");
        tend::testing::write_file(rc() / bundle / "contents.d" / name, "");
    }
    fs::path rc() const { return dir_.path() / "s6-rc.d"; }
    static std::vector<std::string> oneshot_names(const tend::s6::S6rcPlan& plan) {
        std::vector<std::string> names;
        for (const auto& o : plan.oneshots) names.push_back(o.name);
        return names;
    }
    static std::vector<std::string> longrun_names(const tend::s6::S6rcPlan& plan) {
        std::vector<std::string> names;
        for (const auto& l : plan.longruns) names.push_back(l.name);
        return names;
    }
    ScratchDir dir_;
};

TEST_F(S6rc, NoTreeIsNotPresent) { EXPECT_FALSE(load_s6rc(dir_.path()).present); }

TEST_F(S6rc, UserBundleWithDependenciesInOrder) {
    define("init-a", "oneshot", {"base"});
    define("init-b", "oneshot", {"init-a"});
    define("svc-db", "longrun");
    define("svc-app", "longrun", {"init-b", "svc-db", "base"});
    define("unused", "longrun");
    member("user", "svc-app");
    auto plan = load_s6rc(dir_.path());
    EXPECT_TRUE(plan.errors.empty()) << plan.errors.front();
    EXPECT_EQ(oneshot_names(plan), (std::vector<std::string>{"init-a", "init-b"}));
    EXPECT_EQ(longrun_names(plan), (std::vector<std::string>{"svc-app", "svc-db"}));
    EXPECT_EQ(plan.longruns[0].depends, std::vector<std::string>{"svc-db"});
    EXPECT_EQ(plan.oneshots[0].up, rc() / "init-a" / "up");
    EXPECT_TRUE(plan.oneshots[0].down.empty());
}

TEST_F(S6rc, BundlesNestAndContentsFilesWork) {
    define("svc-a", "longrun");
    define("svc-b", "longrun");
    define("inner", "bundle");
    tend::testing::write_file(rc() / "inner" / "contents", "svc-a\n# a comment\nsvc-b\n");
    member("user", "inner");
    auto plan = load_s6rc(dir_.path());
    EXPECT_EQ(longrun_names(plan), (std::vector<std::string>{"svc-a", "svc-b"}));
}

TEST_F(S6rc, DependencyOnABundleMeansItsMembers) {
    define("init-a", "oneshot");
    define("init-b", "oneshot");
    define("init-all", "bundle");
    member("init-all", "init-a");
    member("init-all", "init-b");
    define("svc", "longrun", {"init-all"});
    member("user", "svc");
    auto plan = load_s6rc(dir_.path());
    EXPECT_EQ(oneshot_names(plan), (std::vector<std::string>{"init-a", "init-b"}));
    EXPECT_TRUE(plan.longruns.at(0).depends.empty());
}

TEST_F(S6rc, UserBundlesDirWinsAndUser2Counts) {
    define("svc-old", "longrun");
    define("svc-new", "longrun");
    define("svc-late", "longrun");
    member("user", "svc-old");
    fs::create_directories(dir_.path() / "user-bundles.d/user/contents.d");
    tend::testing::write_file(dir_.path() / "user-bundles.d/user/contents.d/svc-new", "");
    fs::create_directories(dir_.path() / "user-bundles.d/user2/contents.d");
    tend::testing::write_file(dir_.path() / "user-bundles.d/user2/contents.d/svc-late", "");
    auto plan = load_s6rc(dir_.path());
    EXPECT_EQ(longrun_names(plan), (std::vector<std::string>{"svc-late", "svc-new"}));
}

TEST_F(S6rc, MissingNamesCyclesAndBadTypesAreErrors) {
    define("svc", "longrun", {"nope"});
    define("one", "oneshot", {"two"});
    define("two", "oneshot", {"one"});
    define("svc2", "longrun", {"one"});
    fs::create_directories(rc() / "weird");
    tend::testing::write_file(rc() / "weird" / "type", "daemon\n");
    member("user", "svc");
    member("user", "svc2");
    auto plan = load_s6rc(dir_.path());
    auto has = [&](const std::string& needle) {
        return std::any_of(plan.errors.begin(), plan.errors.end(),
                           [&](const std::string& e) { return e.find(needle) != std::string::npos; });
    };
    EXPECT_TRUE(has("no service or bundle named 'nope'"));
    EXPECT_TRUE(has("dependency cycle"));
    EXPECT_TRUE(has("unknown type 'daemon'"));
    EXPECT_TRUE(has("a oneshot it depends on is refused"));
    EXPECT_EQ(longrun_names(plan), std::vector<std::string>{"svc"});
}

// A oneshot that waits for a longrun runs after the services have started.
TEST_F(S6rc, OneshotDependingOnALongrunRunsAfterTheServices) {
    define("svc-db", "longrun");
    define("init-migrate", "oneshot", {"svc-db"});
    member("user", "init-migrate");
    auto plan = load_s6rc(dir_.path());
    EXPECT_TRUE(plan.errors.empty()) << plan.errors.front();
    EXPECT_TRUE(plan.oneshots.empty());
    ASSERT_EQ(plan.late_oneshots.size(), 1u);
    EXPECT_EQ(plan.late_oneshots[0].name, "init-migrate");
    EXPECT_EQ(plan.late_oneshots[0].after_services, std::vector<std::string>{"svc-db"});
    EXPECT_EQ(longrun_names(plan), std::vector<std::string>{"svc-db"});
}

// s6-overlay's own names as linuxserver.io's trees use them: base and
// legacy-cont-init are met by cont-init.d, legacy-services by services.d,
// user and user2 are the bundles (user2 after services.d).
TEST_F(S6rc, S6OverlaysOwnNamesAreTargetsInItsOrder) {
    define("init-adduser", "oneshot", {"init-migrations", "base"});
    define("init-migrations", "oneshot", {"legacy-cont-init"});
    define("init-services", "oneshot", {"init-adduser"});
    define("svc-cron", "longrun", {"init-services"});
    define("ci-service-check", "oneshot", {"legacy-services"});
    define("svc-late", "longrun");
    member("user", "init-services");
    member("user", "svc-cron");
    member("user2", "ci-service-check");
    member("user2", "svc-late");
    auto plan = load_s6rc(dir_.path());
    EXPECT_TRUE(plan.errors.empty()) << plan.errors.front();
    EXPECT_EQ(oneshot_names(plan), (std::vector<std::string>{"init-migrations", "init-adduser", "init-services"}));
    ASSERT_EQ(plan.late_oneshots.size(), 1u);
    EXPECT_EQ(plan.late_oneshots[0].name, "ci-service-check");
    EXPECT_TRUE(plan.late_oneshots[0].after_legacy_services);
    ASSERT_EQ(longrun_names(plan), (std::vector<std::string>{"svc-cron", "svc-late"}));
    EXPECT_FALSE(plan.longruns[0].after_legacy_services) << "user starts before services.d";
    EXPECT_TRUE(plan.longruns[1].after_legacy_services) << "user2 starts after services.d";
}

TEST_F(S6rc, LongrunAfterALateOneshotIsRefusedNamingIt) {
    define("svc-db", "longrun");
    define("init-migrate", "oneshot", {"svc-db"});
    define("svc-app", "longrun", {"init-migrate"});
    member("user", "svc-app");
    auto plan = load_s6rc(dir_.path());
    ASSERT_EQ(plan.errors.size(), 1u);
    EXPECT_NE(plan.errors[0].find("svc-app: not started: it depends on oneshot 'init-migrate'"), std::string::npos)
        << plan.errors[0];
}

TEST_F(S6rc, BundlesThatContainEachOtherEnd) {
    define("a", "bundle");
    define("b", "bundle");
    member("a", "b");
    member("b", "a");
    define("svc", "longrun");
    member("a", "svc");
    member("user", "a");
    auto plan = load_s6rc(dir_.path());
    EXPECT_EQ(longrun_names(plan), std::vector<std::string>{"svc"});
}

// s6-rc pipelines: the producer depends on its consumer (which starts
// first, stops last) and names it; either side's file makes the pair.
TEST_F(S6rc, PipelinesLinkProducerToConsumer) {
    define("svc", "longrun");
    define("svc-log", "longrun");
    define("other", "longrun");
    define("other-log", "longrun");
    tend::testing::write_file(rc() / "svc" / "producer-for", "svc-log\n");
    tend::testing::write_file(rc() / "other-log" / "consumer-for", "other\n");
    tend::testing::write_file(rc() / "svc-log" / "pipeline-name", "svc-pipeline\n");
    member("user", "svc-pipeline");  // the bundle brings both
    member("user", "other");         // the dependency brings its consumer
    auto plan = load_s6rc(dir_.path());
    EXPECT_TRUE(plan.errors.empty()) << plan.errors.front();
    EXPECT_TRUE(plan.warnings.empty());
    ASSERT_EQ(plan.longruns.size(), 4u);
    auto find = [&](const std::string& name) {
        return *std::find_if(plan.longruns.begin(), plan.longruns.end(), [&](const auto& l) { return l.name == name; });
    };
    EXPECT_EQ(find("svc").producer_for, "svc-log");
    EXPECT_EQ(find("svc").depends, std::vector<std::string>{"svc-log"});
    EXPECT_EQ(find("other").producer_for, "other-log");
    EXPECT_EQ(find("other").depends, std::vector<std::string>{"other-log"});
    EXPECT_EQ(find("svc-log").producer_for, "");
}

TEST_F(S6rc, PipelinesOfOneshotsOrUnknownNamesAreErrors) {
    define("svc", "longrun");
    define("init-x", "oneshot");
    tend::testing::write_file(rc() / "svc" / "producer-for", "init-x\n");
    member("user", "svc");
    auto plan = load_s6rc(dir_.path());
    ASSERT_EQ(plan.errors.size(), 1u);
    EXPECT_NE(plan.errors[0].find("producer-for: 'init-x' is not a longrun"), std::string::npos) << plan.errors[0];
    ASSERT_EQ(plan.longruns.size(), 1u);
    EXPECT_EQ(plan.longruns[0].producer_for, "");  // it runs on its own
}

}  // namespace

TEST_F(S6rc, TimeoutsOfOneshotsAreRead) {
    define("init-a", "oneshot");
    define("init-b", "oneshot");
    define("init-c", "oneshot");
    member("user", "init-a");
    member("user", "init-b");
    member("user", "init-c");
    tend::testing::write_file(rc() / "init-a" / "timeout-up", "2500\n");
    tend::testing::write_file(rc() / "init-a" / "timeout-down", "3s\n");
    tend::testing::write_file(rc() / "init-b" / "timeout-up", "0\n");  // s6-rc: no limit
    tend::testing::write_file(rc() / "init-c" / "timeout-up", "soon\n");
    auto plan = load_s6rc(dir_.path());
    ASSERT_EQ(plan.oneshots.size(), 3u);
    EXPECT_EQ(plan.oneshots[0].timeout_up, std::chrono::milliseconds(2500));
    EXPECT_EQ(plan.oneshots[0].timeout_down, std::chrono::milliseconds(3000));
    EXPECT_FALSE(plan.oneshots[1].timeout_up);
    EXPECT_FALSE(plan.oneshots[1].timeout_down);
    EXPECT_FALSE(plan.oneshots[2].timeout_up);
    ASSERT_EQ(plan.warnings.size(), 1u);
    EXPECT_NE(plan.warnings[0].find("init-c/timeout-up: 'soon' is not a timeout"), std::string::npos) << plan.warnings[0];
}
