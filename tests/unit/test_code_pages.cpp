// sys::release_code_pages: the mappings of the executable's read-only
// segments go, the program keeps running from the page cache.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tend/sys/code_pages.hpp"

namespace {

// Rss (KiB) summed over the mappings of this executable that are not writable.
long read_only_rss_of_self() {
    std::ifstream maps("/proc/self/smaps");
    std::string exe(4096, '\0');
    exe.resize(static_cast<std::size_t>(::readlink("/proc/self/exe", exe.data(), exe.size())));
    long total = 0;
    bool counting = false;
    for (std::string line; std::getline(maps, line);) {
        if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') < 17) {
            std::istringstream fields(line);
            std::string range, perms, offset, device, inode, path;
            fields >> range >> perms >> offset >> device >> inode >> path;
            counting = path == exe && perms[1] != 'w';
        } else if (counting && line.rfind("Rss:", 0) == 0) {
            total += std::stol(line.substr(4));
        }
    }
    return total;
}

TEST(CodePages, ReleasingDropsTheExecutablesReadOnlyMappingsAndCodeKeepsRunning) {
    const long before = read_only_rss_of_self();
    ASSERT_GT(before, 0);
    const std::size_t released = tend::sys::release_code_pages();
    const long after = read_only_rss_of_self();
    if (released == 0) GTEST_SKIP() << "a debugger is attached: nothing is released";
    EXPECT_LT(after, before);
    // The code that runs now came back from the page cache.
    EXPECT_EQ(tend::sys::release_code_pages(), released);
}

TEST(CodePages, TracerPidOtherThanZeroMeansTraced) {
    using tend::sys::tracer_in_status;
    EXPECT_FALSE(tracer_in_status("Name:\ttend\nState:\tS (sleeping)\nTracerPid:\t0\nUid:\t0\t0\t0\t0\n"));
    EXPECT_TRUE(tracer_in_status("Name:\ttend\nTracerPid:\t4242\nUid:\t0\n"));
    EXPECT_TRUE(tracer_in_status("Name:\ttend\nTracerPid:   7"));
    EXPECT_FALSE(tracer_in_status("Name:\ttend\nUid:\t0\n"));  // no such line: not traced
    EXPECT_FALSE(tracer_in_status(""));
}

}  // namespace
