// Parsing whole service dirs, and listing the services / cont-init dirs.
//
// Every bad input must name the exact file and what is wrong with it; every
// good input must come back with the documented defaults for what is absent.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/capability.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "scratch.hpp"
#include <fcntl.h>

#include "without_dac.hpp"

#include "tend/config/service_config.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using tend::config::ConfigError;
using tend::config::EnvdirEntry;
using tend::config::parse_service_dir;
using tend::config::ResourceLimit;
using tend::config::RestartPolicy;
using tend::config::ServiceConfig;

using tend::testing::ScratchDir;

using tend::testing::write_file;

void write_script(const fs::path& file, mode_t mode = 0755) { write_file(file, "#!/bin/sh\nexec true\n", mode); }

std::size_t open_fd_count() {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) ++count;
    return count;
}

class ServiceDirTest : public ::testing::Test {
protected:
    ScratchDir scratch;
    fs::path dir = scratch.path() / "web";

    void SetUp() override {
        fs::create_directory(dir);
        write_script(dir / "run");
    }
    ServiceConfig parse_ok() {
        auto config = parse_service_dir(dir);
        if (!config) ADD_FAILURE() << config.error().message();
        return config.value_or(ServiceConfig{});
    }
};

TEST_F(ServiceDirTest, MinimalServiceGetsDefaults) {
    const ServiceConfig config = parse_ok();
    EXPECT_EQ(config.name, "web");
    EXPECT_EQ(config.dir, dir);
    EXPECT_EQ(config.run, dir / "run");
    EXPECT_EQ(config.finish, std::nullopt);
    EXPECT_FALSE(config.down);
    EXPECT_FALSE(config.primary);
    EXPECT_EQ(config.user, std::nullopt);
    EXPECT_TRUE(config.envdir.empty());
    EXPECT_FALSE(config.keep_env);
    EXPECT_EQ(config.import_env, std::nullopt);
    EXPECT_FALSE(config.allow_new_privs);
    EXPECT_EQ(config.capabilities, std::nullopt);
    EXPECT_TRUE(config.limits.empty());
    EXPECT_EQ(config.workdir, dir);  // already absolute: /tmp/...
    EXPECT_EQ(config.umask, std::nullopt);
    EXPECT_EQ(config.notification_fd, std::nullopt);
    EXPECT_TRUE(config.depends.empty());
    EXPECT_EQ(config.restart, RestartPolicy::Always);
    EXPECT_EQ(config.timeout_kill, std::nullopt);
    EXPECT_EQ(config.timeout_finish, 5000ms);
    EXPECT_EQ(config.down_signal, SIGTERM);
    EXPECT_TRUE(config.warnings.empty());
}

TEST_F(ServiceDirTest, EverySettingIsRead) {
    write_script(dir / "finish", 0700);
    write_file(dir / "down", "");
    write_file(dir / "primary", "anything at all\n");
    write_file(dir / "allow-new-privs", "");
    write_file(dir / "user", "# the web user\n  www-data:www-data  \nignored second line\n");
    fs::create_directory(dir / "env");
    write_file(dir / "env" / "PORT", "8080\n");
    write_file(dir / "env" / "DEBUG", "");
    write_file(dir / "import-env", "HOSTNAME\n# comment\n  TZ  \n");
    write_file(dir / "capabilities", "CAP_NET_BIND_SERVICE, chown\n");
    write_file(dir / "limits", "nofile 1024:4096\ncore 0\n");
    write_file(dir / "workdir", "/srv/www\n");
    write_file(dir / "umask", "027\n");
    write_file(dir / "notification-fd", "3\n");
    write_file(dir / "depends", "db\ncache\n\ndb\n");
    write_file(dir / "restart", "on-failure\n");
    write_file(dir / "timeout-kill", "1500\n");
    write_file(dir / "timeout-finish", "250");
    write_file(dir / "down-signal", "SIGQUIT\n");

    const ServiceConfig config = parse_ok();
    EXPECT_EQ(config.finish, std::optional<fs::path>(dir / "finish"));
    EXPECT_TRUE(config.down);
    EXPECT_TRUE(config.primary);
    EXPECT_TRUE(config.allow_new_privs);
    EXPECT_EQ(config.user, std::optional<std::string>("www-data:www-data"));
    EXPECT_EQ(config.envdir, (std::vector<EnvdirEntry>{{"DEBUG", std::nullopt}, {"PORT", "8080"}}));
    EXPECT_FALSE(config.keep_env);
    EXPECT_EQ(config.import_env, (std::optional<std::vector<std::string>>({"HOSTNAME", "TZ"})));
    EXPECT_EQ(config.capabilities,
              std::optional<std::uint64_t>((1ULL << CAP_NET_BIND_SERVICE) | (1ULL << CAP_CHOWN)));
    EXPECT_EQ(config.limits, (std::vector<ResourceLimit>{{RLIMIT_NOFILE, 1024, 4096, "nofile"},
                                                         {RLIMIT_CORE, 0, 0, "core"}}));
    EXPECT_EQ(config.workdir, fs::path("/srv/www"));
    EXPECT_EQ(config.umask, std::optional<mode_t>(027));
    EXPECT_EQ(config.notification_fd, std::optional<int>(3));
    EXPECT_EQ(config.depends, (std::vector<std::string>{"db", "cache"}));
    EXPECT_EQ(config.restart, RestartPolicy::OnFailure);
    EXPECT_EQ(config.timeout_kill, std::optional<std::chrono::milliseconds>(1500ms));
    EXPECT_EQ(config.timeout_finish, 250ms);
    EXPECT_EQ(config.down_signal, SIGQUIT);
    EXPECT_TRUE(config.warnings.empty());
}

