// `user`: check_user_syntax never accepts what cannot be a name or id, and
// resolve_user (against an empty database, so nothing of this machine is
// read) never accepts a name check_user_syntax refused.
#include "fuzz_input.hpp"
#include "tend/config/service_config.hpp"
#include "tend/process/credentials.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto spec = tend::fuzz::as_text(data, size);
    const auto syntax = tend::config::check_user_syntax(spec);
    if (syntax) {
        tend::fuzz::require(!spec.empty(), "an empty spec is refused");
        for (char c : spec) tend::fuzz::require(static_cast<unsigned char>(c) > 0x20 && c != 0x7f, "no blanks or control bytes");
    }
    const tend::process::UserDatabase nowhere{"/nonexistent/passwd", "/nonexistent/group"};
    const auto resolved = tend::process::resolve_user(spec, nowhere);
    if (resolved) {
        tend::fuzz::require(resolved->uid != static_cast<uid_t>(-1), "uid -1 is never a result");
        tend::fuzz::require(resolved->gid != static_cast<gid_t>(-1), "gid -1 is never a result");
    }
    return 0;
}
