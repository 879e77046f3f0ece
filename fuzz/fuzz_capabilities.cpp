// `capabilities`: any text gives a mask of known capabilities or a reason.
#include "fuzz_input.hpp"
#include "tend/config/service_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto mask = tend::config::parse_capabilities(tend::fuzz::as_text(data, size));
    if (!mask) tend::fuzz::require(!mask.error().empty(), "a refusal has a reason");
    return 0;
}
