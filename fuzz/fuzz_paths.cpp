// A service dir's `paths` file (config/paths_file.hpp): the input goes through
// the same text check and parser as at load. An accepted file has at least
// one rule; every path rule is absolute, one line of the file, trimmed, and
// carries the line it came from; a refusal names the line of each problem.
// missing_paths and load_paths_file only look paths up (stat): loading
// refuses what parsing refuses, with at least those problems, and accepts a
// parsed file exactly when none of its paths is missing.
#include <algorithm>
#include <string>
#include <string_view>

#include "fuzz_input.hpp"
#include "tend/config/file_reader.hpp"
#include "tend/config/paths_file.hpp"

namespace {

bool paths_has_edge_blank(std::string_view text) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    return !text.empty() && (blank(text.front()) || blank(text.back()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string content(tend::fuzz::as_text(data, size));
    if (!tend::config::check_text(content)) return 0;  // refused before parsing, as at load
    const unsigned lines = static_cast<unsigned>(std::count(content.begin(), content.end(), '\n')) + 1;
    const auto parsed = tend::config::parse_paths_file(content);
    const auto loaded = tend::config::load_paths_file(content);
    if (!parsed) {
        tend::fuzz::require(!parsed.error().empty(), "a refusal has a reason");
        tend::fuzz::require(!loaded && loaded.error().size() >= parsed.error().size(),
                            "loading reports every syntax problem");
        for (const auto& problem : parsed.error()) {
            tend::fuzz::require(problem.starts_with("line ") || problem.starts_with("has no rule"),
                                "each problem names its line");
        }
        return 0;
    }
    const auto& rules = *parsed;
    tend::fuzz::require(!rules.paths.empty() || !rules.ports.empty() || rules.any_bind_port ||
                            rules.any_connect_port || rules.scope_signals || rules.scope_abstract_sockets,
                        "an accepted file has a rule");
    unsigned previous = 0;
    for (const auto& rule : rules.paths) {
        tend::fuzz::require(rule.path.starts_with('/'), "a path is absolute");
        tend::fuzz::require(rule.path.find('\n') == std::string::npos, "a path is one line");
        tend::fuzz::require(!paths_has_edge_blank(rule.path), "a path is trimmed");
        tend::fuzz::require(rule.line >= 1 && rule.line <= lines, "a path rule's line is in the file");
        tend::fuzz::require(rule.line > previous, "path rules in file order, one a line");
        previous = rule.line;
    }
    previous = 0;
    for (const auto& rule : rules.ports) {
        tend::fuzz::require(rule.line >= 1 && rule.line <= lines, "a port rule's line is in the file");
        tend::fuzz::require(rule.line > previous, "port rules in file order, one a line");
        previous = rule.line;
    }
    const auto missing = tend::config::missing_paths(rules);
    for (const auto& problem : missing) tend::fuzz::require(problem.starts_with("line "), "a missing path names its line");
    tend::fuzz::require(loaded.has_value() == missing.empty(), "loading refuses exactly the missing paths");
    if (!loaded) tend::fuzz::require(loaded.error() == missing, "loading says what missing_paths says");
    return 0;
}
