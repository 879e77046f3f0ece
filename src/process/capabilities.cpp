#include "tend/process/capabilities.hpp"

#include <cap-ng.h>

#include <cctype>

namespace tend::process {

std::uint64_t own_permitted_capabilities() {
    capng_clear(CAPNG_SELECT_BOTH);
    if (capng_get_caps_process() != 0) return 0;
    std::uint64_t mask = 0;
    for (unsigned cap = 0; cap < 64; ++cap) {
        if (capng_have_capability(CAPNG_PERMITTED, cap) == 1) mask |= std::uint64_t{1} << cap;
    }
    return mask;
}

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

}  // namespace tend::process
