// Parsing a `paths` file (see paths_file.hpp).
//
// Lines are numbered as an editor numbers them (comments and blank lines
// count), so "line 7" in a message is line 7 of the file.
#include "tend/config/paths_file.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "tend/config/file_reader.hpp"
#include "tend/config/text.hpp"

namespace tend::config {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
    return text;
}

constexpr std::string_view kKeywords = "read, write, exec, device, tcp-bind, tcp-connect or scope";

std::string at_line(unsigned line, std::string_view reason) {
    return "line " + std::to_string(line) + ": " + std::string(reason);
}

// A port: 0..65535, or `*`. Ranges and lists get a reason of their own,
// because they are what a firewall rule would accept.
struct PortValue {
    bool any = false;
    std::uint16_t port = 0;
};

std::expected<PortValue, std::string> parse_port(std::string_view text) {
    if (text == "*") return PortValue{true, 0};
    if (text.find_first_of("-:") != std::string_view::npos && text.find_first_not_of("0123456789-: \t") ==
                                                                     std::string_view::npos)
        return std::unexpected(in_quotes(text) +
                               ": port ranges cannot be expressed: a Landlock rule names a single port; "
                               "write one line per port, or `*` for every port");
    if (text.find_first_of(", \t") != std::string_view::npos)
        return std::unexpected(in_quotes(text) + ": one port a line");
    if (!all_digits(text) || text.size() > 5)
        return std::unexpected(in_quotes(text) + " is not a port number (0 to 65535, or *)");
    unsigned value = 0;
    for (char c : text) value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 65535) return std::unexpected(in_quotes(text) + " is not a port number (0 to 65535, or *)");
    return PortValue{false, static_cast<std::uint16_t>(value)};
}

// A problem and the line it is on (0: the whole file), so problems found in
// two passes still come out in the order of the file.
struct Problem {
    unsigned line = 0;
    std::string text;
};

struct Parser {
    PathsFile rules;
    std::vector<Problem> problems;
    bool any_rule = false;

    void line(unsigned number, std::string_view text) {
        const auto blank = text.find_first_of(" \t");
        const std::string_view keyword = text.substr(0, blank);
        const std::string_view argument = blank == std::string_view::npos ? std::string_view{} : trim(text.substr(blank));
        if (keyword == "read" || keyword == "write" || keyword == "exec" || keyword == "device") {
            path_rule(number, keyword, argument);
        } else if (keyword == "tcp-bind" || keyword == "tcp-connect") {
            port_rule(number, keyword, argument);
        } else if (keyword == "scope") {
            scope(number, argument);
        } else {
            problems.push_back({number, at_line(number, "unknown rule " + in_quotes(keyword) + " (" + std::string(kKeywords) + ")")});
        }
    }

    void path_rule(unsigned number, std::string_view keyword, std::string_view path) {
        if (path.empty()) {
            problems.push_back({number, at_line(number, std::string(keyword) + " needs a path")});
            return;
        }
        if (path.front() != '/') {
            problems.push_back({number, at_line(number, in_quotes(path) + " is not an absolute path")});
            return;
        }
        PathAccess access = PathAccess::Read;
        if (keyword == "write") access = PathAccess::Write;
        else if (keyword == "exec") access = PathAccess::Exec;
        else if (keyword == "device") access = PathAccess::Device;
        rules.paths.push_back({access, std::string(path), number});
        any_rule = true;
    }

    void port_rule(unsigned number, std::string_view keyword, std::string_view text) {
        if (text.empty()) {
            problems.push_back({number, at_line(number, std::string(keyword) + " needs a port (0 to 65535, or *)")});
            return;
        }
        auto port = parse_port(text);
        if (!port) {
            problems.push_back({number, at_line(number, port.error())});
            return;
        }
        const PortAccess access = keyword == "tcp-bind" ? PortAccess::Bind : PortAccess::Connect;
        any_rule = true;
        if (port->any) {
            (access == PortAccess::Bind ? rules.any_bind_port : rules.any_connect_port) = true;
            return;
        }
        rules.ports.push_back({access, port->port, number});
    }

