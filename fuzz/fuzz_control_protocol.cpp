// The control protocol: parse_request/parse_reply/RequestReader on any bytes,
// and parsed requests re-encode to something that parses to the same words.
#include "fuzz_input.hpp"
#include "tend/control/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tend::control;
    const auto text = tend::fuzz::as_text(data, size);

    if (const auto request = parse_request(text)) {
        tend::fuzz::require(!request->words.empty(), "a request has a command");
        const auto line = encode_request(request->words);
        if (line) {
            const auto again = parse_request(*line);
            tend::fuzz::require(again.has_value() && again->words == request->words, "request round-trip");
        }
    }
    (void)parse_reply(text);
    if (const auto word = unescape_word(text)) {
        tend::fuzz::require(unescape_word(escape_word(*word)) == *word, "word round-trip");
    }

    // Fed in two pieces, as a connection might deliver it.
    RequestReader reader;
    const std::size_t half = text.size() / 2;
    auto status = reader.feed(text.substr(0, half));
    if (status == RequestReader::Status::NeedMore) status = reader.feed(text.substr(half));
    tend::fuzz::require(reader.line().size() <= kMaxRequestBytes, "reader stays bounded");
    if (status == RequestReader::Status::Complete) {
        tend::fuzz::require(reader.line().find('\n') == std::string_view::npos, "a complete line has no newline");
    }
    return 0;
}
