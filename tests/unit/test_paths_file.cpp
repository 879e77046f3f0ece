// The `paths` file: its vocabulary, every syntax error named by line, the
// existence check at load, the refusal beside allow-new-privs, and what the
// rules become in Landlock's rights on each ABI.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "scratch.hpp"
#include "tend/config/paths_file.hpp"
#include "tend/config/service_config.hpp"
#include "tend/process/landlock.hpp"

namespace {

namespace fs = std::filesystem;
using tend::config::check_paths_file;
using tend::config::parse_paths_file;
using tend::config::PathAccess;
using tend::config::PathRule;
using tend::config::PathsFile;
using tend::config::PortAccess;
using tend::config::PortRule;
using tend::testing::ScratchDir;
using tend::testing::write_file;

PathsFile parse_ok(std::string_view text) {
    auto parsed = parse_paths_file(text);
    if (!parsed) {
        std::string all;
        for (const auto& problem : parsed.error()) all += problem + "\n";
        ADD_FAILURE() << all;
        return {};
    }
    return *parsed;
}

std::vector<std::string> problems_of(std::string_view text) {
    auto parsed = parse_paths_file(text);
    EXPECT_FALSE(parsed.has_value()) << "accepted: " << text;
    return parsed ? std::vector<std::string>{} : parsed.error();
}

TEST(PathsFile, EveryRuleOfTheVocabulary) {
    const PathsFile rules = parse_ok(
        "# nginx\n"
        "read /etc/nginx\n"
        "\n"
        "  write   /tmp  \n"
        "exec /usr\n"
        "device /dev/tty\n"
        "read /srv/my docs\n"
        "tcp-bind 80\n"
        "tcp-connect 5432\n"
        "scope signals\n"
        "scope abstract-sockets\n");
    EXPECT_EQ(rules.paths, (std::vector<PathRule>{{PathAccess::Read, "/etc/nginx", 2},
                                                  {PathAccess::Write, "/tmp", 4},
                                                  {PathAccess::Exec, "/usr", 5},
                                                  {PathAccess::Device, "/dev/tty", 6},
                                                  {PathAccess::Read, "/srv/my docs", 7}}));
    EXPECT_EQ(rules.ports, (std::vector<PortRule>{{PortAccess::Bind, 80, 8}, {PortAccess::Connect, 5432, 9}}));
    EXPECT_TRUE(rules.scope_signals);
    EXPECT_TRUE(rules.scope_abstract_sockets);
    EXPECT_FALSE(rules.any_bind_port);
    EXPECT_FALSE(rules.any_connect_port);
}

TEST(PathsFile, StarIsEveryPortOfThatKind) {
    const PathsFile rules = parse_ok("exec /usr\ntcp-connect *\n");
    EXPECT_TRUE(rules.any_connect_port);
    EXPECT_FALSE(rules.any_bind_port);
    EXPECT_TRUE(rules.ports.empty());
    EXPECT_EQ(parse_ok("exec /usr\ntcp-bind 0\ntcp-bind 65535\n").ports.size(), 2U);
}

TEST(PathsFile, EveryProblemIsNamedByItsLine) {
    const auto problems = problems_of(
        "# comment, line 1\n"
        "read etc/nginx\n"
        "raed /etc\n"
        "write\n"
        "tcp-bind 8000-8080\n"
        "tcp-connect 65536\n"
        "tcp-connect http\n"
        "scope everything\n"
        "tcp-bind 80,443\n"
        "tcp-bind\n");
    ASSERT_EQ(problems.size(), 9U);
    EXPECT_EQ(problems[0], "line 2: 'etc/nginx' is not an absolute path");
    EXPECT_EQ(problems[1], "line 3: unknown rule 'raed' (read, write, exec, device, tcp-bind, tcp-connect or scope)");
    EXPECT_EQ(problems[2], "line 4: write needs a path");
    EXPECT_EQ(problems[3],
              "line 5: '8000-8080': port ranges cannot be expressed: a Landlock rule names a single port; write one "
              "line per port, or `*` for every port");
    EXPECT_EQ(problems[4], "line 6: '65536' is not a port number (0 to 65535, or *)");
    EXPECT_EQ(problems[5], "line 7: 'http' is not a port number (0 to 65535, or *)");
    EXPECT_EQ(problems[6], "line 8: unknown scope 'everything' (signals or abstract-sockets)");
    EXPECT_EQ(problems[7], "line 9: '80,443': one port a line");
    EXPECT_EQ(problems[8], "line 10: tcp-bind needs a port (0 to 65535, or *)");
}

TEST(PathsFile, AFileWithoutAnyRuleIsRefusedBecauseItWouldDenyTheRunFileItself) {
    const auto problems = problems_of("# nothing yet\n\n");
    ASSERT_EQ(problems.size(), 1U);
    EXPECT_NE(problems[0].find("has no rule"), std::string::npos) << problems[0];
}

TEST(PathsFile, MissingPathsAreNamedByLineAndCheckReportsEveryProblemWithTheFile) {
    ScratchDir scratch;
    const fs::path file = scratch.path() / "paths";
    write_file(file, "exec /usr\nread " + (scratch.path() / "nope").string() + "\nwrite /tmp\nread /also/missing\n");
    const auto problems = check_paths_file(file);
    ASSERT_EQ(problems.size(), 2U);
    EXPECT_EQ(problems[0], file.string() + ": line 2: " + (scratch.path() / "nope").string() +
                               ": does not exist (a rule needs an existing file or directory)");
    EXPECT_EQ(problems[1].rfind(file.string() + ": line 4: /also/missing: does not exist", 0), 0U) << problems[1];

    write_file(file, "exec /usr\nwrite /tmp\n");
    EXPECT_TRUE(check_paths_file(file).empty());
    write_file(file, "exec /usr\nbogus\n");
    EXPECT_EQ(check_paths_file(file),
              std::vector<std::string>{file.string() +
                                       ": line 2: unknown rule 'bogus' (read, write, exec, device, tcp-bind, "
                                       "tcp-connect or scope)"});
}

TEST(PathsFile, SyntaxErrorsAndMissingPathsComeOutInOnePassInLineOrder) {
    ScratchDir scratch;
    const fs::path file = scratch.path() / "paths";
    write_file(file, "exec /usr\nread /missing/one\nraed /etc\nwrite /tmp\nread relative\nread /missing/two\n");
    const std::string at = file.string() + ": line ";
    EXPECT_EQ(check_paths_file(file),
              (std::vector<std::string>{
                  at + "2: /missing/one: does not exist (a rule needs an existing file or directory)",
                  at + "3: unknown rule 'raed' (read, write, exec, device, tcp-bind, tcp-connect or scope)",
                  at + "5: 'relative' is not an absolute path",
                  at + "6: /missing/two: does not exist (a rule needs an existing file or directory)"}));
}

class PathsInServiceDir : public ::testing::Test {
protected:
    ScratchDir scratch;
    fs::path dir = scratch.path() / "web";
    void SetUp() override {
        fs::create_directory(dir);
        write_file(dir / "run", "#!/bin/sh\nexec true\n", 0755);
    }
};

TEST_F(PathsInServiceDir, PathsAndPathsRequiredAreRead) {
    write_file(dir / "paths", "exec /usr\nwrite /tmp\ntcp-bind 8080\n");
    write_file(dir / "paths-required", "");
    auto config = tend::config::parse_service_dir(dir);
    ASSERT_TRUE(config) << config.error().message();
    ASSERT_TRUE(config->paths);
    EXPECT_EQ(config->paths->paths.size(), 2U);
    EXPECT_TRUE(config->paths_required);
    EXPECT_TRUE(config->warnings.empty());
}

TEST_F(PathsInServiceDir, WithoutAPathsFileNothingChanges) {
    auto config = tend::config::parse_service_dir(dir);
    ASSERT_TRUE(config) << config.error().message();
    EXPECT_FALSE(config->paths);
    EXPECT_FALSE(config->paths_required);
}

TEST_F(PathsInServiceDir, PathsRequiredWithoutPathsIsAWarning) {
    write_file(dir / "paths-required", "");
    auto config = tend::config::parse_service_dir(dir);
    ASSERT_TRUE(config) << config.error().message();
    ASSERT_EQ(config->warnings.size(), 1U);
    EXPECT_EQ(config->warnings[0], (dir / "paths-required").string() + ": ignored: there is no " +
                                       (dir / "paths").string());
}

TEST_F(PathsInServiceDir, AllowNewPrivsBesidePathsIsRefusedNamingBothFiles) {
    write_file(dir / "paths", "exec /usr\n");
    write_file(dir / "allow-new-privs", "");
    auto config = tend::config::parse_service_dir(dir);
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().file, dir / "paths");
    EXPECT_NE(config.error().reason.find((dir / "allow-new-privs").string()), std::string::npos)
        << config.error().message();
}

