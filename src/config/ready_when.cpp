// Parsing a `ready-when` file (see ready_when.hpp).
#include "tend/config/ready_when.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "tend/config/file_reader.hpp"

namespace tend::config {
namespace {

constexpr std::string_view kForms = "socket PATH, tcp [HOST:]PORT or file PATH";
// sun_path holds the path and its terminating NUL.
constexpr std::size_t kMaxSocketPath = sizeof(sockaddr_un{}.sun_path) - 1;
constexpr std::size_t kMaxFilePath = PATH_MAX - 1;

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> result;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_blank(text[i])) ++i;
        std::size_t start = i;
        while (i < text.size() && !is_blank(text[i])) ++i;
        if (i > start) result.push_back(text.substr(start, i - start));
    }
    return result;
}

std::expected<std::uint16_t, std::string> parse_port(std::string_view text, std::string_view written) {
    if (text.empty()) return std::unexpected("missing port in " + quoted(written) + " (expected [HOST:]PORT)");
    unsigned long value = 0;
    bool digits = text.size() <= 5 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) {
        for (char c : text) value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    if (!digits || value < 1 || value > 65535)
        return std::unexpected(quoted(text) + " is not a port number from 1 to 65535");
    return static_cast<std::uint16_t>(value);
}

std::expected<void, std::string> parse_path(std::string_view kind, std::string_view argument, std::size_t max,
                                            ReadyWhen& result) {
    if (argument.front() != '/') return std::unexpected(quoted(argument) + " is not an absolute path");
    if (argument.size() > max) {
        std::string limit = kind == "socket" ? "a unix socket path has at most " : "a path has at most ";
        return std::unexpected(quoted(argument) + " is " + std::to_string(argument.size()) + " bytes long: " +
                               limit + std::to_string(max));
    }
    result.path = std::string(argument);
    return {};
}

// `[HOST:]PORT`, HOST = dotted IPv4, `[IPv6]` or `localhost`.
std::expected<void, std::string> parse_tcp(std::string_view argument, ReadyWhen& result) {
    std::string_view host;
    std::string_view port;
    if (argument.front() == '[') {
        const auto close = argument.find(']');
        if (close == std::string_view::npos)
            return std::unexpected(quoted(argument) + " has no ']' after the IPv6 address");
        host = argument.substr(1, close - 1);
        std::string_view rest = argument.substr(close + 1);
        if (rest.empty() || rest.front() != ':')
            return std::unexpected("missing port in " + quoted(argument) + " (expected [IPv6]:PORT)");
        port = rest.substr(1);
        const std::string host_text(host);
        if (::inet_pton(AF_INET6, host_text.c_str(), result.address.data()) != 1)
            return std::unexpected(quoted(host) + " is not a numeric IPv6 address");
        result.family = AF_INET6;
    } else {
        const auto colon = argument.rfind(':');
        if (colon == std::string_view::npos) {
            port = argument;
        } else {
            host = argument.substr(0, colon);
            port = argument.substr(colon + 1);
            if (host.find(':') != std::string_view::npos)
                return std::unexpected(quoted(argument) + ": an IPv6 address needs brackets, as in [::1]:80");
        }
        const std::string host_text = host.empty() || host == "localhost" ? "127.0.0.1" : std::string(host);
        if (::inet_pton(AF_INET, host_text.c_str(), result.address.data()) != 1) {
            const bool numeric = std::all_of(host.begin(), host.end(),
                                             [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
            if (numeric) return std::unexpected(quoted(host) + " is not a numeric IPv4 address");
            return std::unexpected(quoted(host) +
                                   " is a host name, which tend cannot resolve (a static binary has no resolver): "
                                   "use a numeric address, [IPv6] or localhost");
        }
        result.family = AF_INET;
    }
    auto number = parse_port(port, argument);
    if (!number) return std::unexpected(number.error());
    result.port = *number;
    return {};
}

}  // namespace

std::expected<ReadyWhen, std::string> parse_ready_when(std::string_view content) {
    try {
        const std::string text(content);
        if (auto ok = check_text(text); !ok) return std::unexpected(ok.error());
        const auto lines = meaningful_lines(text);
        if (lines.empty()) return std::unexpected("is empty: expected " + std::string(kForms));
        if (lines.size() > 1)
            return std::unexpected("has " + std::to_string(lines.size()) + " lines: expected one, " +
                                   std::string(kForms));

        const auto parts = words(lines.front());
        const std::string_view kind = parts.front();
        ReadyWhen result;
        std::string_view form;
        if (kind == "socket") {
            result.kind = ReadyWhen::Kind::Socket;
            form = "socket PATH";
        } else if (kind == "tcp") {
            result.kind = ReadyWhen::Kind::Tcp;
            form = "tcp [HOST:]PORT";
        } else if (kind == "file") {
            result.kind = ReadyWhen::Kind::File;
            form = "file PATH";
        } else {
            return std::unexpected("unknown kind " + quoted(kind) + " (expected " + std::string(kForms) + ")");
        }
        if (parts.size() == 1) return std::unexpected("missing argument: expected " + std::string(form));
        if (parts.size() > 2)
            return std::unexpected(std::to_string(parts.size() - 1) + " arguments after " + quoted(kind) +
                                   ": expected one, " + std::string(form) +
                                   (kind == "tcp" ? "" : " (a path with blanks is not supported)"));

        const std::string_view argument = parts[1];
        std::expected<void, std::string> parsed;
        switch (result.kind) {
            case ReadyWhen::Kind::Socket: parsed = parse_path(kind, argument, kMaxSocketPath, result); break;
            case ReadyWhen::Kind::File: parsed = parse_path(kind, argument, kMaxFilePath, result); break;
            case ReadyWhen::Kind::Tcp: parsed = parse_tcp(argument, result); break;
        }
        if (!parsed) return std::unexpected(parsed.error());
        return result;
    } catch (...) {
        return std::unexpected(std::string("out of memory"));
    }
}

std::string describe(const ReadyWhen& condition) {
    switch (condition.kind) {
        case ReadyWhen::Kind::Socket: return "socket " + condition.path;
        case ReadyWhen::Kind::File: return "file " + condition.path;
        case ReadyWhen::Kind::Tcp: break;
    }
    char host[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(condition.family, condition.address.data(), host, sizeof host);
    const std::string port = std::to_string(condition.port);
    if (condition.family == AF_INET6) return "tcp [" + std::string(host) + "]:" + port;
    return "tcp " + std::string(host) + ":" + port;
}

}  // namespace tend::config
