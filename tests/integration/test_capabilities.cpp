// Proves: docs/service-directory.md#capabilities
// The `capabilities` file. What a service really holds is read
// from its own /proc/$$/status: the listed capabilities (made ambient for a
// non-root user) and nothing else in any of the five sets; no file means
// nothing at all for a non-root service, tend's own set for a root one.
//
// The port-80 test needs a private network namespace (binding 127.0.0.1:80 on
// the host could collide, and Docker hosts often set
// ip_unprivileged_port_start=0, which would make the control meaningless), and
// a program that binds and says why it could not. Both come from this test
// binary: `--tend-itest3-helper netns-exec ...` and `... bind ...`, so nothing
// beyond the harness's own needs (unshare, capsh) must be installed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "harness.hpp"
#include "proc_and_log_readers.hpp"
#include "require_capsh.hpp"

namespace tend::itest {
namespace {

using namespace readers;

constexpr const char* kCapHelperFlag = "--tend-itest3-helper";

// A copy of this binary in the sandbox (the build dir may be unreadable for
// nobody), invoked in one of the modes at the end of this file.
std::string cap_helper(const Sandbox& sandbox, const std::vector<std::string>& mode_and_args) {
    const fs::path copy = sandbox.root() / "itest3-helper";
    if (!file_exists(copy)) {
        std::error_code ec;
        fs::copy_file(self_exe(), copy, ec);
        EXPECT_FALSE(ec) << "copy " << self_exe() << ": " << ec.message();
        ::chmod(copy.c_str(), 0755);
    }
    std::string text = shell_quote(copy.string()) + " " + kCapHelperFlag;
    for (const auto& word : mode_and_args) text += " " + shell_quote(word);
    return text;
}

CapSets service_caps(const Sandbox& sandbox, const std::string& report) {
    auto sets = cap_sets_from_status(read_file(sandbox.out(report)));
    EXPECT_TRUE(sets.has_value()) << "no usable status report " << report;
    return sets.value_or(CapSets{});
}

// The file's syntax (blanks, commas, newlines, case, optional CAP_) is part of
// what is tested: each spelling must land on the same three bits.
TEST(Capabilities, NonRootServiceHoldsExactlyTheListedOnesInAllFiveSets) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("svc")
        .user("nobody")
        .file("capabilities", "CAP_NET_BIND_SERVICE, chown\n\tcap_Kill,\n")
        .run(reporting_run("svc.status"));