TEST_F(ServiceDirTest, TimeoutsTakeUnitsAndABareNumberIsMilliseconds) {
    write_file(dir / "timeout-kill", "3s\n");
    write_file(dir / "timeout-finish", " 2m ");
    ServiceConfig config = parse_ok();
    EXPECT_EQ(config.timeout_kill, std::optional<std::chrono::milliseconds>(3000ms));
    EXPECT_EQ(config.timeout_finish, 120000ms);

    write_file(dir / "timeout-kill", "0\n");  // s6: no limit
    write_file(dir / "timeout-finish", "750\n");
    config = parse_ok();
    EXPECT_EQ(config.timeout_kill, std::optional<std::chrono::milliseconds>(0ms));
    EXPECT_EQ(config.timeout_finish, 750ms);
}

TEST_F(ServiceDirTest, RestartPolicies) {
    const std::vector<std::pair<std::string, RestartPolicy>> policies = {
        {"always", RestartPolicy::Always}, {"on-failure\n", RestartPolicy::OnFailure}, {" never ", RestartPolicy::Never}};
    for (const auto& [text, policy] : policies) {
        write_file(dir / "restart", text);
        EXPECT_EQ(parse_ok().restart, policy) << text;
    }
}

TEST_F(ServiceDirTest, DownSignalAcceptsNamesAndNumbers) {
    const std::vector<std::pair<std::string, int>> signals = {
        {"SIGQUIT", SIGQUIT}, {"quit\n", SIGQUIT}, {"WINCH", SIGWINCH}, {"10", 10}, {"SIGKILL", SIGKILL}};
    for (const auto& [text, signo] : signals) {
        write_file(dir / "down-signal", text);
        EXPECT_EQ(parse_ok().down_signal, signo) << text;
    }
}

TEST_F(ServiceDirTest, RelativeWorkdirIsResolvedAgainstTheServiceDirAndNotRequiredToExist) {
    write_file(dir / "workdir", "data/current\n");
    EXPECT_EQ(parse_ok().workdir, dir / "data/current");
    write_file(dir / "workdir", "../shared");
    EXPECT_EQ(parse_ok().workdir, dir / "../shared");
    write_file(dir / "workdir", "/does/not/exist");
    EXPECT_EQ(parse_ok().workdir, fs::path("/does/not/exist"));
}

TEST_F(ServiceDirTest, RelativeServiceDirGivesAbsoluteWorkdir) {
    const fs::path saved = fs::current_path();
    fs::current_path(scratch.path());
    auto config = parse_service_dir("web");
    fs::current_path(saved);
    ASSERT_TRUE(config.has_value()) << config.error().message();
    EXPECT_EQ(config->name, "web");
    EXPECT_EQ(config->dir, fs::path("web"));
    EXPECT_EQ(config->workdir, dir);
}

