// The control protocol, as pure functions (no I/O), so every malformed input
// is a unit test.
//
// One request per connection, one line:
//     tend-ctl/1 WORD WORD ...\n
// Words are separated by one space. Inside a word, '%', bytes up to and
// including ' ', and bytes from 0x7f on are written as %XX (upper-case hex),
// so any argument (a name with a blank, an empty word written as "%") survives
// and the line never holds a raw newline. The whole line, newline included,
// is at most kMaxRequestBytes.
//
// The reply is a status line and a free-form body, then the server closes:
//     tend-ctl/1 CODE\n
//     BODY...
// CODE is what `tend ctl` exits with: 0 done, 1 refused (the body says why),
// 2 usage, 3 not allowed. A peer speaking another version gets a reply in its
// own words' place: "tend-ctl/1 2\n" and a body naming both versions.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace tend::control {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::string_view kProtocolTag = "tend-ctl/";
inline constexpr std::size_t kMaxRequestBytes = 4096;

enum ReplyCode : int { kDone = 0, kRefused = 1, kUsage = 2, kDenied = 3 };

struct Request {
    std::vector<std::string> words;  // command and its arguments; never empty
};

struct Reply {
    int code = kDone;
    std::string body;
};

// "%"-escaping of one word; the empty word is "%" alone (a lone '%' can never
// be the escape of anything else).
std::string escape_word(std::string_view word);
std::expected<std::string, std::string> unescape_word(std::string_view text);

// The request line for `words` (with its newline). Fails when the result
// would be longer than kMaxRequestBytes or words is empty.
std::expected<std::string, std::string> encode_request(const std::vector<std::string>& words);
// Parses one request line (with or without its newline). The error is the
// body of a usage reply: what is wrong, in words a user understands.
std::expected<Request, std::string> parse_request(std::string_view line);

std::string encode_reply(const Reply& reply);
// Parses a complete reply (everything the server sent before closing).
std::expected<Reply, std::string> parse_reply(std::string_view data);

// Collects a request from the bytes a connection delivers, bounded.
class RequestReader {
public:
    enum class Status { NeedMore, Complete, TooLarge };

    // Appends `data`; never keeps more than kMaxRequestBytes.
    Status feed(std::string_view data);
    // The line so far (complete: up to, without, the newline).
    std::string_view line() const { return line_; }
    Status status() const { return status_; }

private:
    std::string line_;
    Status status_ = Status::NeedMore;
};

}  // namespace tend::control
