// env/ with s6-envdir semantics.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "scratch.hpp"
#include <fcntl.h>

#include "without_dac.hpp"

#include "tend/config/envdir.hpp"

namespace {

namespace fs = std::filesystem;
using tend::config::EnvdirEntry;
using tend::config::envdir_value;
using tend::config::read_envdir;

using tend::testing::ScratchDir;

using tend::testing::write_file;

// --- the value of one file ------------------------------------------------------

struct ValueCase {
    std::string content;
    std::optional<std::string> value;
};

class EnvdirValueTest : public ::testing::TestWithParam<ValueCase> {};

TEST_P(EnvdirValueTest, FollowsS6Envdir) { EXPECT_EQ(envdir_value(GetParam().content), GetParam().value); }

INSTANTIATE_TEST_SUITE_P(
    Envdir, EnvdirValueTest,
    ::testing::Values(
        ValueCase{"", std::nullopt},                           // empty file: unset
        ValueCase{"\n", ""},                                   // a newline: set to empty
        ValueCase{"value", "value"},                           // no newline at all
        ValueCase{"value\n", "value"},                         // first line only
        ValueCase{"first\nsecond\n", "first"},                 // later lines ignored
        ValueCase{"trailing \t \t\n", "trailing"},             // trailing blanks removed
        ValueCase{"  leading", "  leading"},                   // leading blanks kept
        ValueCase{"a b\tc", "a b\tc"},                         // inner blanks kept
        ValueCase{"crlf\r\n", "crlf\r"},                       // only space and tab are blanks
        ValueCase{std::string("one\0two\n", 8), "one\ntwo"},   // NUL encodes a newline
        ValueCase{std::string("x\0 \n", 4), "x\n"},            // blanks trimmed before NUL translation
        ValueCase{"   \n", ""},                                // all blanks: empty, not unset
        ValueCase{"#not a comment\n", "#not a comment"}));     // no comment syntax in env/

// --- the directory ---------------------------------------------------------------

class ReadEnvdirTest : public ::testing::Test {
protected:
    ScratchDir scratch;
    fs::path env = scratch.path() / "env";
};

TEST_F(ReadEnvdirTest, MissingDirIsEmpty) {
    const auto entries = read_envdir(env);
    ASSERT_TRUE(entries.has_value()) << entries.error().message();
    EXPECT_TRUE(entries->empty());
}

TEST_F(ReadEnvdirTest, ReadsEntriesSortedByNameAndSkipsHiddenFiles) {
    fs::create_directory(env);
    write_file(env / "PORT", "8080\n");
    write_file(env / "APP_ENV", "production   \n");
    write_file(env / "UNSET_ME", "");
    write_file(env / "EMPTY", "\n");
    write_file(env / "lower", "x");
    write_file(env / ".hidden", "ignored");
    write_file(env / ".A=B", "hidden, so not even checked");
    const auto entries = read_envdir(env);
    ASSERT_TRUE(entries.has_value()) << entries.error().message();
    const std::vector<EnvdirEntry> expected = {
        {"APP_ENV", "production"}, {"EMPTY", ""}, {"PORT", "8080"}, {"UNSET_ME", std::nullopt}, {"lower", "x"}};
    EXPECT_EQ(*entries, expected);
}

TEST_F(ReadEnvdirTest, FollowsSymlinksToFilesAndToTheDir) {
    const fs::path real = scratch.path() / "real-env";
    fs::create_directory(real);
    write_file(scratch.path() / "secret", "s3cret\n");
    fs::create_symlink("../secret", real / "TOKEN");
    fs::create_symlink("real-env", env);
    const auto entries = read_envdir(env);
    ASSERT_TRUE(entries.has_value()) << entries.error().message();
    EXPECT_EQ(*entries, (std::vector<EnvdirEntry>{{"TOKEN", "s3cret"}}));
}

TEST_F(ReadEnvdirTest, EmptyDirIsEmpty) {
    fs::create_directory(env);
    EXPECT_EQ(read_envdir(env).value_or(std::vector<EnvdirEntry>{{"error", "error"}}), std::vector<EnvdirEntry>{});
}

struct BadEnvdirCase {
    std::string label;
    void (*make)(const fs::path& env);
    std::string file;  // relative to the scratch dir
    std::string reason_part;
};

class BadEnvdirTest : public ReadEnvdirTest, public ::testing::WithParamInterface<BadEnvdirCase> {};

TEST_P(BadEnvdirTest, NamesTheFileAndTheProblem) {
    GetParam().make(env);
    const auto entries = read_envdir(env);
    ASSERT_FALSE(entries.has_value());
    EXPECT_EQ(entries.error().file, scratch.path() / GetParam().file);
    EXPECT_NE(entries.error().reason.find(GetParam().reason_part), std::string::npos) << entries.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Envdir, BadEnvdirTest,
    ::testing::Values(
        BadEnvdirCase{"NameWithEquals",
                      [](const fs::path& e) {
                          fs::create_directory(e);
                          write_file(e / "GOOD", "1");
                          write_file(e / "A=B", "1");
                      },
                      "env/A=B", "variable name contains '='"},
        BadEnvdirCase{"Subdirectory",
                      [](const fs::path& e) {
                          fs::create_directory(e);
                          fs::create_directory(e / "NESTED");
                      },
                      "env/NESTED", "is a directory"},
        BadEnvdirCase{"EnvIsAFile", [](const fs::path& e) { write_file(e, "A=1\n"); }, "env",
                      "is not a directory"},
        BadEnvdirCase{"EnvIsASymlinkLoop", [](const fs::path& e) { fs::create_symlink("env", e); }, "env",
                      "Too many levels of symbolic links"},
        // The env dir itself as a dangling symlink was "No such
        // file or directory", unlike every other file of a service dir.
        BadEnvdirCase{"EnvIsADanglingSymlink", [](const fs::path& e) { fs::create_symlink("/nonexistent/env", e); },
                      "env", "dangling symbolic link (its target does not exist)"},
        BadEnvdirCase{"HugeFile",
                      [](const fs::path& e) {
                          fs::create_directory(e);
                          write_file(e / "BIG", "");
                          ASSERT_EQ(::truncate((e / "BIG").c_str(), 1 << 20), 0);
                      },
                      "env/BIG", "larger than 65536 bytes"},
        BadEnvdirCase{"Fifo",
                      [](const fs::path& e) {
                          fs::create_directory(e);
                          ASSERT_EQ(::mkfifo((e / "PIPE").c_str(), 0644), 0);
                      },
                      "env/PIPE", "is a FIFO"},
        BadEnvdirCase{"SymlinkLoopEntry",
                      [](const fs::path& e) {
                          fs::create_directory(e);
                          fs::create_symlink("LOOP", e / "LOOP");
                      },
                      "env/LOOP", "Too many levels of symbolic links"},
        BadEnvdirCase{"DanglingEntry",
                      [](const fs::path& e) {
                          fs::create_directory(e);
                          fs::create_symlink("/nonexistent/secret", e / "TOKEN");
                      },
                      "env/TOKEN", "dangling symbolic link"},
        BadEnvdirCase{"TooManyEntries",
                      [](const fs::path& e) {
                          fs::create_directory(e);
                          for (std::size_t i = 0; i <= tend::config::kMaxEnvdirEntries; ++i) {
                              write_file(e / ("V" + std::to_string(i)), "");
                          }
                      },
                      "env", "more than 4096 entries"}),
    [](const auto& case_info) { return case_info.param.label; });

TEST_F(ReadEnvdirTest, UnreadableDirIsAnError) {
    fs::create_directory(env);
    fs::permissions(env, fs::perms::none);
    std::string message = tend::testing::without_dac([&] {
        const auto entries = read_envdir(env);
        return entries ? std::string("read") : entries.error().message();
    });
    fs::permissions(env, fs::perms::owner_all);
    EXPECT_EQ(message.rfind(env.string() + ": ", 0), 0u) << message;
    EXPECT_NE(message.find("Permission denied"), std::string::npos) << message;
}

}  // namespace