TEST_F(ServiceDirTest, NameIgnoresTrailingSlash) {
    auto config = parse_service_dir(dir.string() + "/");
    ASSERT_TRUE(config.has_value()) << config.error().message();
    EXPECT_EQ(config->name, "web");
    EXPECT_EQ(config->run, dir / "run");
}

TEST_F(ServiceDirTest, KeepEnvWinsOverImportEnvWithAWarning) {
    write_file(dir / "keep-env", "");
    write_file(dir / "import-env", "A=B is malformed but never read\n");
    const ServiceConfig config = parse_ok();
    EXPECT_TRUE(config.keep_env);
    EXPECT_EQ(config.import_env, std::nullopt);
    ASSERT_EQ(config.warnings.size(), 1u);
    EXPECT_NE(config.warnings[0].find((dir / "import-env").string()), std::string::npos) << config.warnings[0];
    EXPECT_NE(config.warnings[0].find("keep-env wins"), std::string::npos) << config.warnings[0];
}

TEST_F(ServiceDirTest, EmptyImportEnvImportsNothing) {
    write_file(dir / "import-env", "");
    EXPECT_EQ(parse_ok().import_env, std::optional<std::vector<std::string>>(std::vector<std::string>{}));
}

TEST_F(ServiceDirTest, EmptyCapabilitiesKeepsNothing) {
    write_file(dir / "capabilities", "\n");
    EXPECT_EQ(parse_ok().capabilities, std::optional<std::uint64_t>(0));
}

TEST_F(ServiceDirTest, PresenceFilesIgnoreTheirContentAndType) {
    write_file(dir / "down", std::string("\0\x01binary", 8));
    fs::create_directory(dir / "primary");
    fs::create_symlink("nowhere", dir / "keep-env");
    write_file(dir / "allow-new-privs", "", 0000);
    const ServiceConfig config = parse_ok();
    EXPECT_TRUE(config.down);
    EXPECT_TRUE(config.primary);
    EXPECT_TRUE(config.keep_env);
    EXPECT_TRUE(config.allow_new_privs);
}

TEST_F(ServiceDirTest, ScriptsMayBeSymlinksAndNeedOnlyOneExecuteBit) {
    fs::remove(dir / "run");
    write_script(scratch.path() / "real-run", 0701);
    fs::create_symlink("../real-run", dir / "run");
    write_script(dir / "finish", 0610);
    const ServiceConfig config = parse_ok();
    EXPECT_EQ(config.run, dir / "run");
    EXPECT_EQ(config.finish, std::optional<fs::path>(dir / "finish"));
}

// A `log/` dir is a service of its own (the supervisor runs it as NAME-log),
// not a part of this one's config.
TEST_F(ServiceDirTest, S6LogSubserviceIsNotAWarning) {
    fs::create_directory(dir / "log");
    write_script(dir / "log" / "run");
    const ServiceConfig config = parse_ok();
    EXPECT_TRUE(config.warnings.empty());
}

TEST_F(ServiceDirTest, UnknownFilesAreIgnored) {
    write_file(dir / "README", "notes");
    write_file(dir / "type", "longrun\n");
    fs::create_directory(dir / "data");
    EXPECT_TRUE(parse_service_dir(dir).has_value());
}

// --- bad input ------------------------------------------------------------------

struct BadServiceCase {
    std::string label;
    std::function<void(const fs::path& dir)> make;
    std::string file;  // relative to the service dir; "" = the dir itself
    std::string reason_part;
};

class BadServiceDirTest : public ServiceDirTest, public ::testing::WithParamInterface<BadServiceCase> {};

TEST_P(BadServiceDirTest, NamesTheFileAndTheProblem) {
    GetParam().make(dir);
    const auto config = parse_service_dir(dir);
    ASSERT_FALSE(config.has_value()) << "parsed although " << GetParam().label;
    const ConfigError& error = config.error();
    const fs::path expected_file = GetParam().file.empty() ? dir : dir / GetParam().file;
    EXPECT_EQ(error.file, expected_file);
    EXPECT_NE(error.reason.find(GetParam().reason_part), std::string::npos) << error.message();
    EXPECT_EQ(error.message(), expected_file.string() + ": " + error.reason);
}

