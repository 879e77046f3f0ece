// An env/ file's content: the value is the first line, never longer than the
// content, with no trailing blank, and never holds a raw newline of the file.
#include <string>

#include "fuzz_input.hpp"
#include "tend/config/envdir.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string content(tend::fuzz::as_text(data, size));
    const auto value = tend::config::envdir_value(content);
    if (content.empty()) {
        tend::fuzz::require(!value.has_value(), "an empty file unsets");
        return 0;
    }
    tend::fuzz::require(value.has_value(), "a non-empty file sets");
    tend::fuzz::require(value->size() <= content.size(), "no longer than the file");
    if (!value->empty()) tend::fuzz::require(value->back() != ' ' && value->back() != '\t', "no trailing blank");
    const auto first_newline = content.find('\n');
    const std::string first = content.substr(0, first_newline);
    tend::fuzz::require(value->size() <= first.size(), "from the first line only");
    return 0;
}
