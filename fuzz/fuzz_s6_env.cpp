// S6_* variables: lines of NAME=VALUE (the names the fuzzer finds, S6_* or
// TEND_*) mapped by map_s6_variables. Only TEND_* variables come out, never
// one that was already set, and a value becomes its TEND_ twin or a warning.
#include <string>

#include "fuzz_input.hpp"
#include "tend/s6/variables.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tend::s6;
    const auto text = tend::fuzz::as_text(data, size);
    tend::config::EnvironmentVariables variables;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const auto line = text.substr(start, end - start);
        const auto equals = line.find('=');
        if (equals != std::string_view::npos) variables[std::string(line.substr(0, equals))] = line.substr(equals + 1);
        start = end + 1;
    }
    const auto mapping = map_s6_variables(variables);
    for (const auto& [name, value] : mapping.tend_variables) {
        tend::fuzz::require(name.starts_with("TEND_"), "only TEND_* variables come out");
        const auto set = variables.find(name);
        tend::fuzz::require(set == variables.end() || set->second.empty(), "a set TEND_* twin wins");
    }
    for (const auto& word : mapping.cmd_arg0) {
        tend::fuzz::require(!word.empty() && word.find_first_of(" \t") == std::string::npos, "ARG0 words are blank-free");
    }
    return 0;
}
