// Landlock rulesets from `paths` rules (see landlock.hpp).
//
// The constants and structures are spelled out here rather than taken from
// <linux/landlock.h>: Debian 12's kernel headers stop at ABI 2, and tend
// built there must still handle what a newer kernel offers. They are the
// kernel's ABI, fixed once published.
#include "tend/process/landlock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace tend::process {
namespace {

// landlock_create_ruleset flags
constexpr std::uint32_t kCreateRulesetVersion = 1U << 0;

// Filesystem rights (ABI 1 unless said otherwise).
constexpr std::uint64_t kExecute = 1ULL << 0;
constexpr std::uint64_t kWriteFile = 1ULL << 1;
constexpr std::uint64_t kReadFile = 1ULL << 2;
constexpr std::uint64_t kReadDir = 1ULL << 3;
constexpr std::uint64_t kRemoveDir = 1ULL << 4;
constexpr std::uint64_t kRemoveFile = 1ULL << 5;
constexpr std::uint64_t kMakeChar = 1ULL << 6;
constexpr std::uint64_t kMakeDir = 1ULL << 7;
constexpr std::uint64_t kMakeReg = 1ULL << 8;
constexpr std::uint64_t kMakeSock = 1ULL << 9;
constexpr std::uint64_t kMakeFifo = 1ULL << 10;
constexpr std::uint64_t kMakeBlock = 1ULL << 11;
constexpr std::uint64_t kMakeSym = 1ULL << 12;
constexpr std::uint64_t kRefer = 1ULL << 13;     // ABI 2
constexpr std::uint64_t kTruncate = 1ULL << 14;  // ABI 3
constexpr std::uint64_t kIoctlDev = 1ULL << 15;  // ABI 5

// Network rights (ABI 4).
constexpr std::uint64_t kBindTcp = 1ULL << 0;
constexpr std::uint64_t kConnectTcp = 1ULL << 1;

// Scopes (ABI 6).
constexpr std::uint64_t kScopeAbstractUnixSocket = 1ULL << 0;
constexpr std::uint64_t kScopeSignal = 1ULL << 1;

// Rule types.
constexpr int kRulePathBeneath = 1;
constexpr int kRuleNetPort = 2;

// The rights Landlock accepts on a file (not a directory).
constexpr std::uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;

// struct landlock_ruleset_attr, all three fields; older kernels take a
// prefix of it (the size says which).
struct RulesetAttr {
    std::uint64_t handled_access_fs;
    std::uint64_t handled_access_net;  // ABI 4
    std::uint64_t scoped;              // ABI 6
};

// struct landlock_path_beneath_attr: packed in the kernel's header.
struct __attribute__((packed)) PathBeneathAttr {
    std::uint64_t allowed_access;
    std::int32_t parent_fd;
};

// struct landlock_net_port_attr
struct NetPortAttr {
    std::uint64_t allowed_access;
    std::uint64_t port;
};

// The ABI that brought each feature, and the first Linux release with it.
constexpr int kAbiTruncate = 3;
constexpr int kAbiNetwork = 4;
constexpr int kAbiIoctlDev = 5;
constexpr int kAbiScopes = 6;

std::string feature(std::string_view what, int abi, std::string_view linux_version) {
    return std::string(what) + " (Landlock ABI " + std::to_string(abi) + ", Linux " + std::string(linux_version) + ")";
}

}  // namespace

LandlockSupport probe_landlock() {
    const long version = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
    if (version < 0) return {0, errno};
    return {static_cast<int>(version), 0};
}

std::uint64_t handled_fs_access(int abi) {
    if (abi <= 0) return 0;
    std::uint64_t rights = kExecute | kWriteFile | kReadFile | kReadDir | kRemoveDir | kRemoveFile | kMakeChar |
                           kMakeDir | kMakeReg | kMakeSock | kMakeFifo | kMakeBlock | kMakeSym;
    if (abi >= 2) rights |= kRefer;
    if (abi >= kAbiTruncate) rights |= kTruncate;
    if (abi >= kAbiIoctlDev) rights |= kIoctlDev;
    return rights;
}

std::uint64_t path_access(config::PathAccess access, int abi, bool directory) {
    constexpr std::uint64_t kRead = kReadFile | kReadDir;
    std::uint64_t rights = 0;
    switch (access) {
        case config::PathAccess::Read: rights = kRead; break;
        // Not block or character devices: making one needs CAP_MKNOD, which a
        // confined service should not use through a writable directory.
        case config::PathAccess::Write:
            rights = kRead | kWriteFile | kRemoveDir | kRemoveFile | kMakeDir | kMakeReg | kMakeSock | kMakeFifo |
                     kMakeSym | kRefer | kTruncate;
            break;
        case config::PathAccess::Exec: rights = kRead | kExecute; break;
        case config::PathAccess::Device: rights = kIoctlDev; break;
    }
    rights &= handled_fs_access(abi);
    if (!directory) rights &= kFileRights;
    return rights;
}

