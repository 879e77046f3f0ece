// Who a service runs as and with which privileges, decided once at load from
// its `user`, `limits`, `capabilities` and `allow-new-privs` files and from
// what tend itself holds.
//
// Everything tend could not do at a start is refused here, once, with the
// file and the reason (typed: IdentityRefusal::Kind), instead of failing in
// the child at every restart:
//   - a switch to another uid needs CAP_SETUID and CAP_SETGID (only
//     CAP_SETGID to change just the gid or the groups);
//   - tend's own uid with another gid and no CAP_SETGID (OpenShift: an
//     arbitrary uid with gid 0) is refused with the `user` line that works,
//     rather than run with a gid the file did not ask for;
//   - tend's own uid and gid with other supplementary groups and no
//     CAP_SETGID run with tend's groups (said at debug level);
//   - a limit above tend's hard limit needs CAP_SYS_RESOURCE;
//   - allow-new-privs needs CAP_SETPCAP to shrink the bounding set;
//   - a `capabilities` file can give only what tend has in its permitted set.
// With --as-me no switch is planned at all.
//
// Pure apart from reading the user database (resolve_user): what tend holds
// comes in as TendPrivileges, read from the kernel once (current()).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tend/config/service_config.hpp"
#include "tend/process/credentials.hpp"
#include "tend/process/spawn.hpp"

namespace tend::process {

struct TendPrivileges {
    Credentials own;  // tend's real uid, gid and groups
    uid_t euid = 0;
    gid_t egid = 0;
    std::uint64_t effective = 0;  // capability sets, bit N = capability N
    std::uint64_t permitted = 0;
    // Asked only when a plan needs them (each is a few system calls):
    // tend's bounding set;
    std::function<std::uint64_t()> bounding_set;
    // tend's hard limit of RLIMIT_* `resource`; nullopt when it cannot be read.
    std::function<std::optional<rlim_t>(int resource)> hard_limit;

    // tend's own, from the kernel (capget, getrlimit, geteuid).
    static TendPrivileges current(Credentials own);
};

struct IdentityRequest {
    std::optional<std::string> user;  // the `user` file
    bool as_me = false;               // --as-me
    std::vector<config::ResourceLimit> limits;
    std::optional<std::uint64_t> capabilities;  // the `capabilities` file
    bool allow_new_privs = false;
};

struct IdentityRefusal {
    enum class Kind {
        UnknownUser,           // `user` does not resolve
        GidNeedsSetgid,        // tend's uid, another gid, no CAP_SETGID
        SwitchNeedsCaps,       // another uid (or gid, groups) without CAP_SETUID/CAP_SETGID
        LimitAboveHard,        // above tend's hard limit, no CAP_SYS_RESOURCE
        BoundingNeedsSetpcap,  // allow-new-privs, no CAP_SETPCAP
        CapabilityNotHeld,     // `capabilities` names one tend does not have
    };
    Kind kind;
    std::string file;    // the service-dir file that asks: user, limits, allow-new-privs, capabilities
    std::string reason;  // what is wrong, for "<dir>/<file>: <reason>"
};

struct IdentityPlan {
    Credentials credentials;                 // who it runs as (USER, HOME of its environment)
    std::optional<IdentityChange> identity;  // the switch, when one is needed
    CapabilityPlan capabilities;
    // One line worth saying about the plan ("--as-me: running as tend's own
    // user instead of 'app'"); `info` or else debug.
    struct Note {
        bool info = false;
        std::string text;
    };
    std::optional<Note> note;
};

std::expected<IdentityPlan, IdentityRefusal> plan_identity(const IdentityRequest& request, const TendPrivileges& tend,
                                                           const UserDatabase& db = {});

}  // namespace tend::process