auto file_with(std::string name, std::string content, mode_t mode = 0644) {
    return [name, content, mode](const fs::path& d) { write_file(d / name, content, mode); };
}
auto self_symlink(std::string name) {
    return [name](const fs::path& d) { fs::create_symlink(name, d / name); };
}
auto fifo(std::string name) {
    return [name](const fs::path& d) { ASSERT_EQ(::mkfifo((d / name).c_str(), 0644), 0); };
}
auto directory(std::string name) {
    return [name](const fs::path& d) { fs::create_directory(d / name); };
}
auto huge(std::string name) {
    return [name](const fs::path& d) {
        write_file(d / name, "");
        ASSERT_EQ(::truncate((d / name).c_str(), 10 * 1024 * 1024), 0);
    };
}
auto without_run() {
    return [](const fs::path& d) { fs::remove(d / "run"); };
}
template <typename... Steps>
auto in_order(Steps... steps) {
    return [=](const fs::path& d) { (steps(d), ...); };
}

const std::string kBinary("\x7f" "ELF\x02\x01\x01\0\0\0", 10);

INSTANTIATE_TEST_SUITE_P(
    ServiceDir, BadServiceDirTest,
    ::testing::Values(
        // The dir itself.
        BadServiceCase{"DirIsAFile",
                       [](const fs::path& d) {
                           fs::remove_all(d);
                           write_file(d, "");
                       },
                       "", "is not a directory"},
        BadServiceCase{"DirMissing", [](const fs::path& d) { fs::remove_all(d); }, "", "No such file or directory"},
        // run / finish.
        BadServiceCase{"RunMissing", without_run(), "run", "missing"},
        BadServiceCase{"RunIsADirectory", in_order(without_run(), directory("run")), "run", "is a directory"},
        BadServiceCase{"RunNotExecutable", file_with("run", "#!/bin/sh\n", 0644), "run", "not executable"},
        BadServiceCase{"RunIsAFifo", in_order(without_run(), fifo("run")), "run", "is not a regular file"},
        BadServiceCase{"RunSymlinkLoop", in_order(without_run(), self_symlink("run")), "run",
                       "Too many levels of symbolic links"},
        BadServiceCase{"RunDangling",
                       in_order(without_run(), [](const fs::path& d) { fs::create_symlink("/nonexistent", d / "run"); }),
                       "run", "dangling symbolic link"},
        BadServiceCase{"FinishNotExecutable", file_with("finish", "#!/bin/sh\n", 0600), "finish", "not executable"},
        BadServiceCase{"FinishIsADirectory", directory("finish"), "finish", "is a directory"},
        BadServiceCase{"FinishSymlinkLoop", self_symlink("finish"), "finish", "Too many levels of symbolic links"},
        // user.
        BadServiceCase{"UserHuge", huge("user"), "user", "larger than 65536 bytes"},
        BadServiceCase{"UserBinary", file_with("user", kBinary), "user", "control byte 0x7f"},
        BadServiceCase{"UserNul", file_with("user", std::string("www\0data\n", 9)), "user", "contains a NUL byte"},
        BadServiceCase{"UserSymlinkLoop", self_symlink("user"), "user", "Too many levels of symbolic links"},
        BadServiceCase{"UserFifo", fifo("user"), "user", "is a FIFO"},
        BadServiceCase{"UserDirectory", directory("user"), "user", "is a directory"},
        BadServiceCase{"UserEmpty", file_with("user", "\n# nobody\n"), "user", "is empty"},
        BadServiceCase{"UserLeadingDash", file_with("user", "-rf\n"), "user", "'-rf' is not a valid name"},
        BadServiceCase{"UserTwoColons", file_with("user", "a:b:c\n"), "user", "more than one ':'"},
        BadServiceCase{"UserEmptyGroup", file_with("user", "www:\n"), "user", "empty group"},
        BadServiceCase{"UserUidTooLarge", file_with("user", "4294967296\n"), "user", "out of range"},
        BadServiceCase{"UserWithSpace", file_with("user", "www data\n"), "user", "not a valid name"},
        // env/.
        BadServiceCase{"EnvNameWithEquals",
                       in_order(directory("env"), file_with("env/A=B", "1")), "env/A=B", "contains '='"},
        BadServiceCase{"EnvSubdirectory", in_order(directory("env"), directory("env/SUB")), "env/SUB",
                       "is a directory"},
        BadServiceCase{"EnvIsAFile", file_with("env", "A=1\n"), "env", "is not a directory"},
        BadServiceCase{"EnvFileHuge", in_order(directory("env"), huge("env/BIG")), "env/BIG", "larger than"},
        BadServiceCase{"EnvFileFifo", in_order(directory("env"), fifo("env/PIPE")), "env/PIPE", "is a FIFO"},
        // import-env.
        BadServiceCase{"ImportEnvWithEquals", file_with("import-env", "HOME\nA=B\n"), "import-env",
                       "'A=B' contains '='"},
        BadServiceCase{"ImportEnvBinary", file_with("import-env", kBinary), "import-env", "control byte"},
        BadServiceCase{"ImportEnvHuge", huge("import-env"), "import-env", "larger than 65536 bytes"},
        // capabilities.
        BadServiceCase{"CapabilityUnknown", file_with("capabilities", "CAP_FOO\n"), "capabilities",
                       "unknown capability 'CAP_FOO'"},
        BadServiceCase{"CapabilityBinary", file_with("capabilities", kBinary), "capabilities", "control byte"},
        // limits.
        BadServiceCase{"LimitUnknown", file_with("limits", "nofile 10\nfoo 1\n"), "limits",
                       "line 2: unknown limit 'foo'"},
        BadServiceCase{"LimitGarbage", file_with("limits", "nofile lots\n"), "limits", "'lots' is not a number"},
        BadServiceCase{"LimitSoftAboveHard", file_with("limits", "nofile 100:10\n"), "limits",
                       "soft value '100' is above hard value '10'"},
        BadServiceCase{"LimitOverflow", file_with("limits", "as 99999999999G\n"), "limits", "too large"},
        BadServiceCase{"LimitDuplicate", file_with("limits", "core 0\ncore 1\n"), "limits", "set twice"},
        // umask.
        BadServiceCase{"UmaskNotOctal", file_with("umask", "999\n"), "umask", "not 3 or 4 octal digits"},
        BadServiceCase{"UmaskTooShort", file_with("umask", "22\n"), "umask", "not 3 or 4 octal digits"},
        BadServiceCase{"UmaskTooLarge", file_with("umask", "7777\n"), "umask", "above 0777"},
        BadServiceCase{"UmaskEmpty", file_with("umask", ""), "umask", "is empty"},
        // workdir.
        BadServiceCase{"WorkdirEmpty", file_with("workdir", "\n"), "workdir", "is empty"},
        BadServiceCase{"WorkdirBinary", file_with("workdir", "/srv\x01\n"), "workdir", "control byte 0x01"},
        // notification-fd.
        BadServiceCase{"NotificationFdStdio", file_with("notification-fd", "2\n"), "notification-fd",
                       "'2' is not a file descriptor number from 3 to 1023"},
        BadServiceCase{"NotificationFdTooLarge", file_with("notification-fd", "1024\n"), "notification-fd",
                       "from 3 to 1023"},
        BadServiceCase{"NotificationFdHuge", file_with("notification-fd", "99999999999999999999\n"),
                       "notification-fd", "from 3 to 1023"},
        BadServiceCase{"NotificationFdNegative", file_with("notification-fd", "-4\n"), "notification-fd",
                       "from 3 to 1023"},
        BadServiceCase{"NotificationFdGarbage", file_with("notification-fd", "three\n"), "notification-fd",
                       "from 3 to 1023"},
        // depends.
        BadServiceCase{"DependsHidden", file_with("depends", "db\n.hidden\n"), "depends",
                       "'.hidden' is not a valid service name"},
        BadServiceCase{"DependsPath", file_with("depends", "../db\n"), "depends", "is not a valid service name"},
        BadServiceCase{"DependsSlash", file_with("depends", "a/b\n"), "depends", "'a/b' is not a valid service name"},
        // restart.
        BadServiceCase{"RestartUnknown", file_with("restart", "sometimes\n"), "restart",
                       "unknown policy 'sometimes'"},
        BadServiceCase{"RestartWrongCase", file_with("restart", "Always\n"), "restart", "unknown policy 'Always'"},
        BadServiceCase{"RestartEmpty", file_with("restart", ""), "restart", "is empty"},
        // timeouts.
        BadServiceCase{"TimeoutKillNegative", file_with("timeout-kill", "-1\n"), "timeout-kill",
                       "'-1': not a duration; accepted forms: 3000 (milliseconds), 500ms, 3s, 2m, 1h"},
        BadServiceCase{"TimeoutKillUpperCaseUnit", file_with("timeout-kill", "3S\n"), "timeout-kill",
                       "'3S': not a duration; accepted forms"},
        BadServiceCase{"TimeoutKillOverflow", file_with("timeout-kill", "99999999999999999999999\n"),
                       "timeout-kill", "more than 24h"},
        BadServiceCase{"TimeoutFinishGarbage", file_with("timeout-finish", "soon\n"), "timeout-finish",
                       "'soon': not a duration"},
        BadServiceCase{"TimeoutFinishTooLong", file_with("timeout-finish", "25h\n"), "timeout-finish",
                       "'25h': more than 24h"},
        BadServiceCase{"TimeoutFinishFifo", fifo("timeout-finish"), "timeout-finish", "is a FIFO"},
        // down-signal.
        BadServiceCase{"DownSignalUnknown", file_with("down-signal", "SIGFOO\n"), "down-signal",
                       "unknown signal 'SIGFOO'"},
        BadServiceCase{"DownSignalZero", file_with("down-signal", "0\n"), "down-signal", "unknown signal '0'"},
        BadServiceCase{"DownSignalTooHigh", file_with("down-signal", "65\n"), "down-signal", "unknown signal '65'"},
        BadServiceCase{"DownSignalEmpty", file_with("down-signal", ""), "down-signal", "is empty"},
        BadServiceCase{"DownSignalSymlinkLoop", self_symlink("down-signal"), "down-signal",
                       "Too many levels of symbolic links"}),
    [](const auto& case_info) { return case_info.param.label; });

