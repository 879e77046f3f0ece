// setfsuid/setfsgid return the previous value and never fail visibly, so
// each switch is checked by asking again (a second call with the same id
// returns the id now in force). Changing the fsuid away from 0 also clears
// the file-system capabilities from the effective set and changing it back
// raises them from the permitted set; tend's capability sets are therefore
// compared before and after and put back exactly if they moved.
#include "tend/process/owned_pipe.hpp"

#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tend::process {
namespace {

struct CapabilitySets {
    __user_cap_data_struct data[2]{};
    bool operator==(const CapabilitySets& other) const {
        return std::memcmp(data, other.data, sizeof data) == 0;
    }
};

bool read_capabilities(CapabilitySets& sets) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    return ::syscall(SYS_capget, &header, sets.data) == 0;
}

void write_capabilities(CapabilitySets& sets) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    ::syscall(SYS_capset, &header, sets.data);  // restores what capget gave: cannot be refused
}

// The id in force: setfs*id(-1) is refused and returns the current value.
uid_t current_fsuid() { return static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))); }
gid_t current_fsgid() { return static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))); }

}  // namespace

std::expected<sys::Pipe, std::string> make_owned_pipe(uid_t uid, gid_t gid) {
    const uid_t own_fsuid = current_fsuid();
    const gid_t own_fsgid = current_fsgid();
    if (uid == own_fsuid && gid == own_fsgid) {
        auto pipe = sys::make_pipe();
        if (!pipe) return std::unexpected(std::string("cannot create a pipe: ") + std::strerror(pipe.error()));
        return std::move(*pipe);
    }

    CapabilitySets caps_before;
    const bool have_caps = read_capabilities(caps_before);
    auto restore = [&] {
        ::setfsuid(own_fsuid);
        ::setfsgid(own_fsgid);
        CapabilitySets caps_after;
        if (have_caps && read_capabilities(caps_after) && !(caps_after == caps_before))
            write_capabilities(caps_before);
    };

    // The group first: CAP_SETGID is not a file-system capability, so it is
    // still effective whatever the fsuid is.
    ::setfsgid(gid);
    if (static_cast<gid_t>(::setfsgid(gid)) != gid) {
        restore();
        return std::unexpected("cannot set fsgid " + std::to_string(gid) + " (tend lacks CAP_SETGID)");
    }
    ::setfsuid(uid);
    if (static_cast<uid_t>(::setfsuid(uid)) != uid) {
        restore();
        return std::unexpected("cannot set fsuid " + std::to_string(uid) + " (tend lacks CAP_SETUID)");
    }
    auto pipe = sys::make_pipe();
    const int error = pipe ? 0 : pipe.error();
    restore();
    if (current_fsuid() != own_fsuid || current_fsgid() != own_fsgid)
        return std::unexpected(std::string("cannot restore tend's own fsuid and fsgid"));  // not seen in practice
    if (!pipe) return std::unexpected(std::string("cannot create a pipe: ") + std::strerror(error));
    return std::move(*pipe);
}

}  // namespace tend::process
