#include "tend/process/fs_identity.hpp"

#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace tend::process {
namespace {

// The id in force: setfs*id(-1) is refused and returns the current value.
uid_t current_fsuid() { return static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))); }
gid_t current_fsgid() { return static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))); }

bool read_capabilities(__user_cap_data_struct (&data)[2]) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    return ::syscall(SYS_capget, &header, data) == 0;
}

void write_capabilities(__user_cap_data_struct (&data)[2]) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    ::syscall(SYS_capset, &header, data);  // what capget gave back: cannot be refused
}

}  // namespace

FsIdentity::FsIdentity(uid_t uid, gid_t gid) : own_uid_(current_fsuid()), own_gid_(current_fsgid()) {
    if (uid == own_uid_ && gid == own_gid_) return;
    have_caps_ = read_capabilities(caps_before_.data);
    switched_ = true;
    ::setfsgid(gid);
    if (current_fsgid() != gid) {
        restore();
        error_ = "cannot set fsgid " + std::to_string(gid) + " (tend lacks CAP_SETGID)";
        return;
    }
    ::setfsuid(uid);
    if (current_fsuid() != uid) {
        restore();
        error_ = "cannot set fsuid " + std::to_string(uid) + " (tend lacks CAP_SETUID)";
    }
}

bool FsIdentity::restore() {
    if (!switched_) return true;
    switched_ = false;
    ::setfsuid(own_uid_);
    ::setfsgid(own_gid_);
    CapabilitySets caps_after;
    if (have_caps_ && read_capabilities(caps_after.data) &&
        std::memcmp(caps_after.data, caps_before_.data, sizeof caps_after.data) != 0)
        write_capabilities(caps_before_.data);
    return current_fsuid() == own_uid_ && current_fsgid() == own_gid_;
}

}  // namespace tend::process
