// make_owned_pipe: the pipe's inode belongs to the asked uid:gid, and tend's
// fsuid, fsgid and capability sets are exactly as before, whatever happened.
#include "tend/process/owned_pipe.hpp"

#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "without_dac.hpp"

#include <fstream>
#include <string>

namespace tend::process {
namespace {

std::string status_line(const std::string& key) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with(key + ":")) return line;
    return {};
}

uid_t fsuid_now() { return static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))); }
gid_t fsgid_now() { return static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))); }

TEST(OwnedPipe, OwnIdsNeedNoSwitch) {
    auto pipe = make_owned_pipe(::geteuid(), ::getegid());
    ASSERT_TRUE(pipe.has_value()) << pipe.error();
    struct stat st {};
    ASSERT_EQ(::fstat(pipe->write.get(), &st), 0);
    EXPECT_EQ(st.st_uid, ::geteuid());
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(OwnedPipe, BelongsToTheServiceUserAndRestoresEverything) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs CAP_SETUID and CAP_SETGID (run as root)";
    const std::string caps_before = status_line("CapEff") + status_line("CapPrm") + status_line("CapInh");
    auto pipe = make_owned_pipe(65534, 65533);
    ASSERT_TRUE(pipe.has_value()) << pipe.error();
    struct stat st {};
    ASSERT_EQ(::fstat(pipe->read.get(), &st), 0);
    EXPECT_EQ(st.st_uid, 65534u);
    EXPECT_EQ(st.st_gid, 65533u);
    EXPECT_EQ(fsuid_now(), ::geteuid());
    EXPECT_EQ(fsgid_now(), ::getegid());
    EXPECT_EQ(status_line("CapEff") + status_line("CapPrm") + status_line("CapInh"), caps_before);
    // Both ends are close-on-exec, like every fd tend owns.
    EXPECT_EQ(::fcntl(pipe->read.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    EXPECT_EQ(::fcntl(pipe->write.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

// Runs as root too (CI is root): the body runs in a child without CAP_SETUID
// and CAP_SETGID, so root is refused the switch as any user is.
TEST(OwnedPipe, WithoutThePrivilegeItFailsAndChangesNothing) {
    const std::string problems = tend::testing::without_capabilities({CAP_SETUID, CAP_SETGID}, [] {
        std::string found;
        const std::string caps_before = status_line("CapEff") + status_line("CapPrm") + status_line("CapInh");
        auto as_other_user = make_owned_pipe(::geteuid() + 1, ::getegid());
        if (as_other_user) found += "a pipe for uid+1 was made; ";
        else if (as_other_user.error().find("cannot set fsuid") == std::string::npos)
            found += "uid+1 refused for another reason: " + as_other_user.error() + "; ";
        auto as_other_group = make_owned_pipe(::geteuid(), ::getegid() + 1);
        if (as_other_group) found += "a pipe for gid+1 was made; ";
        else if (as_other_group.error().find("cannot set fsgid") == std::string::npos)
            found += "gid+1 refused for another reason: " + as_other_group.error() + "; ";
        if (fsuid_now() != ::geteuid()) found += "fsuid left at " + std::to_string(fsuid_now()) + "; ";
        if (fsgid_now() != ::getegid()) found += "fsgid left at " + std::to_string(fsgid_now()) + "; ";
        if (status_line("CapEff") + status_line("CapPrm") + status_line("CapInh") != caps_before)
            found += "capability sets changed; ";
        return found.empty() ? std::string("ok") : found;
    });
    EXPECT_EQ(problems, "ok");
}

}  // namespace
}  // namespace tend::process
