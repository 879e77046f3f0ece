#include "tend/control/protocol.hpp"

#include <charconv>

namespace tend::control {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool needs_escape(unsigned char c) { return c == '%' || c <= ' ' || c >= 0x7f; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::string version_tag() { return std::string(kProtocolTag) + std::to_string(kProtocolVersion); }

// "tend-ctl/N" -> N; anything else: not our protocol at all.
std::expected<int, std::string> parse_version(std::string_view word) {
    if (!word.starts_with(kProtocolTag))
        return std::unexpected("not a tend control request (expected it to start with " + version_tag() + ")");
    std::string_view digits = word.substr(kProtocolTag.size());
    int version = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
    if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size())
        return std::unexpected("bad protocol version '" + std::string(word) + "'");
    return version;
}

}  // namespace

std::string escape_word(std::string_view word) {
    if (word.empty()) return "%";
    std::string out;
    out.reserve(word.size());
    for (char ch : word) {
        auto c = static_cast<unsigned char>(ch);
        if (needs_escape(c)) {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        } else {
            out += ch;
        }
    }
    return out;
}

std::expected<std::string, std::string> unescape_word(std::string_view text) {
    if (text == "%") return std::string();
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c != '%') {
            if (needs_escape(c)) return std::unexpected(std::string("control character in request"));
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return std::unexpected(std::string("truncated %-escape"));
        int high = hex_value(text[i + 1]);
        int low = hex_value(text[i + 2]);
        if (high < 0 || low < 0) return std::unexpected(std::string("bad %-escape"));
        out += static_cast<char>(high << 4 | low);
        i += 2;
    }
    return out;
}

std::expected<std::string, std::string> encode_request(const std::vector<std::string>& words) {
    if (words.empty()) return std::unexpected(std::string("no command"));
    std::string line = version_tag();
    for (const auto& word : words) {
        line += ' ';
        line += escape_word(word);
    }
    line += '\n';
    if (line.size() > kMaxRequestBytes)
        return std::unexpected("request too long (" + std::to_string(line.size()) + " bytes, at most " +
                               std::to_string(kMaxRequestBytes) + ")");
    return line;
}

std::expected<Request, std::string> parse_request(std::string_view line) {
    if (line.ends_with('\n')) line.remove_suffix(1);
    if (line.size() >= kMaxRequestBytes)
        return std::unexpected("request too long (at most " + std::to_string(kMaxRequestBytes) + " bytes)");
    if (line.empty()) return std::unexpected(std::string("empty request"));
    std::vector<std::string_view> raw;
    std::size_t start = 0;
    while (start <= line.size()) {
        std::size_t end = line.find(' ', start);
        if (end == std::string_view::npos) end = line.size();
        raw.push_back(line.substr(start, end - start));
        start = end + 1;
    }
    auto version = parse_version(raw.front());
    if (!version) return std::unexpected(version.error());
    if (*version != kProtocolVersion)
        return std::unexpected("protocol version " + std::to_string(*version) + " is not supported: this tend speaks " +
                               version_tag() + "; use the tend binary of the running container");
    Request request;
    for (std::size_t i = 1; i < raw.size(); ++i) {
        if (raw[i].empty()) return std::unexpected(std::string("malformed request (two blanks in a row)"));
        auto word = unescape_word(raw[i]);
        if (!word) return std::unexpected("malformed request: " + word.error());
        request.words.push_back(std::move(*word));
    }
    if (request.words.empty()) return std::unexpected(std::string("no command"));
    return request;
}

std::string encode_reply(const Reply& reply) {
    return version_tag() + " " + std::to_string(reply.code) + "\n" + reply.body;
}

std::expected<Reply, std::string> parse_reply(std::string_view data) {
    std::size_t newline = data.find('\n');
    if (newline == std::string_view::npos) return std::unexpected(std::string("incomplete reply from tend"));
    std::string_view status = data.substr(0, newline);
    std::size_t blank = status.find(' ');
    if (blank == std::string_view::npos) return std::unexpected(std::string("malformed reply from tend"));
    auto version = parse_version(status.substr(0, blank));
    if (!version) return std::unexpected("malformed reply from tend: " + version.error());
    if (*version != kProtocolVersion)
        return std::unexpected("tend answered with protocol version " + std::to_string(*version) + ", this client speaks " +
                               version_tag());
    std::string_view digits = status.substr(blank + 1);
    int code = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), code);
    if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size() || code < 0 || code > 255)
        return std::unexpected(std::string("malformed reply status from tend"));
    return Reply{code, std::string(data.substr(newline + 1))};
}

RequestReader::Status RequestReader::feed(std::string_view data) {
    if (status_ != Status::NeedMore) return status_;
    std::size_t newline = data.find('\n');
    std::string_view part = newline == std::string_view::npos ? data : data.substr(0, newline);
    // kMaxRequestBytes counts the newline too.
    if (line_.size() + part.size() + 1 > kMaxRequestBytes) {
        status_ = Status::TooLarge;
        line_.clear();
        return status_;
    }
    line_.append(part);
    if (newline != std::string_view::npos) status_ = Status::Complete;
    return status_;
}

}  // namespace tend::control