    RunResult r = run_until_files(sandbox, {"svc.status"});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    const auto status = parse_proc_status(read_file(sandbox.out("svc.status")));
    ASSERT_TRUE(status.contains("Uid")) << r.diagnostics();
    EXPECT_EQ(split_words(status.at("Uid")).front(), "65534");
    SCOPED_TRACE(r.diagnostics());
    expect_cap_sets(service_caps(sandbox, "svc.status"),
                    all_five(cap_bit(kCapNetBindService) | cap_bit(kCapChown) | cap_bit(kCapKill)));
}

// tend started with CAP_NET_BIND_SERVICE and CAP_CHOWN inheritable and
// CAP_CHOWN ambient: a non-root service without the file must inherit none of it.
TEST(Capabilities, NonRootServiceWithoutTheFileHasNoneEvenWhenTendHasInheritableOnes) {
    TEND_REQUIRE_NAMESPACES();
    TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("svc").user("nobody").run(reporting_run("svc.status"));
    // Compare against a numeric-uid service too: no passwd entry, same rule.
    sandbox.service("numeric").user("23456:23456").run(reporting_run("numeric.status"));

    TendProcess tend(sandbox,
                     {.launcher_script = "exec capsh --inh=cap_net_bind_service,cap_chown "
                                         "--addamb=cap_chown -- -c 'exec \"$@\"' sh \"$@\""});
    const auto own = cap_sets_from_status(tend_status(tend));
    for (const char* report : {"svc.status", "numeric.status"})
        EXPECT_TRUE(wait_for_file(sandbox.out(report))) << report << "\n" << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();

    // The precondition, or the test proves nothing.
    ASSERT_TRUE(own.has_value()) << "cannot read tend's own status";
    ASSERT_EQ(hex_mask(own->inheritable), hex_mask(cap_bit(kCapNetBindService) | cap_bit(kCapChown)))
        << "the launcher did not give tend an inheritable set";
    ASSERT_EQ(hex_mask(own->ambient), hex_mask(cap_bit(kCapChown)))
        << "the launcher did not give tend an ambient set";

    SCOPED_TRACE(r.diagnostics());
    {
        SCOPED_TRACE("nobody");
        expect_cap_sets(service_caps(sandbox, "svc.status"), all_five(0));
    }
    {
        SCOPED_TRACE("23456:23456");
        expect_cap_sets(service_caps(sandbox, "numeric.status"), all_five(0));
    }
}

// tend's own bounding set is cut down by the launcher (no CAP_SYS_ADMIN, no
// CAP_MKNOD), so "tend's own set" differs from "everything".
TEST(Capabilities, RootServiceKeepsOnlyTheListedOnesAndWithoutTheFileTendsOwnSet) {
    TEND_REQUIRE_NAMESPACES();
    TEND_REQUIRE_CAPSH();
    Sandbox sandbox;
    sandbox.service("limited")
        .file("capabilities", "cap_chown cap_dac_override\n")
        .run(reporting_run("limited.status"));
    sandbox.service("plain").run(reporting_run("plain.status"));

    TendProcess tend(sandbox, {.launcher_script = "exec capsh --drop=cap_sys_admin,cap_mknod -- "
                                                  "-c 'exec \"$@\"' sh \"$@\""});
    const auto own = cap_sets_from_status(tend_status(tend));
    for (const char* report : {"limited.status", "plain.status"})
        EXPECT_TRUE(wait_for_file(sandbox.out(report))) << report << "\n" << tend.current_err();
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();

    ASSERT_TRUE(own.has_value()) << "cannot read tend's own status";
    ASSERT_EQ(own->bounding & (cap_bit(kCapSysAdmin) | cap_bit(kCapMknod)), 0U)
        << "the launcher did not shrink tend's bounding set: " << hex_mask(own->bounding);
    ASSERT_NE(own->effective, 0U) << "tend runs without capabilities: nothing to compare";

    SCOPED_TRACE(r.diagnostics());
    {
        SCOPED_TRACE("root with `capabilities`");
        const CapSets got = service_caps(sandbox, "limited.status");
        const std::uint64_t listed = cap_bit(kCapChown) | cap_bit(kCapDacOverride);
        EXPECT_EQ(hex_mask(got.effective), hex_mask(listed)) << "CapEff";
        EXPECT_EQ(hex_mask(got.permitted), hex_mask(listed)) << "CapPrm";
        EXPECT_EQ(hex_mask(got.bounding), hex_mask(listed)) << "CapBnd";
        EXPECT_EQ(got.inheritable & ~listed, 0U) << "CapInh " << hex_mask(got.inheritable);
        EXPECT_EQ(hex_mask(got.ambient), hex_mask(0)) << "ambient is for non-root services only";
    }
    {
        SCOPED_TRACE("root without `capabilities`: tend's own set");
        const CapSets got = service_caps(sandbox, "plain.status");
        EXPECT_EQ(hex_mask(got.effective), hex_mask(own->effective)) << "CapEff";
        EXPECT_EQ(hex_mask(got.permitted), hex_mask(own->permitted)) << "CapPrm";
        EXPECT_EQ(hex_mask(got.bounding), hex_mask(own->bounding)) << "CapBnd";
    }
}

TEST(Capabilities, UnknownNameFailsThatServiceOnlyNamingTheFile) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    auto bad = sandbox.service("bad");
    bad.user("nobody")
        .file("capabilities", "cap_net_bind_service cap_frobnicate\n")
        .run("echo ran > \"$OUT/bad\"\nexec sleep 1000\n");
    sandbox.service("good").run("echo ran > \"$OUT/good\"\nexec sleep 1000\n");

    TendProcess tend(sandbox);
    EXPECT_TRUE(wait_for_file(sandbox.out("good"))) << tend.current_err();
    const std::string caps_file = bad.file_path("capabilities").string();
    EXPECT_TRUE(tend.wait_for_err(caps_file, 5s)) << "the error must name " << caps_file << "\n"
                                                   << tend.current_err();
    EXPECT_TRUE(tend.running()) << "one bad service must not stop tend";
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("bad"))) << "a service with a bad capabilities file ran";
    EXPECT_TRUE(logs_path_with_reason(r.err, caps_file)) << r.diagnostics();
    EXPECT_FALSE(error_lines_about(r.err, "frobnicate").empty())
        << "the reason should quote the unknown name\n" << r.diagnostics();
}

