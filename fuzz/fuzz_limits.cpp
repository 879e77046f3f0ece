// `limits`: accepted limits are known, unique and have soft <= hard.
#include <set>

#include "fuzz_input.hpp"
#include "tend/config/service_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto limits = tend::config::parse_limits(tend::fuzz::as_text(data, size));
    if (!limits) {
        tend::fuzz::require(!limits.error().empty(), "a refusal has a reason");
        return 0;
    }
    std::set<int> seen;
    for (const auto& limit : *limits) {
        tend::fuzz::require(limit.soft <= limit.hard, "soft <= hard");
        tend::fuzz::require(seen.insert(limit.resource).second, "each limit once");
        tend::fuzz::require(!limit.name.empty(), "a limit has its name");
    }
    return 0;
}
