// The option loop every s6 applet shares, as skalibs' subgetopt reads a
// command line: options until `--` or the first word that is not one (`-`
// alone is a word); letters cluster (`-dwd`); a letter that takes a value
// takes the rest of its word, else the next word (`-T500`, `-T 500`).
// One home for it, so halt's s6-svscanctl, s6-applyuidgid, s6-envuidgid,
// s6-svc, s6-svwait, s6-rc, s6-svstat, s6-notifyoncheck and the logutil
// helpers all stop at the same word.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace tend::applets {

// `with_value`: the letters that take a value. on_flag(letter) and
// on_value(letter, value) return an empty string, or the message that ends
// the parse. A long option (`--name`) is refused naming it. Returns the index
// of the first operand. Pure.
template <typename OnFlag, typename OnValue>
std::expected<std::size_t, std::string> parse_s6_options(const std::vector<std::string>& args,
                                                         std::string_view with_value, OnFlag on_flag,
                                                         OnValue on_value) {
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") return i + 1;
        if (arg.size() < 2 || arg[0] != '-') break;
        // Newer s6 releases also take long options (--doublefork); tend's
        // applets take the short ones, which every release has.
        if (arg[1] == '-') return std::unexpected("unknown option " + arg.substr(0, arg.find('=')) + " (use its one-letter form)");
        for (std::size_t k = 1; k < arg.size(); ++k) {
            char option = arg[k];
            if (with_value.find(option) != std::string_view::npos) {
                std::string value = arg.substr(k + 1);
                if (value.empty()) {
                    if (i + 1 >= args.size()) return std::unexpected(std::string("-") + option + " needs a value");
                    value = args[++i];
                }
                if (auto error = on_value(option, value); !error.empty()) return std::unexpected(error);
                break;
            }
            if (auto error = on_flag(option); !error.empty()) return std::unexpected(error);
        }
    }
    return i;
}

// For applets whose options all are flags.
template <typename OnFlag>
std::expected<std::size_t, std::string> parse_s6_flags(const std::vector<std::string>& args, OnFlag on_flag) {
    return parse_s6_options(args, "", on_flag, [](char, const std::string&) { return std::string(); });
}

}  // namespace tend::applets