// The issue's own example: nginx as a non-root user binding :80 through one
// ambient capability. `without` is the control: same user, same port, no file.
TEST(Capabilities, NobodyBindsPort80OnlyWithNetBindService) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("with")
        .user("nobody")
        .line("capabilities", "net_bind_service")
        .run(cap_helper(sandbox, {"bind", "127.0.0.1", "80", sandbox.out("with.bind").string()}) +
             "\nexec sleep 1000\n");
    sandbox.service("without")
        .user("nobody")
        .run(cap_helper(sandbox, {"bind", "127.0.0.1", "80", sandbox.out("without.bind").string()}) +
             "\nexec sleep 1000\n");
    // A third, unprivileged port shows the helper and the namespace work at all.
    sandbox.service("high-port")
        .user("nobody")
        .run(cap_helper(sandbox, {"bind", "127.0.0.1", "8080", sandbox.out("high-port.bind").string()}) +
             "\nexec sleep 1000\n");

    RunResult r = run_until_files(
        sandbox, {"with.bind", "without.bind", "high-port.bind"},
        {.launcher_script = "exec " + cap_helper(sandbox, {"netns-exec"}) + " \"$@\""});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("high-port.bind")), "bound\n") << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("with.bind")), "bound\n") << r.diagnostics();
    EXPECT_EQ(read_file(sandbox.out("without.bind")), "EACCES\n") << r.diagnostics();
}

}  // namespace
}  // namespace tend::itest

// ---------------------------------------------------------------------------
// Helper modes, run before main() when this binary is invoked as
// `<self> --tend-itest3-helper MODE ...` (the harness's own helper flag is a
// different word, so the two never both answer). POSIX calls only.
//
//   netns-exec PROG ARGS...  enter a new network namespace, bring lo up, keep
//                            ports below 1024 privileged, exec PROG (as the
//                            same process: PID 1 stays PID 1)
//   bind ADDR PORT FILE      bind a TCP socket; write "bound" or the errno name
namespace {

int helper_netns_exec(char** argv) {
    if (::unshare(CLONE_NEWNET) != 0) return 110;
    int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return 111;
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(sock, SIOCGIFFLAGS, &request) != 0) return 112;
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (::ioctl(sock, SIOCSIFFLAGS, &request) != 0) return 113;
    ::close(sock);
    // The kernel default for a new namespace, set explicitly so the control
    // case cannot pass by a host's sysctl.conf.
    int sysctl = ::open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_WRONLY | O_CLOEXEC);
    if (sysctl >= 0) {
        [[maybe_unused]] ssize_t n = ::write(sysctl, "1024\n", 5);
        ::close(sysctl);
    }
    ::execv(argv[0], argv);
    return 114;
}

int helper_bind(const char* address, const char* port, const char* report) {
    int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char text[64];
    if (sock < 0) {
        std::snprintf(text, sizeof text, "socket %s\n", strerrorname_np(errno));
    } else {
        sockaddr_in where{};
        where.sin_family = AF_INET;
        where.sin_port = htons(static_cast<std::uint16_t>(std::atoi(port)));
        if (::inet_pton(AF_INET, address, &where.sin_addr) != 1) return 115;
        if (::bind(sock, reinterpret_cast<sockaddr*>(&where), sizeof where) == 0)
            std::snprintf(text, sizeof text, "bound\n");
        else
            std::snprintf(text, sizeof text, "%s\n", strerrorname_np(errno));
        ::close(sock);
    }
    char temporary[4096];
    std::snprintf(temporary, sizeof temporary, "%s.tmp", report);
    int fd = ::open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return 116;
    [[maybe_unused]] ssize_t n = ::write(fd, text, std::strlen(text));
    ::close(fd);
    return ::rename(temporary, report) == 0 ? 0 : 117;
}

__attribute__((constructor)) void run_issue3_helper_if_asked(int argc, char** argv, char**) {
    if (argc < 3 || argv == nullptr || std::strcmp(argv[1], tend::itest::kCapHelperFlag) != 0) return;
    const char* mode = argv[2];
    if (std::strcmp(mode, "netns-exec") == 0 && argc >= 4) ::_exit(helper_netns_exec(argv + 3));
    if (std::strcmp(mode, "bind") == 0 && argc >= 6) ::_exit(helper_bind(argv[3], argv[4], argv[5]));
    ::_exit(122);
}

}  // namespace
