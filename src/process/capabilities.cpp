#include "tend/process/capabilities.hpp"

#include <sys/prctl.h>

#include <cap-ng.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>

namespace tend::process {

namespace {
// One capget(2) for the sets of tend itself. capng_get_caps_process() would
// also parse /proc/self/status for the bounding and ambient sets through
// stdio and sscanf, which is most of tend's capability work at start-up
// (about 50,000 instructions for two calls), for sets not asked for here.
// libcap-ng still does everything else (the drops before exec).
std::uint64_t own_capabilities(bool effective) {
    __user_cap_header_struct header{};
    header.version = _LINUX_CAPABILITY_VERSION_3;
    header.pid = 0;
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    if (::syscall(SYS_capget, &header, data) != 0) return 0;
    std::uint64_t mask = 0;
    for (unsigned word = 0; word < _LINUX_CAPABILITY_U32S_3; ++word) {
        const std::uint32_t bits = effective ? data[word].effective : data[word].permitted;
        mask |= static_cast<std::uint64_t>(bits) << (32 * word);
    }
    return mask;
}
}  // namespace

std::uint64_t own_permitted_capabilities() { return own_capabilities(false); }
std::uint64_t own_effective_capabilities() { return own_capabilities(true); }

std::string capability_names(std::uint64_t mask) {
    std::string text;
    for (unsigned cap = 0; cap < 64; ++cap) {
        if (((mask >> cap) & 1U) == 0) continue;
        if (!text.empty()) text += ", ";
        const char* name = capng_capability_to_name(static_cast<unsigned>(cap));
        std::string upper = "CAP_";
        if (name) {
            for (const char* p = name; *p; ++p) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(*p)));
        } else {
            upper += std::to_string(cap);
        }
        text += upper;
    }
    return text;
}

std::uint64_t own_bounding_set() {
    std::uint64_t set = 0;
    for (unsigned cap = 0; cap < 64; ++cap) {
        int in_bounding = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in_bounding < 0) break;  // past the kernel's last capability
        if (in_bounding == 1) set |= capability_bit(cap);
    }
    return set;
}

}  // namespace tend::process