std::vector<std::string> unenforceable(const config::PathsFile& rules, const LandlockSupport& support) {
    const int abi = support.abi;
    if (abi <= 0) {
        return {"any rule (Landlock is not available: " +
                std::string(std::strerror(support.error != 0 ? support.error : ENOSYS)) + ")"};
    }
    std::vector<std::string> missing;
    if (abi < kAbiTruncate) missing.push_back(feature("truncation", kAbiTruncate, "6.2"));
    if (abi < kAbiNetwork && !(rules.any_bind_port && rules.any_connect_port))
        missing.push_back(feature("TCP bind and connect", kAbiNetwork, "6.7"));
    if (abi < kAbiIoctlDev) missing.push_back(feature("device ioctl", kAbiIoctlDev, "6.10"));
    if (abi < kAbiScopes && rules.scope_signals) missing.push_back(feature("scope signals", kAbiScopes, "6.12"));
    if (abi < kAbiScopes && rules.scope_abstract_sockets)
        missing.push_back(feature("scope abstract-sockets", kAbiScopes, "6.12"));
    return missing;
}

std::string describe_rules(const config::PathsFile& rules) {
    auto counted = [](std::size_t n, std::string_view one) {
        return std::to_string(n) + " " + std::string(one) + (n == 1 ? "" : "s");
    };
    std::string text = counted(rules.paths.size(), "path");
    std::size_t ports = rules.ports.size();
    std::string port_text = counted(ports, "port");
    if (rules.any_bind_port) port_text += ", any bind port";
    if (rules.any_connect_port) port_text += ", any connect port";
    text += ", " + port_text;
    if (rules.scope_signals) text += ", scope signals";
    if (rules.scope_abstract_sockets) text += ", scope abstract-sockets";
    return text;
}

std::expected<Confinement, std::string> build_confinement(const config::PathsFile& rules,
                                                          const LandlockSupport& support) {
    Confinement confinement;
    confinement.rules = describe_rules(rules);
    confinement.unenforced = unenforceable(rules, support);
    if (support.abi <= 0) return confinement;  // best effort: nothing to build
    const int abi = support.abi;
    confinement.abi = abi;

    RulesetAttr attr{};
    attr.handled_access_fs = handled_fs_access(abi);
    std::size_t attr_size = sizeof attr.handled_access_fs;
    if (abi >= kAbiNetwork) {
        if (!rules.any_bind_port) attr.handled_access_net |= kBindTcp;
        if (!rules.any_connect_port) attr.handled_access_net |= kConnectTcp;
        attr_size = offsetof(RulesetAttr, scoped);
    }
    if (abi >= kAbiScopes) {
        if (rules.scope_signals) attr.scoped |= kScopeSignal;
        if (rules.scope_abstract_sockets) attr.scoped |= kScopeAbstractUnixSocket;
        attr_size = sizeof attr;
    }
    // Always close-on-exec: a ruleset fd in a service would let it restrict
    // itself further, harmless, but it is no business of the service.
    const long fd = ::syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
    if (fd < 0) return std::unexpected("cannot create a Landlock ruleset: " + std::string(std::strerror(errno)));
    confinement.ruleset = sys::UniqueFd(static_cast<int>(fd));

    for (const config::PathRule& rule : rules.paths) {
        auto failed = [&](std::string_view what) {
            return std::unexpected("line " + std::to_string(rule.line) + ": " + std::string(what) + " " + rule.path +
                                   ": " + std::strerror(errno));
        };
        sys::UniqueFd path(::open(rule.path.c_str(), O_PATH | O_CLOEXEC));
        if (!path) return failed("cannot open");
        struct stat status {};
        if (::fstat(path.get(), &status) != 0) return failed("cannot stat");
        PathBeneathAttr beneath{};
        beneath.allowed_access = path_access(rule.access, abi, S_ISDIR(status.st_mode));
        beneath.parent_fd = path.get();
        // Nothing this kernel can grant (`device` before ABI 5, where ioctl
        // is not restricted anyway): the kernel refuses an empty rule.
        if (beneath.allowed_access == 0) continue;
        if (::syscall(SYS_landlock_add_rule, confinement.ruleset.get(), kRulePathBeneath, &beneath, 0) != 0)
            return failed("cannot add the rule for");
    }
    if (abi >= kAbiNetwork) {
        for (const config::PortRule& rule : rules.ports) {
            NetPortAttr port{};
            port.allowed_access = rule.access == config::PortAccess::Bind ? kBindTcp : kConnectTcp;
            if ((port.allowed_access & attr.handled_access_net) == 0) continue;  // that kind is `*`
            port.port = rule.port;
            if (::syscall(SYS_landlock_add_rule, confinement.ruleset.get(), kRuleNetPort, &port, 0) != 0)
                return std::unexpected("line " + std::to_string(rule.line) + ": cannot add the rule for port " +
                                       std::to_string(rule.port) + ": " + std::strerror(errno));
        }
    }
    return confinement;
}

}  // namespace tend::process
