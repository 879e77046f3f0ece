// S6_KEEP_ENV as s6-overlay reads it (`0${S6_KEEP_ENV} -eq 0`): set to a
// non-zero number means "keep the environment as it is".
#pragma once

#include <cstdlib>
#include <string_view>

namespace tend::s6 {

// Pure. Unset, empty, "0" or anything that is not a decimal number: false.
inline bool keep_env_requested(const char* value) {
    if (value == nullptr) return false;
    std::string_view text(value);
    if (text.empty()) return false;
    bool nonzero = false;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        if (c != '0') nonzero = true;
    }
    return nonzero;
}

}  // namespace tend::s6
