#include "tend/s6/shebang.hpp"

namespace tend::s6 {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view basename_of(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && (is_blank(text.back()) || text.back() == '\r')) text.remove_suffix(1);
    return text;
}

}  // namespace

std::optional<Shebang> parse_shebang(std::string_view first_bytes) {
    if (!first_bytes.starts_with("#!")) return std::nullopt;
    std::string_view line = first_bytes.substr(2);
    if (auto newline = line.find('\n'); newline != std::string_view::npos) line = line.substr(0, newline);
    line = trim(line);
    std::size_t end = 0;
    while (end < line.size() && !is_blank(line[end])) ++end;
    if (end == 0) return std::nullopt;
    Shebang shebang;
    shebang.interpreter = std::string(line.substr(0, end));
    std::string_view rest = trim(line.substr(end));
    if (!rest.empty()) {
        shebang.argument = std::string(rest);
        std::size_t i = 0;
        while (i < rest.size()) {
            while (i < rest.size() && is_blank(rest[i])) ++i;
            std::size_t start = i;
            while (i < rest.size() && !is_blank(rest[i])) ++i;
            if (i > start) shebang.words.emplace_back(rest.substr(start, i - start));
        }
    }
    return shebang;
}

InterpreterKind classify_interpreter(std::string_view interpreter) {
    std::string_view name = basename_of(interpreter);
    if (name == "with-contenv") return InterpreterKind::WithContenv;
    if (name == "execlineb") return InterpreterKind::Execlineb;
    return InterpreterKind::Other;
}

std::string_view after_first_line(std::string_view content) {
    auto newline = content.find('\n');
    return newline == std::string_view::npos ? std::string_view{} : content.substr(newline + 1);
}

}  // namespace tend::s6
