// s6-overlay scripts: parse_shebang on the first line and parse_execline on
// the whole. An interpreter is one non-empty word without blanks; the
// argument's words are its blank-separated parts; in a script without
// quotes or backslashes, words hold no blank byte.
#include "fuzz_input.hpp"
#include "tend/s6/execline.hpp"
#include "tend/s6/shebang.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tend::s6;
    const auto content = tend::fuzz::as_text(data, size);
    if (const auto shebang = parse_shebang(content)) {
        tend::fuzz::require(content.starts_with("#!"), "only #! lines");
        tend::fuzz::require(!shebang->interpreter.empty(), "an interpreter is named");
        tend::fuzz::require(shebang->interpreter.find_first_of(" \t\n") == std::string::npos,
                            "the interpreter is one word");
        tend::fuzz::require(shebang->argument.has_value() == !shebang->words.empty(), "an argument has words");
        for (const auto& word : shebang->words) {
            tend::fuzz::require(!word.empty() && word.find_first_of(" \t\n") == std::string::npos,
                                "argument words are blank-free");
        }
        (void)classify_interpreter(shebang->interpreter);
    }
    const auto body = after_first_line(content);
    tend::fuzz::require(body.size() < content.size() || body.empty(), "the body follows the first line");
    // execline as execlineb reads it (s6/execline.hpp). Without quotes
    // and backslashes every word is literal: no blank byte in it, and an
    // empty word only as a block's end marker.
    const auto parsed = parse_execline(content);
    if (content.find_first_of("\"\\") == std::string_view::npos && !parsed.error) {
        for (const auto& word : parsed.argv) {
            tend::fuzz::require(parsed.has_block || !word.empty(), "an empty word ends a block");
            if (!parsed.has_block)
                for (unsigned char c : word) tend::fuzz::require(c > ' ', "an unquoted word is blank-free");
        }
    }
    (void)parse_execline(body);
    return 0;
}
