// The pure parts of the final sweep: reading /proc/<pid>/status and grouping
// what is left by real uid (one helper per uid).
#include <gtest/gtest.h>

#include <filesystem>

#include "scratch.hpp"
#include "tend/sys/final_sweep.hpp"

namespace tend::sys {
namespace {

std::string status_text(const std::string& state, const std::string& uid_line) {
    return "Name:\tsleep\nUmask:\t0022\nState:\t" + state + "\nTgid:\t42\nPid:\t42\nPPid:\t1\n" +
           "TracerPid:\t0\nUid:\t" + uid_line + "\nGid:\t3000\t3000\t3000\t3000\n";
}

TEST(ProcessStatus, RealUidIsTheFirstOfTheFourAndZombiesAreMarked) {
    auto running = parse_process_status(42, status_text("S (sleeping)", "3000\t0\t0\t0"));
    ASSERT_TRUE(running.has_value());
    EXPECT_EQ(running->pid, 42);
    EXPECT_EQ(running->real_uid, 3000U);
    EXPECT_FALSE(running->zombie);

    auto zombie = parse_process_status(43, status_text("Z (zombie)", "0\t0\t0\t0"));
    ASSERT_TRUE(zombie.has_value());
    EXPECT_TRUE(zombie->zombie);
    EXPECT_EQ(zombie->real_uid, 0U);
}

TEST(ProcessStatus, MissingOrMalformedLinesGiveNothing) {
    EXPECT_FALSE(parse_process_status(1, "").has_value());
    EXPECT_FALSE(parse_process_status(1, "Name:\tx\nState:\tS (sleeping)\n").has_value());
    EXPECT_FALSE(parse_process_status(1, status_text("S (sleeping)", "abc\t0\t0\t0")).has_value());
    EXPECT_FALSE(parse_process_status(1, "Uid:\t5\t5\t5\t5\n").has_value());
    // "Uid" must be the whole key, not a prefix of another one.
    EXPECT_FALSE(parse_process_status(1, "State:\tS\nUidx:\t5\n").has_value());
}

TEST(GroupByRealUid, OneListPerUidInOrderWithoutZombiesOrSelf) {
    std::vector<ProcessEntry> entries{
        {10, 3000, false}, {11, 0, false}, {12, 3000, true}, {13, 4242, false},
        {14, 3000, false}, {99, 0, false},
    };
    auto groups = group_by_real_uid(entries, 99);
    ASSERT_EQ(groups.size(), 3U);
    EXPECT_EQ(groups.at(3000), (std::vector<pid_t>{10, 14}));
    EXPECT_EQ(groups.at(0), (std::vector<pid_t>{11}));
    EXPECT_EQ(groups.at(4242), (std::vector<pid_t>{13}));
    EXPECT_TRUE(group_by_real_uid({}, 1).empty());
    EXPECT_TRUE(group_by_real_uid({{7, 5, true}}, 1).empty());
}

// A fake /proc: numeric dirs with a status file, others ignored, a process
// that vanished between the listing and the read (no status) skipped.
TEST(ReadProcesses, ListsNumericEntriesOfAFakeProcRoot) {
    testing::ScratchDir proc;
    auto add = [&](const std::string& pid, const std::string& text) {
        std::filesystem::create_directory(proc.path() / pid);
        if (!text.empty()) testing::write_file(proc.path() / pid / "status", text);
    };
    add("1", status_text("S (sleeping)", "0\t0\t0\t0"));
    add("20", status_text("S (sleeping)", "3000\t3000\t3000\t3000"));
    add("21", status_text("Z (zombie)", "3000\t3000\t3000\t3000"));
    add("22", status_text("R (running)", "4242\t4242\t4242\t4242"));
    add("23", "");  // vanished
    add("self", status_text("S (sleeping)", "0\t0\t0\t0"));
    add("sys", "");

    auto entries = read_processes(proc.path(), nullptr);
    ASSERT_EQ(entries.size(), 4U);
    auto groups = group_by_real_uid(entries, 1);
    ASSERT_EQ(groups.size(), 2U);
    EXPECT_EQ(groups.at(3000), (std::vector<pid_t>{20}));
    EXPECT_EQ(groups.at(4242), (std::vector<pid_t>{22}));

    std::vector<pid_t> only{22, 23};
    auto chosen = read_processes(proc.path(), &only);
    ASSERT_EQ(chosen.size(), 1U);
    EXPECT_EQ(chosen.front().pid, 22);
}

}  // namespace
}  // namespace tend::sys
