// tend's filesystem uid and gid, switched to a service's for a few calls.
//
// The kernel checks file access and gives new inodes the caller's fsuid and
// fsgid, so tend creates a service's output pipes (owned_pipe.hpp) and probes
// its ready-when path or socket (readiness_probe.hpp) as the service would,
// without CAP_CHOWN or CAP_DAC_OVERRIDE and without touching its real or
// effective ids. setfsuid/setfsgid need CAP_SETUID/CAP_SETGID, which the user
// switch at spawn needs anyway.
//
// Why a class: setfsuid/setfsgid report no error (they return the previous
// id), so every change is verified by reading the id back; and moving the
// fsuid away from 0 clears the filesystem capabilities from the effective set
// while moving it back raises them from the permitted set (capabilities(7)),
// which could leave tend with more effective capabilities than it had. The
// switch is undone, ids and capability sets exactly, on every path.
#pragma once

#include <linux/capability.h>
#include <sys/types.h>

#include <optional>
#include <string>

namespace tend::process {

class FsIdentity {
public:
    // Switches to uid:gid (the group first: CAP_SETGID is not a filesystem
    // capability, so it survives the uid switch). Nothing is switched when
    // they are tend's own. On failure error() says why and nothing changed.
    FsIdentity(uid_t uid, gid_t gid);
    ~FsIdentity() { restore(); }
    FsIdentity(const FsIdentity&) = delete;
    FsIdentity& operator=(const FsIdentity&) = delete;

    bool ok() const { return !error_; }
    // "cannot set fsuid 3000 (tend lacks CAP_SETUID)".
    const std::optional<std::string>& error() const { return error_; }

    // Back to tend's own fsuid, fsgid and capability sets; called by the
    // destructor, callable earlier to learn the outcome. False when the ids
    // did not come back (not seen in practice; the caller must say so).
    bool restore();

private:
    struct CapabilitySets {
        __user_cap_data_struct data[2]{};
    };

    uid_t own_uid_ = 0;
    gid_t own_gid_ = 0;
    bool switched_ = false;
    bool have_caps_ = false;
    CapabilitySets caps_before_;
    std::optional<std::string> error_;
};

}  // namespace tend::process
