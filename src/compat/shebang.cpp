#include "tend/compat/shebang.hpp"

namespace tend::compat {
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

ExeclineWords split_execline(std::string_view body) {
    ExeclineWords result;
    std::size_t i = 0;
    const std::size_t n = body.size();
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (i < n) {
        while (i < n && blank(body[i])) ++i;
        if (i >= n) break;
        if (body[i] == '#') {  // a comment runs to the end of the line
            while (i < n && body[i] != '\n') ++i;
            continue;
        }
        std::string word;
        bool quoted_any = false;
        while (i < n && !blank(body[i])) {
            char c = body[i];
            if (c == '"') {
                quoted_any = true;
                ++i;
                bool closed = false;
                while (i < n) {
                    char q = body[i++];
                    if (q == '"') {
                        closed = true;
                        break;
                    }
                    if (q == '\\' && i < n) {
                        char e = body[i++];
                        switch (e) {
                            case 'n': word += '\n'; break;
                            case 't': word += '\t'; break;
                            case 'r': word += '\r'; break;
                            case '\n': break;  // line continuation
                            default: word += e; break;
                        }
                        continue;
                    }
                    if (q == '$') result.simple = false;
                    word += q;
                }
                if (!closed) {
                    result.error = "unterminated double quote";
                    return result;
                }
                continue;
            }
            if (c == '\\' && i + 1 < n) {
                word += body[i + 1];
                i += 2;
                continue;
            }
            if (c == '$') result.simple = false;
            word += c;
            ++i;
        }
        if (!quoted_any && (word == "{" || word == "}" || word == "")) result.simple = false;
        result.words.push_back(std::move(word));
    }
    return result;
}

}  // namespace tend::compat
