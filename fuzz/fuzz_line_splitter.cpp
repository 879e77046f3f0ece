// --log-prefix line splitting of a service's raw output, fed in chunks as
// pipe reads deliver it: nothing is lost or invented (the output without its
// prefixes and newlines is the input without its newlines), every output line
// is prefixed and at most kMaxLineBytes long, and the pending partial line
// stays bounded.
#include <string>

#include "fuzz_input.hpp"
#include "tend/log/line_splitter.hpp"

namespace {

constexpr std::string_view kPrefix = "svc | ";

std::string without_newlines(std::string_view text) {
    std::string out;
    for (char c : text)
        if (c != '\n') out += c;
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using tend::log::kMaxLineBytes;
    if (size == 0) return 0;
    // The first byte picks the read size; small inputs still cross the 16 KiB
    // cut when repeated.
    const std::size_t chunk = 1 + data[0] * 97;
    std::string input(tend::fuzz::as_text(data + 1, size - 1));
    if (!input.empty() && data[0] % 2 == 1) {
        while (input.size() < 3 * kMaxLineBytes) input += input;
    }

    tend::log::LineSplitter splitter{std::string(kPrefix)};
    std::string out;
    for (std::size_t at = 0; at < input.size(); at += chunk) {
        // A fresh string a read, as the router does.
        std::string lines;
        splitter.feed(std::string_view(input).substr(at, chunk), lines);
        out += lines;
        tend::fuzz::require(splitter.pending() <= kMaxLineBytes, "the partial line stays bounded");
    }
    splitter.flush(out);
    tend::fuzz::require(out.empty() || out.back() == '\n', "output ends with a whole line");

    std::string contents;
    std::string_view rest = out;
    while (!rest.empty()) {
        const std::size_t newline = rest.find('\n');
        tend::fuzz::require(newline != std::string_view::npos, "every line ends with a newline");
        std::string_view line = rest.substr(0, newline);
        rest.remove_prefix(newline + 1);
        if (line == kPrefix.substr(0, kPrefix.size() - 1)) continue;  // an empty line: "svc |"
        tend::fuzz::require(line.starts_with(kPrefix), "every line is prefixed");
        line.remove_prefix(kPrefix.size());
        tend::fuzz::require(line.size() <= kMaxLineBytes, "lines are cut at kMaxLineBytes");
        contents += line;
    }
    tend::fuzz::require(contents == without_newlines(input), "nothing lost, nothing invented");
    return 0;
}