TEST_F(PathsInServiceDir, AMissingPathRefusesTheServiceNamingTheLine) {
    write_file(dir / "paths", "exec /usr\n# the app\nread /srv/app-that-is-not-there\n");
    auto config = tend::config::parse_service_dir(dir);
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().message(), (dir / "paths").string() +
                                            ": line 3: /srv/app-that-is-not-there: does not exist (a rule needs an "
                                            "existing file or directory)");
}

TEST_F(PathsInServiceDir, EveryProblemOfThePathsFileAtOnceEachNamingTheFileAndLine) {
    write_file(dir / "paths", "exec /usr\nread /srv/not-there\nbogus\n");
    auto config = tend::config::parse_service_dir(dir);
    ASSERT_FALSE(config);
    const std::string at = (dir / "paths").string() + ": line ";
    EXPECT_EQ(config.error().message(),
              at + "2: /srv/not-there: does not exist (a rule needs an existing file or directory); " + at +
                  "3: unknown rule 'bogus' (read, write, exec, device, tcp-bind, tcp-connect or scope)");
}

// ---- Landlock's rights ----------------------------------------------------

using tend::process::handled_fs_access;
using tend::process::path_access;
using tend::process::unenforceable;

constexpr std::uint64_t kExecute = 1 << 0, kWriteFile = 1 << 1, kReadFile = 1 << 2, kReadDir = 1 << 3,
                        kMakeChar = 1 << 6, kMakeBlock = 1 << 11, kRefer = 1 << 13, kTruncate = 1 << 14,
                        kIoctlDev = 1 << 15;