    void scope(unsigned number, std::string_view what) {
        if (what == "signals") rules.scope_signals = true;
        else if (what == "abstract-sockets") rules.scope_abstract_sockets = true;
        else {
            problems.push_back({number, at_line(number, "unknown scope " + in_quotes(what) + " (signals or abstract-sockets)")});
            return;
        }
        any_rule = true;
    }
};

}  // namespace

std::string_view to_string(PathAccess access) {
    switch (access) {
        case PathAccess::Read: return "read";
        case PathAccess::Write: return "write";
        case PathAccess::Exec: return "exec";
        case PathAccess::Device: return "device";
    }
    return "read";
}

std::string_view to_string(PortAccess access) { return access == PortAccess::Bind ? "tcp-bind" : "tcp-connect"; }

namespace {

// The whole file, line by line: the rules of every good line and the
// problems of every other, so a loader can look up the good lines' paths even
// when some line is wrong.
Parser parse_lines(std::string_view text) {
    Parser parser;
    unsigned number = 0;
    std::string_view rest = text;
    while (!rest.empty()) {
        ++number;
        const auto newline = rest.find('\n');
        const std::string_view line = trim(rest.substr(0, newline));
        rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
        if (line.empty() || line.front() == '#') continue;
        parser.line(number, line);
    }
    // Everything not granted is denied: a file without a rule would deny the
    // service even the exec of its own run file. Never what was meant.
    if (parser.problems.empty() && !parser.any_rule)
        parser.problems.push_back({0, "has no rule: with a paths file everything not granted is denied, so the "
                                      "service could not even execute its run file (see the minimal example in "
                                      "docs/confinement.md)"});
    return parser;
}

std::optional<std::string> missing(const PathRule& rule) {
    struct stat status {};
    if (::stat(rule.path.c_str(), &status) == 0) return std::nullopt;
    const int error = errno;
    std::string reason = error == ENOENT ? "does not exist (a rule needs an existing file or directory)"
                                         : std::strerror(error);
    return at_line(rule.line, rule.path + ": " + reason);
}

std::vector<std::string> texts(std::vector<Problem> problems) {
    std::stable_sort(problems.begin(), problems.end(),
                     [](const Problem& a, const Problem& b) { return a.line < b.line; });
    std::vector<std::string> result;
    result.reserve(problems.size());
    for (auto& problem : problems) result.push_back(std::move(problem.text));
    return result;
}

}  // namespace

std::expected<PathsFile, std::vector<std::string>> parse_paths_file(std::string_view text) {
    Parser parser = parse_lines(text);
    if (!parser.problems.empty()) return std::unexpected(texts(std::move(parser.problems)));
    return std::move(parser.rules);
}

std::vector<std::string> missing_paths(const PathsFile& rules) {
    std::vector<std::string> problems;
    for (const PathRule& rule : rules.paths)
        if (auto problem = missing(rule)) problems.push_back(std::move(*problem));
    return problems;
}

std::expected<PathsFile, std::vector<std::string>> load_paths_file(std::string_view text) {
    Parser parser = parse_lines(text);
    for (const PathRule& rule : parser.rules.paths)
        if (auto problem = missing(rule)) parser.problems.push_back({rule.line, std::move(*problem)});
    if (!parser.problems.empty()) return std::unexpected(texts(std::move(parser.problems)));
    return std::move(parser.rules);
}

std::vector<std::string> check_paths_file(const std::filesystem::path& file) {
    std::vector<std::string> problems;
    auto named = [&](const std::string& problem) { problems.push_back(file.string() + ": " + problem); };
    auto content = read_small_file(file);
    if (!content) {
        named(content.error());
        return problems;
    }
    if (auto text = check_text(*content); !text) {
        named(text.error());
        return problems;
    }
    if (auto loaded = load_paths_file(*content); !loaded)
        for (const auto& problem : loaded.error()) named(problem);
    return problems;
}

}  // namespace tend::config
