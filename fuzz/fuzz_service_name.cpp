// Service names (directory names, `depends` lines, tend ctl arguments): a
// valid name is a single path component without control bytes.
#include "fuzz_input.hpp"
#include "tend/config/service_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto name = tend::fuzz::as_text(data, size);
    if (tend::config::is_valid_service_name(name)) {
        tend::fuzz::require(!name.empty() && name.size() <= 255, "length 1..255");
        tend::fuzz::require(name.front() != '.', "not hidden, not . or ..");
        for (char c : name) {
            const auto byte = static_cast<unsigned char>(c);
            tend::fuzz::require(c != '/' && byte >= 0x20 && byte != 0x7f, "no '/' or control byte");
        }
    }
    return 0;
}
