// The container's zone: a TZif file (first byte even) or a POSIX TZ rule
// (odd), then conversions of a few instants. Nothing crashes; a period holds
// its instant; where a local time maps back to exactly one instant, that is
// the instant it came from, and where it is ambiguous, one of the two is.
#include <chrono>

#include "fuzz_input.hpp"
#include "tend/time/time_zone.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace std::chrono;
    using tend::time::LocalTimeMapping;
    using tend::time::TimeZone;
    if (size == 0) return 0;
    const auto bytes = tend::fuzz::as_text(data + 1, size - 1);
    auto zone = (data[0] % 2 == 0) ? TimeZone::from_tzif(bytes, "fuzz") : TimeZone::from_posix_rule(bytes);
    if (data[0] % 2 == 1) (void)tend::time::parse_posix_rule(bytes);
    if (!zone) {
        tend::fuzz::require(!zone.error().empty(), "a refusal has a reason");
        return 0;
    }
    // 1901 (before 32-bit transitions), 1970, 2026 (around Berlin's change),
    // 2099, and far ahead (only the footer rule covers it).
    constexpr std::int64_t kInstants[] = {-2147483649LL, 0, 1774746000, 1792888200, 4102444799, 253402300799LL};
    for (const std::int64_t instant : kInstants) {
        const tend::time::UtcSeconds at{seconds{instant}};
        const auto period = zone->period_at(at);
        tend::fuzz::require(period.begin <= at && at < period.end, "the period holds its instant");
        const auto local = zone->to_local(at);
        const auto mapping = zone->from_local(local);
        if (mapping.kind == LocalTimeMapping::Kind::Unique) {
            tend::fuzz::require(mapping.first == at, "local -> UTC -> local round trip");
        } else if (mapping.kind == LocalTimeMapping::Kind::Ambiguous) {
            tend::fuzz::require(mapping.first == at || mapping.second == at, "an ambiguous time maps back");
        }
    }
    return 0;
}
