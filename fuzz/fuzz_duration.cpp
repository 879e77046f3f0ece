// Durations (options, TEND_* variables, timeout-kill/timeout-finish):
// accepted values lie in 0..24 h, and what
// describe_duration prints for them parses back to the same value.
#include "fuzz_input.hpp"
#include "tend/config/duration.hpp"
#include "tend/config/service_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tend::config;
    const auto text = tend::fuzz::as_text(data, size);
    if (const auto duration = parse_duration(text)) {
        tend::fuzz::require(duration->count() >= 0 && *duration <= kMaxDuration, "duration within 0..24h");
        tend::fuzz::require(!describe_duration(*duration).empty(), "a duration can be described");
        tend::fuzz::require(parse_duration(std::to_string(duration->count())) == *duration,
                            "milliseconds round-trip");
    }
    return 0;
}