TEST(LandlockRights, EachAbiHandlesEveryFilesystemRightItKnows) {
    EXPECT_EQ(handled_fs_access(0), 0U);
    EXPECT_EQ(handled_fs_access(1), (1U << 13) - 1);
    EXPECT_EQ(handled_fs_access(2), (1U << 14) - 1);
    EXPECT_EQ(handled_fs_access(3), (1U << 15) - 1);
    EXPECT_EQ(handled_fs_access(4), (1U << 15) - 1);
    EXPECT_EQ(handled_fs_access(5), (1U << 16) - 1);
    EXPECT_EQ(handled_fs_access(7), (1U << 16) - 1);
}

TEST(LandlockRights, TheVocabularyAgainstLandlocksRights) {
    EXPECT_EQ(path_access(PathAccess::Read, 7, true), kReadFile | kReadDir);
    EXPECT_EQ(path_access(PathAccess::Read, 7, false), kReadFile);
    EXPECT_EQ(path_access(PathAccess::Exec, 7, true), kReadFile | kReadDir | kExecute);
    EXPECT_EQ(path_access(PathAccess::Exec, 7, false), kReadFile | kExecute);
    EXPECT_EQ(path_access(PathAccess::Device, 7, true), kIoctlDev);
    EXPECT_EQ(path_access(PathAccess::Device, 4, true), 0U) << "no ioctl right before ABI 5";

    const std::uint64_t write_dir = path_access(PathAccess::Write, 7, true);
    EXPECT_EQ(write_dir & (kExecute | kMakeChar | kMakeBlock | kIoctlDev), 0U) << "write never grants exec or mknod";
    EXPECT_EQ(write_dir | kExecute | kMakeChar | kMakeBlock | kIoctlDev, handled_fs_access(7));
    EXPECT_EQ(path_access(PathAccess::Write, 7, false), kReadFile | kWriteFile | kTruncate);
    EXPECT_EQ(path_access(PathAccess::Write, 1, true) & (kRefer | kTruncate), 0U);
    EXPECT_EQ(path_access(PathAccess::Write, 2, true) & kRefer, kRefer);
}

