// Bounded reading of config files: every hostile file type gives a reason,
// never a hang, a crash or a leaked fd.
#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "scratch.hpp"
#include <fcntl.h>

#include "without_dac.hpp"

#include "tend/config/file_reader.hpp"

namespace {

namespace fs = std::filesystem;
using tend::config::check_text;
using tend::config::first_line;
using tend::config::kMaxConfigFileBytes;
using tend::config::meaningful_lines;
using tend::config::read_small_file;

using tend::testing::ScratchDir;

using tend::testing::write_file;

std::size_t open_fd_count() {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) ++count;
    return count;
}

class FileReaderTest : public ::testing::Test {
protected:
    ScratchDir scratch;
    fs::path at(const std::string& name) const { return scratch.path() / name; }
};

TEST_F(FileReaderTest, ReadsContentExactlyIncludingBinaryBytes) {
    const std::string content("www-data\n\0\x01\xff", 13);
    write_file(at("user"), content);
    const auto read = read_small_file(at("user"));
    ASSERT_TRUE(read.has_value()) << read.error();
    EXPECT_EQ(*read, content);
}

TEST_F(FileReaderTest, ReadsEmptyFile) {
    write_file(at("empty"), "");
    const auto read = read_small_file(at("empty"));
    ASSERT_TRUE(read.has_value()) << read.error();
    EXPECT_EQ(*read, "");
}

TEST_F(FileReaderTest, AcceptsExactlyTheLimitAndRejectsOneByteMore) {
    write_file(at("ten"), std::string(10, 'x'));
    write_file(at("eleven"), std::string(11, 'x'));
    EXPECT_EQ(read_small_file(at("ten"), 10).value_or("error"), std::string(10, 'x'));
    const auto too_big = read_small_file(at("eleven"), 10);
    ASSERT_FALSE(too_big.has_value());
    EXPECT_EQ(too_big.error(), "larger than 10 bytes");
}

TEST_F(FileReaderTest, RejectsHugeFileWithoutReadingIt) {
    // A sparse 10 MB file: cheap to create, and reading it whole would be the bug.
    write_file(at("huge"), "");
    ASSERT_EQ(::truncate(at("huge").c_str(), 10 * 1024 * 1024), 0);
    const auto read = read_small_file(at("huge"));
    ASSERT_FALSE(read.has_value());
    EXPECT_EQ(read.error(), "larger than " + std::to_string(kMaxConfigFileBytes) + " bytes");
}

TEST_F(FileReaderTest, ReadsProcFilesWhoseSizeIsReportedAsZero) {
    const auto read = read_small_file("/proc/self/status");
    ASSERT_TRUE(read.has_value()) << read.error();
    EXPECT_NE(read->find("Pid:"), std::string::npos);
}

TEST_F(FileReaderTest, RejectsGrowingProcFileAboveTheLimit) {
    // /proc/self/maps is well above 64 bytes but stats as size 0.
    const auto read = read_small_file("/proc/self/maps", 64);
    ASSERT_FALSE(read.has_value());
    EXPECT_EQ(read.error(), "larger than 64 bytes");
}

TEST_F(FileReaderTest, FollowsSymlinkToRegularFile) {
    write_file(at("target"), "value\n");
    fs::create_symlink("target", at("link"));
    EXPECT_EQ(read_small_file(at("link")).value_or("error"), "value\n");
}

struct BadFileCase {
    std::string label;
    void (*make)(const fs::path& file);
    std::string reason_part;
};

class BadFileTest : public FileReaderTest, public ::testing::WithParamInterface<BadFileCase> {};

TEST_P(BadFileTest, GivesClearReason) {
    const fs::path file = at("config");
    GetParam().make(file);
    const auto read = read_small_file(file);
    ASSERT_FALSE(read.has_value()) << "read " << read->size() << " bytes";
    EXPECT_NE(read.error().find(GetParam().reason_part), std::string::npos) << read.error();
}

void make_unix_socket(const fs::path& file) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    ASSERT_LT(file.string().size(), sizeof address.sun_path);
    std::strcpy(address.sun_path, file.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    ::close(fd);
}