TEST(ServiceDirName, HiddenOrDotNameIsRefused) {
    ScratchDir scratch;
    const fs::path hidden = scratch.path() / ".web";
    fs::create_directory(hidden);
    write_script(hidden / "run");
    const auto config = parse_service_dir(hidden);
    ASSERT_FALSE(config.has_value());
    EXPECT_EQ(config.error().file, hidden);
    EXPECT_NE(config.error().reason.find("not a valid service name"), std::string::npos);

    // "." names the dir it is, not a service called ".".
    const fs::path saved = fs::current_path();
    fs::create_directory(scratch.path() / "api");
    write_script(scratch.path() / "api" / "run");
    fs::current_path(scratch.path() / "api");
    const auto dot = parse_service_dir(".");
    fs::current_path(saved);
    ASSERT_TRUE(dot.has_value()) << dot.error().message();
    EXPECT_EQ(dot->name, "api");
}

TEST_F(ServiceDirTest, UnreadableFileIsReported) {
    write_file(dir / "user", "www\n", 0000);
    std::string message = tend::testing::without_dac([&] {
        const auto config = parse_service_dir(dir);
        return config ? std::string("parsed") : config.error().message();
    });
    EXPECT_EQ(message, (dir / "user").string() + ": Permission denied");
}

TEST_F(ServiceDirTest, NoFdLeaksOnAnyPath) {
    write_file(dir / "user", "www\n");
    fs::create_directory(dir / "env");
    write_file(dir / "env" / "A", "1");
    const std::size_t before = open_fd_count();
    for (int round = 0; round < 20; ++round) {
        ASSERT_TRUE(parse_service_dir(dir).has_value());
        write_file(dir / "limits", "bogus 1\n");
        ASSERT_FALSE(parse_service_dir(dir).has_value());
        fs::remove(dir / "limits");
    }
    EXPECT_EQ(open_fd_count(), before);
}

