// What a service's `paths` rules (config/paths_file.hpp) become on the
// running kernel: a Landlock ruleset, built in the parent at load time.
//
// Landlock confines a process and every process it forks, with no privilege,
// once no_new_privs is set. tend builds the ruleset once per service, when
// the services are loaded (each PATH opened with O_PATH, each port added),
// and keeps its fd (O_CLOEXEC) for tend's life; every start of the service,
// its finish script and each scheduled run then take one system call in the
// child, landlock_restrict_self(fd, 0), after no_new_privs and before exec
// (process/spawn.cpp). Nothing is allocated or read between fork and exec.
//
// Everything not granted is denied: the ruleset handles every access right
// the running kernel's Landlock ABI knows. A kernel with an older ABI lacks
// some of them; what it cannot enforce is named (unenforceable) so that the
// supervisor warns once, or refuses the service with `paths-required`.
//
//   ABI 1 (Linux 5.13)  files and directories: execute, read, write, list,
//                       create and remove entries of every kind
//   ABI 2 (5.19)        rename or link to another directory (refer)
//   ABI 3 (6.2)         truncate
//   ABI 4 (6.7)         TCP bind and connect, by port
//   ABI 5 (6.10)        ioctl on devices
//   ABI 6 (6.12)        scopes: signals, abstract unix sockets
//   ABI 7 (6.15)        audit logging only: nothing new to handle
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "tend/config/paths_file.hpp"
#include "tend/sys/fd.hpp"

namespace tend::process {

// The running kernel's Landlock. abi 0: not available, `error` says why
// (ENOSYS: a kernel without it, or a seccomp filter that hides it;
// EOPNOTSUPP: built in but not enabled at boot).
struct LandlockSupport {
    int abi = 0;
    int error = 0;
};

// Asks the kernel (landlock_create_ruleset with LANDLOCK_CREATE_RULESET_VERSION).
LandlockSupport probe_landlock();

// Landlock's access rights, as the kernel's bit masks (pure, for tests).
// Every filesystem right this ABI knows: what a ruleset handles.
std::uint64_t handled_fs_access(int abi);
// The rights one rule grants on this ABI; on a file, the rights that make
// sense for a file only (Landlock refuses directory rights on a file).
std::uint64_t path_access(config::PathAccess access, int abi, bool directory);

// What these rules would confine that a kernel with this ABI cannot, each
// named with the ABI and Linux version that brought it, e.g.
// "TCP bind and connect (Landlock ABI 4, Linux 6.7)". Empty: fully enforced.
std::vector<std::string> unenforceable(const config::PathsFile& rules, const LandlockSupport& support);

// "4 paths, 2 ports, scope signals": the rules in a few words, for status.
std::string describe_rules(const config::PathsFile& rules);

struct Confinement {
    sys::UniqueFd ruleset;  // O_CLOEXEC; invalid when Landlock is not available
    int abi = 0;            // the ABI the ruleset was built for (0: none)
    std::string rules;      // describe_rules
    std::vector<std::string> unenforced;  // unenforceable: empty when enforced in full

    bool enforced() const { return unenforced.empty(); }
};

// Builds the ruleset of these rules for this kernel. Errors name the rule's
// line: "line 3: cannot open /srv/app: Permission denied".
std::expected<Confinement, std::string> build_confinement(const config::PathsFile& rules,
                                                          const LandlockSupport& support);

}  // namespace tend::process
