// tend's s6-log: the logging script (the first line, directives separated by
// blanks; logdirs dropped, they would write files) and the line handling on
// the rest, fed in two pieces. What comes out on stdout and stderr is whole
// lines; with the script `1` alone, stdout is the input's complete lines.
#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "tend/applets/s6_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tend::applets::s6log;
    const auto content = tend::fuzz::as_text(data, size);
    const std::size_t newline = content.find('\n');
    const std::string_view first = content.substr(0, newline);
    const std::string_view input = newline == std::string_view::npos ? std::string_view() : content.substr(newline + 1);
    std::vector<std::string> args{"--"};
    for (std::size_t start = 0; start < first.size();) {
        std::size_t blank = first.find(' ', start);
        if (blank == std::string_view::npos) blank = first.size();
        if (blank > start) args.emplace_back(first.substr(start, blank - start));
        start = blank + 1;
    }
    auto script = parse_command_line(args);
    if (!script) return 0;
    // glibc's regcomp takes memory exponential in stacked repetition
    // operators (`a++++++++`): as for s6's own s6-log, which uses it too, a
    // script's author gets what they wrote; the fuzzer looks elsewhere.
    for (const auto& d : script->directives)
        if (std::count_if(d.text.begin(), d.text.end(), [](char c) { return c == '+' || c == '*' || c == '?' || c == '{'; }) > 4)
            return 0;
    std::erase_if(script->directives, [](const Directive& d) { return d.kind == Directive::Kind::Logdir; });
    const bool echo_only = script->directives.size() == 1 && script->directives[0].kind == Directive::Kind::Stdout &&
                           !script->directives[0].tai64n && !script->directives[0].iso8601;
    std::string out, err;
    Logger logger(
        std::move(*script), [] { return timespec{1796602706, 5}; }, [&](std::string_view s) { out += s; },
        [&](std::string_view s) { err += s; });
    if (!logger.open()) return 0;  // a regex regcomp refuses
    const std::size_t half = input.size() / 2;
    (void)logger.feed(input.substr(0, half));
    (void)logger.feed(input.substr(half));
    logger.finish();
    tend::fuzz::require(out.empty() || out.back() == '\n', "stdout is whole lines");
    tend::fuzz::require(err.empty() || err.back() == '\n', "stderr is whole lines");
    if (echo_only && input.size() < 8192) {
        const std::size_t last = input.rfind('\n');
        tend::fuzz::require(out == (last == std::string_view::npos ? "" : input.substr(0, last + 1)),
                            "`1` passes the complete lines on as they are");
    }
    return 0;
}