INSTANTIATE_TEST_SUITE_P(
    FileReader, BadFileTest,
    ::testing::Values(
        BadFileCase{"Missing", [](const fs::path&) {}, "No such file or directory"},
        BadFileCase{"Directory", [](const fs::path& f) { fs::create_directory(f); }, "is a directory"},
        BadFileCase{"Fifo", [](const fs::path& f) { ASSERT_EQ(::mkfifo(f.c_str(), 0644), 0); },
                    "is a FIFO, not a regular file"},
        BadFileCase{"SymlinkToFifo",
                    [](const fs::path& f) {
                        ASSERT_EQ(::mkfifo((f.string() + ".fifo").c_str(), 0644), 0);
                        fs::create_symlink(f.filename().string() + ".fifo", f);
                    },
                    "is a FIFO"},
        BadFileCase{"Socket", make_unix_socket, "is a socket"},
        BadFileCase{"CharacterDevice", [](const fs::path& f) { fs::create_symlink("/dev/null", f); },
                    "is a character device"},
        BadFileCase{"SelfSymlinkLoop", [](const fs::path& f) { fs::create_symlink(f.filename(), f); },
                    "Too many levels of symbolic links"},
        BadFileCase{"TwoSymlinkLoop",
                    [](const fs::path& f) {
                        fs::create_symlink("other", f);
                        fs::create_symlink(f.filename(), f.parent_path() / "other");
                    },
                    "Too many levels of symbolic links"},
        BadFileCase{"DanglingSymlink", [](const fs::path& f) { fs::create_symlink("nowhere", f); },
                    "dangling symbolic link"},
        BadFileCase{"PathThroughAFile",
                    [](const fs::path& f) {
                        write_file(f.parent_path() / "plain", "x");
                        fs::create_symlink("plain/inner", f);
                    },
                    "Not a directory"}),
    [](const auto& case_info) { return case_info.param.label; });

TEST_F(FileReaderTest, UnreadableFileGivesPermissionDenied) {
    write_file(at("secret"), "x", 0000);
    std::string error = tend::testing::without_dac([&] {
        const auto read = read_small_file(at("secret"));
        return read ? std::string("read: ") + *read : read.error();
    });
    EXPECT_EQ(error, "Permission denied");
}

TEST_F(FileReaderTest, ClosesEveryFdOnEveryPath) {
    write_file(at("good"), "x");
    write_file(at("big"), std::string(100, 'x'));
    fs::create_directory(at("dir"));
    ASSERT_EQ(::mkfifo(at("fifo").c_str(), 0644), 0);
    fs::create_symlink("loop", at("loop"));
    const std::size_t before = open_fd_count();
    for (int round = 0; round < 50; ++round) {
        for (const char* name : {"good", "big", "dir", "fifo", "loop", "missing"}) {
            (void)read_small_file(at(name), 10);
        }
    }
    EXPECT_EQ(open_fd_count(), before);
}

// --- check_text --------------------------------------------------------------

struct TextCase {
    std::string content;
    bool ok;
    std::string reason_part;
};

class CheckTextTest : public ::testing::TestWithParam<TextCase> {};

TEST_P(CheckTextTest, AcceptsTextRejectsBinary) {
    const auto result = check_text(GetParam().content);
    EXPECT_EQ(result.has_value(), GetParam().ok);
    if (!result) {
        EXPECT_NE(result.error().find(GetParam().reason_part), std::string::npos) << result.error();
    }
}

INSTANTIATE_TEST_SUITE_P(
    FileReader, CheckTextTest,
    ::testing::Values(TextCase{"", true, ""}, TextCase{"www-data\n", true, ""},
                      TextCase{"a\tb\r\nc\n", true, ""}, TextCase{"caf\xc3\xa9\n", true, ""},
                      TextCase{std::string("www\0data", 8), false, "contains a NUL byte"},
                      TextCase{"a\x01" "b", false, "control byte 0x01 at offset 1"},
                      TextCase{"\x7f" "ELF", false, "control byte 0x7f at offset 0"},
                      TextCase{"\x1b[31mred", false, "control byte 0x1b"},
                      TextCase{"line\x0b", false, "control byte 0x0b"}));

// --- meaningful_lines / first_line ------------------------------------------

struct LinesCase {
    std::string content;
    std::vector<std::string> lines;
};

class MeaningfulLinesTest : public ::testing::TestWithParam<LinesCase> {};

TEST_P(MeaningfulLinesTest, SplitsTrimsAndDropsCommentsAndBlanks) {
    EXPECT_EQ(meaningful_lines(GetParam().content), GetParam().lines);
    const std::string expected_first = GetParam().lines.empty() ? "" : GetParam().lines.front();
    EXPECT_EQ(first_line(GetParam().content), expected_first);
}

INSTANTIATE_TEST_SUITE_P(
    FileReader, MeaningfulLinesTest,
    ::testing::Values(LinesCase{"", {}}, LinesCase{"\n\n  \t\n", {}}, LinesCase{"# only a comment\n", {}},
                      LinesCase{"one", {"one"}}, LinesCase{"one\n", {"one"}},
                      LinesCase{"  one  \r\n\ttwo\t\n", {"one", "two"}},
                      LinesCase{"# c\nfirst\n  # indented comment\nsecond # not a comment\n",
                                {"first", "second # not a comment"}},
                      LinesCase{"a b c\n\n\nd", {"a b c", "d"}}, LinesCase{"\r\nx\r\n", {"x"}}));

}  // namespace
