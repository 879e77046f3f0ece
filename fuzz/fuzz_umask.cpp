// `umask`: accepted values are permission bits only.
#include "fuzz_input.hpp"
#include "tend/config/service_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto mask = tend::config::parse_umask(tend::fuzz::as_text(data, size));
    if (mask) tend::fuzz::require(*mask <= 0777, "umask within 0777");
    return 0;
}