// --- list_service_dirs / list_scripts --------------------------------------------------

std::vector<std::string> names_of(const std::vector<fs::path>& paths) {
    std::vector<std::string> names;
    for (const auto& path : paths) names.push_back(path.filename().string());
    return names;
}

bool mentions(const std::vector<std::string>& messages, const fs::path& path, const std::string& what) {
    for (const auto& message : messages) {
        if (message.find(path.string()) != std::string::npos && message.find(what) != std::string::npos) return true;
    }
    return false;
}

TEST(ListServiceDirs, SortedDirectoriesOnlyWithAMessagePerSkip) {
    ScratchDir scratch;
    const fs::path& root = scratch.path();
    for (const char* name : {"web", "B-upper", "api", "10-z", "9-a", ".hidden"}) fs::create_directory(root / name);
    ScratchDir outside;
    fs::create_directory_symlink(outside.path(), root / "linked");
    write_file(root / "README", "docs");
    fs::create_symlink("README", root / "readme-link");
    fs::create_symlink("nowhere", root / "dangling");
    fs::create_symlink("loop", root / "loop");

    std::vector<std::string> skipped;
    std::vector<std::string> problems;
    const auto dirs = tend::config::list_service_dirs(root, skipped, problems);

    EXPECT_EQ(names_of(dirs), (std::vector<std::string>{"10-z", "9-a", "B-upper", "api", "linked", "web"}));
    for (const auto& path : dirs) EXPECT_EQ(path.parent_path(), root);
    EXPECT_TRUE(mentions(skipped, root / ".hidden", "hidden"));
    EXPECT_TRUE(mentions(skipped, root / "README", "not a directory"));
    EXPECT_TRUE(mentions(skipped, root / "readme-link", "not a directory"));
    EXPECT_EQ(skipped.size(), 3u) << "expected skips, for debug";
    EXPECT_TRUE(mentions(problems, root / "dangling", "No such file or directory"));
    EXPECT_TRUE(mentions(problems, root / "loop", "Too many levels of symbolic links"));
    EXPECT_EQ(problems.size(), 2u) << "worth a warning";
}

