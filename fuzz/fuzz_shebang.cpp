// s6-overlay scripts: parse_shebang on the first line and split_execline on
// the rest. An interpreter is one non-empty word without blanks; the
// argument's words are its blank-separated parts; in a script without
// quotes or backslashes, words hold no blank or newline, and a `simple`
// script has no brace word and no `$`.
#include "fuzz_input.hpp"
#include "tend/compat/shebang.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tend::compat;
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
    const auto split = split_execline(body);
    // Without quotes and backslashes every word is literal: no blanks in it,
    // and braces or `$` make the script not simple (quoted ones are words).
    if (body.find_first_of("\"\\") == std::string_view::npos) {
        tend::fuzz::require(!split.error, "only a quote can be unterminated");
        for (const auto& word : split.words) {
            tend::fuzz::require(!word.empty() && word.find_first_of(" \t\r\n") == std::string::npos,
                                "an unquoted word is blank-free");
            if (split.simple) {
                tend::fuzz::require(word != "{" && word != "}" && word.find('$') == std::string::npos,
                                    "a simple script has no block and no substitution");
            }
        }
    }
    // The whole content too: scripts without a shebang line reach the lexer.
    (void)split_execline(content);
    return 0;
}
