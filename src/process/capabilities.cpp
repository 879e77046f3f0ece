#include "tend/process/capabilities.hpp"

#include <cap-ng.h>

#include <cctype>

namespace tend::process {

namespace {
std::uint64_t own_capabilities(capng_type_t set) {
    capng_clear(CAPNG_SELECT_BOTH);
    if (capng_get_caps_process() != 0) return 0;
    std::uint64_t mask = 0;
    for (unsigned cap = 0; cap < 64; ++cap) {
        if (capng_have_capability(set, cap) == 1) mask |= capability_bit(cap);
    }
    return mask;
}
}  // namespace

std::uint64_t own_permitted_capabilities() { return own_capabilities(CAPNG_PERMITTED); }
std::uint64_t own_effective_capabilities() { return own_capabilities(CAPNG_EFFECTIVE); }

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