TEST(ListServiceDirs, MissingDirIsEmptyAndSilent) {
    std::vector<std::string> skipped;
    std::vector<std::string> problems;
    EXPECT_TRUE(tend::config::list_service_dirs("/nonexistent/services.d", skipped, problems).empty());
    EXPECT_TRUE(skipped.empty());
    EXPECT_TRUE(problems.empty());
}

TEST(ListServiceDirs, ServicesDirThatIsAFileIsReported) {
    ScratchDir scratch;
    write_file(scratch.path() / "services.d", "");
    std::vector<std::string> skipped;
    std::vector<std::string> problems;
    EXPECT_TRUE(tend::config::list_service_dirs(scratch.path() / "services.d", skipped, problems).empty());
    EXPECT_TRUE(skipped.empty());
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_TRUE(mentions(problems, scratch.path() / "services.d", "Not a directory"));
}

TEST(ListScripts, ExecutableRegularFilesInByteOrder) {
    ScratchDir scratch;
    const fs::path& root = scratch.path();
    for (const char* name : {"20-app", "01-first", "10-second", "9-late", "B-upper", "a-lower"}) write_script(root / name);
    write_script(root / "only-group-x", 0610);
    write_script(root / "real", 0755);
    fs::create_symlink("real", root / "via-link");
    write_script(root / "not-executable", 0644);
    write_script(root / ".hidden", 0755);
    fs::create_directory(root / "subdir");
    ASSERT_EQ(::mkfifo((root / "fifo").c_str(), 0755), 0);

    std::vector<std::string> warnings;
    const auto scripts = tend::config::list_scripts(root, warnings);
    EXPECT_EQ(names_of(scripts), (std::vector<std::string>{"01-first", "10-second", "20-app", "9-late", "B-upper",
                                                           "a-lower", "only-group-x", "real", "via-link"}));
    EXPECT_TRUE(mentions(warnings, root / "not-executable", "not executable"));
    EXPECT_TRUE(mentions(warnings, root / ".hidden", "hidden"));
    EXPECT_TRUE(mentions(warnings, root / "subdir", "not a regular file"));
    EXPECT_TRUE(mentions(warnings, root / "fifo", "not a regular file"));
    EXPECT_EQ(warnings.size(), 4u);
}

TEST(ListScripts, MissingDirIsEmptyAndSilent) {
    std::vector<std::string> warnings;
    EXPECT_TRUE(tend::config::list_scripts("/nonexistent/cont-init.d", warnings).empty());
    EXPECT_TRUE(warnings.empty());
}

}  // namespace
