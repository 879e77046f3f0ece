// `ready-when`: what describe() prints for an accepted condition parses back
// to the same condition.
#include "fuzz_input.hpp"
#include "tend/config/ready_when.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tend::config;
    const auto parsed = parse_ready_when(tend::fuzz::as_text(data, size));
    if (!parsed) {
        tend::fuzz::require(!parsed.error().empty(), "a refusal has a reason");
        return 0;
    }
    if (parsed->kind != ReadyWhen::Kind::Tcp) tend::fuzz::require(parsed->path.starts_with('/'), "paths are absolute");
    const auto again = parse_ready_when(describe(*parsed));
    tend::fuzz::require(again.has_value(), "a description parses");
    if (again) tend::fuzz::require(*again == *parsed, "describe(parse(x)) parses to the same value");
    return 0;
}
