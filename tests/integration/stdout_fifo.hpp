// Shared by the output tests (test_output.cpp, test_log_prefix.cpp): tend's
// stdout made a FIFO with a reader the test chooses (a stalled one, a slow
// one), and splitting what tend wrote into lines.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

#include "harness.hpp"

namespace tend::itest {

// tend's stdout is a FIFO (the launcher opens it before exec'ing tend, so
// tend stays PID 1); `reader` is the shell code that reads it, started in the
// background with the FIFO as its stdin ("exec sleep 1000;" never reads).
inline std::string fifo_launcher(const Sandbox& sandbox, std::string_view reader) {
    return fmt::format(
        "OUT={}\n"
        "mkfifo \"$OUT/fifo\" || exit 99\n"
        "{{ {} }} < \"$OUT/fifo\" &\n"
        "exec \"$@\" > \"$OUT/fifo\"",
        shell_quote(sandbox.out_dir().string()), reader);
}

// The lines of `text`, without their '\n'; a last line without one counts.
inline std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        lines.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

}  // namespace tend::itest
