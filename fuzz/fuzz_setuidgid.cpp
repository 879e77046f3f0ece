// s6-setuidgid / s6-applyuidgid: the input's lines are the arguments of
// s6-applyuidgid (its first line also the spec of s6-setuidgid and a
// GIDLIST), with UID, GID and GIDLIST taken from fixed values. Accepted ids
// are never -1, the program index points at an argument, and a numeric
// setuidgid spec has no supplementary groups.
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "tend/applets/uidgid.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tend::applets;
    const auto text = tend::fuzz::as_text(data, size);
    std::vector<std::string> args;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        args.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    const std::string first = args.front();

    if (const auto groups = parse_gid_list(first)) {
        for (const gid_t gid : *groups) tend::fuzz::require(gid != static_cast<gid_t>(-1), "gid -1 is never a result");
    }
    const auto getenv = [&](const char* name) -> const char* {
        const std::string_view wanted(name);
        if (wanted == "UID") return "1000";
        if (wanted == "GID") return "1000";
        if (wanted == "GIDLIST") return args.size() > 1 ? args[1].c_str() : nullptr;
        return nullptr;
    };
    if (const auto plan = parse_applyuidgid(args, getenv)) {
        tend::fuzz::require(plan->program_index < args.size(), "the program is an argument");
        if (plan->uid) tend::fuzz::require(*plan->uid != static_cast<uid_t>(-1), "uid -1 is never a result");
        if (plan->gid) tend::fuzz::require(*plan->gid != static_cast<gid_t>(-1), "gid -1 is never a result");
    } else {
        tend::fuzz::require(!plan.error().empty(), "a refusal has a reason");
    }
    const tend::process::UserDatabase nowhere{"/nonexistent/passwd", "/nonexistent/group"};
    if (const auto credentials = resolve_setuidgid(first, nowhere)) {
        tend::fuzz::require(credentials->uid != static_cast<uid_t>(-1), "uid -1 is never a result");
        if (first.find(':') != 0 && first.find_first_not_of("0123456789") == first.find(':')) {
            tend::fuzz::require(credentials->groups.empty(), "a numeric spec clears the groups");
        }
        const auto variables = envuidgid_variables(*credentials);
        tend::fuzz::require(variables.size() == 3, "UID, GID, GIDLIST");
    }
    return 0;
}
