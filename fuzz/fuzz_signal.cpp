// Signal names (down-signal, tend ctl signal): a parsed number is a real
// signal, and its printed name parses back to it.
#include <csignal>

#include "fuzz_input.hpp"
#include "tend/config/service_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tend::config;
    const auto signo = parse_signal(tend::fuzz::as_text(data, size));
    if (signo) {
        tend::fuzz::require(*signo > 0 && *signo < NSIG, "a real signal number");
        tend::fuzz::require(parse_signal(signal_name(*signo)) == signo, "signal name round-trip");
    }
    return 0;
}