TEST(LandlockRights, WhatEachOlderKernelCannotEnforceIsNamed) {
    PathsFile rules = parse_ok("exec /usr\nscope signals\n");
    EXPECT_TRUE(unenforceable(rules, {7, 0}).empty());
    EXPECT_TRUE(unenforceable(rules, {6, 0}).empty());
    EXPECT_EQ(unenforceable(rules, {5, 0}),
              std::vector<std::string>{"scope signals (Landlock ABI 6, Linux 6.12)"});
    EXPECT_EQ(unenforceable(rules, {2, 0}),
              (std::vector<std::string>{"truncation (Landlock ABI 3, Linux 6.2)",
                                        "TCP bind and connect (Landlock ABI 4, Linux 6.7)",
                                        "device ioctl (Landlock ABI 5, Linux 6.10)",
                                        "scope signals (Landlock ABI 6, Linux 6.12)"}));
    EXPECT_EQ(unenforceable(rules, {0, ENOSYS}),
              std::vector<std::string>{"any rule (Landlock is not available: Function not implemented)"});
    // Nothing to restrict about TCP when both kinds are `*`.
    rules = parse_ok("exec /usr\ntcp-bind *\ntcp-connect *\n");
    EXPECT_EQ(unenforceable(rules, {3, 0}), std::vector<std::string>{"device ioctl (Landlock ABI 5, Linux 6.10)"});
}

TEST(LandlockRights, TheRulesInAFewWords) {
    EXPECT_EQ(tend::process::describe_rules(parse_ok("exec /usr\nwrite /tmp\ntcp-bind 80\nscope signals\n")),
              "2 paths, 1 port, scope signals");
    EXPECT_EQ(tend::process::describe_rules(parse_ok("exec /usr\ntcp-connect *\n")),
              "1 path, 0 ports, any connect port");
}

// The ruleset itself, on this kernel: built once in the parent, close-on-exec,
// and an unopenable path is named by its line.
TEST(LandlockRuleset, IsBuiltCloseOnExecWithTheKernelsAbi) {
    const auto support = tend::process::probe_landlock();
    ASSERT_GT(support.abi, 0) << "this machine's kernel has Landlock; errno " << support.error;
    auto built = tend::process::build_confinement(parse_ok("exec /usr\nwrite /tmp\ntcp-bind 80\n"), support);
    ASSERT_TRUE(built) << built.error();
    ASSERT_TRUE(built->ruleset.valid());
    EXPECT_EQ(built->abi, support.abi);
    EXPECT_EQ(::fcntl(built->ruleset.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

    const auto none = tend::process::build_confinement(parse_ok("exec /usr\n"), {0, ENOSYS});
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->ruleset.valid());
    EXPECT_FALSE(none->enforced());
}

TEST(LandlockRuleset, APathThatVanishedSinceTheCheckIsNamedByItsLine) {
    const auto support = tend::process::probe_landlock();
    ASSERT_GT(support.abi, 0);
    auto built = tend::process::build_confinement(parse_ok("exec /usr\nread /gone/since/load\n"), support);
    ASSERT_FALSE(built);
    EXPECT_EQ(built.error(), "line 2: cannot open /gone/since/load: No such file or directory");
}

}  // namespace
