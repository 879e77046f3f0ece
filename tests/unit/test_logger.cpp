#include "tend/log/logger.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tend::log {
namespace {

using namespace std::chrono;
using namespace std::string_literals;

const system_clock::time_point kLeapDay =
    sys_days{year{2024} / 2 / 29} + hours{23} + minutes{59} + seconds{59} + milliseconds{123};

// --- A small, independent JSON reader, strict enough to reject what a log
// collector would reject. -----------------------------------------------------

// Code point of the well-formed UTF-8 sequence at `text[pos]`, advancing pos.
std::optional<char32_t> decode_utf8(std::string_view text, std::size_t& pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    int length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || pos + static_cast<std::size_t>(length) > text.size()) return std::nullopt;
    char32_t code = length == 1 ? lead : lead & (0x7F >> length);
    for (int i = 1; i < length; ++i) {
        const auto next = static_cast<unsigned char>(text[pos + static_cast<std::size_t>(i)]);
        if ((next & 0xC0) != 0x80) return std::nullopt;
        code = (code << 6) | (next & 0x3F);
    }
    static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return std::nullopt;
    pos += static_cast<std::size_t>(length);
    return code;
}

bool is_valid_utf8(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (!decode_utf8(text, pos)) return false;
    }
    return true;
}

// Reads one JSON string at json[pos] and returns its decoded bytes. Only
// \u escapes below 0x80 are expected from the logger.
std::optional<std::string> read_json_string(std::string_view json, std::size_t& pos) {
    if (pos >= json.size() || json[pos] != '"') return std::nullopt;
    ++pos;
    std::string decoded;
    while (pos < json.size()) {
        const auto c = static_cast<unsigned char>(json[pos]);
        if (c == '"') {
            ++pos;
            return decoded;
        }
        if (c < 0x20) return std::nullopt;  // raw control characters are invalid JSON
        if (c == '\\') {
            if (pos + 1 >= json.size()) return std::nullopt;
            const char escape = json[pos + 1];
            pos += 2;
            switch (escape) {
                case '"': decoded += '"'; break;
                case '\\': decoded += '\\'; break;
                case '/': decoded += '/'; break;
                case 'b': decoded += '\b'; break;
                case 'f': decoded += '\f'; break;
                case 'n': decoded += '\n'; break;
                case 'r': decoded += '\r'; break;
                case 't': decoded += '\t'; break;
                case 'u': {
                    if (pos + 4 > json.size()) return std::nullopt;
                    unsigned value = 0;
                    for (int i = 0; i < 4; ++i) {
                        const char h = json[pos++];
                        value <<= 4;
                        if (h >= '0' && h <= '9') value |= static_cast<unsigned>(h - '0');
                        else if (h >= 'a' && h <= 'f') value |= static_cast<unsigned>(h - 'a' + 10);
                        else if (h >= 'A' && h <= 'F') value |= static_cast<unsigned>(h - 'A' + 10);
                        else return std::nullopt;
                    }
                    if (value >= 0x80) return std::nullopt;
                    decoded += static_cast<char>(value);
                    break;
                }
                default: return std::nullopt;
            }
            continue;
        }
        const std::size_t start = pos;
        if (!decode_utf8(json, pos)) return std::nullopt;
        decoded += json.substr(start, pos - start);
    }
    return std::nullopt;
}

struct JsonLine {
    std::string time, level, source, message;
};

// Parses exactly {"time":..,"level":..,"source":..,"message":..} (the
// logger's fixed shape), or nothing.
std::optional<JsonLine> parse_json_line(std::string_view json) {
    JsonLine line;
    std::size_t pos = 0;
    const auto expect = [&](std::string_view literal) {
        if (json.substr(pos, literal.size()) != literal) return false;
        pos += literal.size();
        return true;
    };
    const auto field = [&](std::string_view key, std::string& value) {
        auto k = read_json_string(json, pos);
        if (!k || *k != key || !expect(":")) return false;
        auto v = read_json_string(json, pos);
        if (!v) return false;
        value = *v;
        return true;
    };
    if (!expect("{") || !field("time", line.time) || !expect(",") || !field("level", line.level) ||
        !expect(",") || !field("source", line.source) || !expect(",") ||
        !field("message", line.message) || !expect("}") || pos != json.size()) {
        return std::nullopt;
    }
    return line;
}

// --- render: text ------------------------------------------------------------

struct TextCase {
    Level level;
    std::string message;
    std::string expected;
};

class RenderText : public ::testing::TestWithParam<TextCase> {};

TEST_P(RenderText, IsTendLevelMessage) {
    const TextCase& c = GetParam();
    EXPECT_EQ(render(c.level, c.message, Format::Text), c.expected);
    EXPECT_EQ(render(c.level, c.message, Format::Text, kLeapDay), c.expected) << "no time in text";
}

INSTANTIATE_TEST_SUITE_P(
    Levels, RenderText,
    ::testing::Values(TextCase{Level::Error, "boom", "tend: error: boom"},
                      TextCase{Level::Warn, "careful", "tend: warning: careful"},
                      TextCase{Level::Info, "started nginx", "tend: info: started nginx"},
                      TextCase{Level::Debug, "x=1", "tend: debug: x=1"},
                      TextCase{Level::Trace, "", "tend: trace: "},
                      // Quotes and UTF-8 pass; control bytes, C1 controls
                      // and bytes that are not UTF-8 are escaped.
                      TextCase{Level::Info, "tab\there \"q\" \xff", "tend: info: tab\\there \"q\" \\xff"},
                      TextCase{Level::Info, "caf\xc3\xa9 \xe2\x9c\x93", "tend: info: caf\xc3\xa9 \xe2\x9c\x93"},
                      TextCase{Level::Warn, "\x1b[31mred\x7f\r", "tend: warning: \\x1b[31mred\\x7f\\r"},
                      TextCase{Level::Info, "c1 \xc2\x9b end", "tend: info: c1 \\xc2\\x9b end"}));

// A service dir named "x\ntend: info: service db: ready" must not put a
// second, forged line into the text log.
TEST(RenderText, ANameWithANewlineStaysOnOneLine) {
    const std::string line =
        render(Level::Error, "/etc/services.d/x\ntend: info: service db: ready: is not a valid service name",
               Format::Text);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line, "tend: error: /etc/services.d/x\\ntend: info: service db: ready: is not a valid service name");
}

// --- render: JSON ------------------------------------------------------------

TEST(RenderJson, HasTimeLevelSourceMessageInThatOrder) {
    EXPECT_EQ(render(Level::Info, "service nginx is up", Format::Json, kLeapDay),
              R"({"time":"2024-02-29T23:59:59.123Z","level":"info","source":"tend","message":"service nginx is up"})");
}

TEST(RenderJson, LevelNames) {
    const std::vector<std::pair<Level, std::string>> cases = {
        {Level::Error, "error"}, {Level::Warn, "warning"}, {Level::Info, "info"},
        {Level::Debug, "debug"}, {Level::Trace, "trace"}};
    for (const auto& [level, name] : cases) {
        const auto parsed = parse_json_line(render(level, "m", Format::Json, kLeapDay));
        ASSERT_TRUE(parsed) << name;
        EXPECT_EQ(parsed->level, name);
        EXPECT_EQ(parsed->source, "tend");
    }
}

struct TimeCase {
    std::string name;
    system_clock::time_point time;
    std::string expected;
};

class RenderJsonTime : public ::testing::TestWithParam<TimeCase> {};

TEST_P(RenderJsonTime, IsRfc3339UtcWithMilliseconds) {
    const auto parsed = parse_json_line(render(Level::Info, "m", Format::Json, GetParam().time));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->time, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Times, RenderJsonTime,
    ::testing::Values(
        TimeCase{"Epoch", system_clock::time_point{}, "1970-01-01T00:00:00.000Z"},
        TimeCase{"LeapDay", kLeapDay, "2024-02-29T23:59:59.123Z"},
        TimeCase{"SubMillisecondsAreTruncated",
                 sys_days{year{2030} / 12 / 31} + hours{1} + microseconds{999999},
                 "2030-12-31T01:00:00.999Z"},
        TimeCase{"BeforeEpoch", system_clock::time_point{} - milliseconds{1},
                 "1969-12-31T23:59:59.999Z"}),
    [](const auto& test_info) { return test_info.param.name; });

// Fixed-width UTC timestamps order like the instants they name.
std::string time_field(system_clock::time_point time) {
    return parse_json_line(render(Level::Info, "", Format::Json, time)).value().time;
}

TEST(RenderJson, TimeIsNowWithoutExplicitTime) {
    const auto before = system_clock::now();
    const auto parsed = parse_json_line(render(Level::Info, "m", Format::Json));
    const auto after = system_clock::now();
    ASSERT_TRUE(parsed);
    EXPECT_GE(parsed->time, time_field(before));
    EXPECT_LE(parsed->time, time_field(after));
}

struct EscapeCase {
    std::string name;
    std::string message;
    std::string expected_json;  // the message's JSON string, quotes included
};

class RenderJsonEscaping : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(RenderJsonEscaping, ProducesValidJson) {
    const EscapeCase& c = GetParam();
    const std::string line = render(Level::Error, c.message, Format::Json, kLeapDay);
    const std::string head =
        R"({"time":"2024-02-29T23:59:59.123Z","level":"error","source":"tend","message":)";
    EXPECT_EQ(line, head + c.expected_json + "}");
    EXPECT_TRUE(parse_json_line(line)) << line;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RenderJsonEscaping,
    ::testing::Values(
        EscapeCase{"Plain", "abc", R"("abc")"},
        EscapeCase{"Empty", "", R"("")"},
        EscapeCase{"Quote", "say \"hi\"", R"("say \"hi\"")"},
        EscapeCase{"Backslash", "C:\\dir", R"("C:\\dir")"},
        EscapeCase{"SlashIsLeftAlone", "/etc/tend", R"("/etc/tend")"},
        EscapeCase{"Newline", "a\nb", R"("a\u000ab")"},
        EscapeCase{"TabAndCr", "\t\r", R"("\u0009\u000d")"},
        EscapeCase{"Nul", "a\0b"s, R"("a\u0000b")"},
        EscapeCase{"Escape", "\x1b[0m", R"("\u001b[0m")"},
        EscapeCase{"Unit", "\x1f", R"("\u001f")"},
        EscapeCase{"Del", "\x7f", R"("\u007f")"},
        EscapeCase{"TwoByteUtf8", "caf\xc3\xa9", "\"caf\xc3\xa9\""},
        EscapeCase{"ThreeByteUtf8", "\xe2\x82\xac", "\"\xe2\x82\xac\""},
        EscapeCase{"FourByteUtf8", "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
        EscapeCase{"LargestCodePoint", "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""},
        // Invalid UTF-8 becomes U+FFFD (EF BF BD), one per maximal ill-formed subpart.
        EscapeCase{"LoneFF", "a\xff" "b", "\"a\xef\xbf\xbd" "b\""},
        EscapeCase{"LoneContinuation", "\x80", "\"\xef\xbf\xbd\""},
        EscapeCase{"OverlongSlash", "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""},
        EscapeCase{"OverlongThreeByte", "\xe0\x80\xaf",
                   "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
        EscapeCase{"Surrogate", "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
        EscapeCase{"AboveMaxCodePoint", "\xf4\x90\x80\x80",
                   "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
        EscapeCase{"TruncatedAtEnd", "x\xe2\x82", "\"x\xef\xbf\xbd\""},
        EscapeCase{"TruncatedBeforeAscii", "\xf0\x9f\x98!", "\"\xef\xbf\xbd!\""},
        EscapeCase{"TruncatedBeforeQuote", "\xc3\"", "\"\xef\xbf\xbd\\\"\""},
        EscapeCase{"F5", "\xf5\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\""}),
    [](const auto& test_info) { return test_info.param.name; });

TEST(RenderJsonProperty, AnyBytesGiveValidJsonThatKeepsValidText) {
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int> length(0, 64);
    std::uniform_int_distribution<int> any_byte(0, 255);
    std::uniform_int_distribution<int> pick(0, 5);
    // Pieces that are likely to be cut or mixed into invalid sequences.
    const std::vector<std::string> pieces = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\"", "\\", "\n"};
    for (int round = 0; round < 5000; ++round) {
        std::string message;
        for (int i = length(rng); i > 0; --i) {
            if (pick(rng) == 0) message += pieces[static_cast<std::size_t>(any_byte(rng)) % pieces.size()];
            else message += static_cast<char>(any_byte(rng));
        }
        const std::string line = render(Level::Info, message, Format::Json, kLeapDay);
        const auto parsed = parse_json_line(line);
        ASSERT_TRUE(parsed) << "round " << round;
        if (is_valid_utf8(message)) {
            EXPECT_EQ(parsed->message, message) << "round " << round;
        } else {
            EXPECT_NE(parsed->message.find("\xef\xbf\xbd"), std::string::npos) << "round " << round;
        }
    }
}

// --- setup / enabled ---------------------------------------------------------

class LoggerState : public ::testing::Test {
protected:
    void TearDown() override { setup(2, Format::Text); }
};

struct VerbosityCase {
    int verbosity;
    bool error, warn, info, debug, trace;
};

class Verbosity : public LoggerState, public ::testing::WithParamInterface<VerbosityCase> {};

TEST_P(Verbosity, EnablesLevelsUpToIt) {
    const VerbosityCase& c = GetParam();
    setup(c.verbosity, Format::Text);
    EXPECT_EQ(enabled(Level::Error), c.error);
    EXPECT_EQ(enabled(Level::Warn), c.warn);
    EXPECT_EQ(enabled(Level::Info), c.info);
    EXPECT_EQ(enabled(Level::Debug), c.debug);
    EXPECT_EQ(enabled(Level::Trace), c.trace);
}

INSTANTIATE_TEST_SUITE_P(Levels, Verbosity,
                         ::testing::Values(VerbosityCase{-7, true, false, false, false, false},
                                           VerbosityCase{0, true, false, false, false, false},
                                           VerbosityCase{1, true, true, false, false, false},
                                           VerbosityCase{2, true, true, true, false, false},
                                           VerbosityCase{3, true, true, true, true, false},
                                           VerbosityCase{4, true, true, true, true, true},
                                           VerbosityCase{99, true, true, true, true, true}));

// --- what reaches fd 2 -------------------------------------------------------

// Points fd 2 at `fd` for the lifetime of the object.
class StderrRedirect {
public:
    explicit StderrRedirect(int fd) : saved_(::dup(2)) { ::dup2(fd, 2); }
    ~StderrRedirect() {
        ::dup2(saved_, 2);
        ::close(saved_);
    }
    StderrRedirect(const StderrRedirect&) = delete;
    StderrRedirect& operator=(const StderrRedirect&) = delete;

private:
    int saved_;
};

// A SOCK_SEQPACKET pair keeps write(2) boundaries: one recv() returns exactly
// what one write() sent, so it shows how many writes a line took.
class SeqPacketStderr : public LoggerState {
protected:
    void SetUp() override {
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds_), 0);
        redirect_.emplace(fds_[1]);
    }
    void TearDown() override {
        redirect_.reset();
        ::close(fds_[0]);
        ::close(fds_[1]);
        LoggerState::TearDown();
    }
    // Every write made so far, one string per write(2).
    std::vector<std::string> writes() {
        std::vector<std::string> got;
        std::string buffer(64 * 1024, '\0');
        for (;;) {
            const ssize_t n = ::recv(fds_[0], buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (n < 0) break;
            got.emplace_back(buffer.data(), static_cast<std::size_t>(n));
        }
        return got;
    }

private:
    int fds_[2] = {-1, -1};
    std::optional<StderrRedirect> redirect_;
};

TEST_F(SeqPacketStderr, EachLineIsOneWrite) {
    setup(2, Format::Text);
    info("service {} is up after {} tries", "nginx", 3);
    error("{}", std::string(10000, 'e'));
    EXPECT_EQ(writes(), (std::vector<std::string>{"tend: info: service nginx is up after 3 tries\n",
                                                  "tend: error: " + std::string(10000, 'e') + "\n"}));
}

TEST_F(SeqPacketStderr, LevelsBelowVerbosityAreNotWritten) {
    setup(1, Format::Text);
    info("hidden");
    debug("hidden");
    trace("hidden");
    warn("shown {}", 1);
    error("shown {}", 2);
    setup(4, Format::Text);
    trace("shown {}", 3);
    EXPECT_EQ(writes(), (std::vector<std::string>{"tend: warning: shown 1\n", "tend: error: shown 2\n",
                                                  "tend: trace: shown 3\n"}));
}

TEST_F(SeqPacketStderr, VerbosityZeroStillWritesErrors) {
    setup(0, Format::Text);
    warn("hidden");
    error("shown");
    EXPECT_EQ(writes(), std::vector<std::string>{"tend: error: shown\n"});
}

TEST_F(SeqPacketStderr, JsonFormatWritesOneObjectPerLine) {
    setup(3, Format::Json);
    const auto before = system_clock::now();
    debug("path \"{}\"\n", "/etc/x");
    const auto got = writes();
    ASSERT_EQ(got.size(), 1u);
    ASSERT_TRUE(got[0].ends_with("}\n"));
    const auto parsed = parse_json_line(std::string_view(got[0]).substr(0, got[0].size() - 1));
    ASSERT_TRUE(parsed) << got[0];
    EXPECT_EQ(parsed->level, "debug");
    EXPECT_EQ(parsed->message, "path \"/etc/x\"\n");
    EXPECT_GE(parsed->time, time_field(before));
    EXPECT_LE(parsed->time, time_field(system_clock::now()));
}

TEST_F(SeqPacketStderr, WriteKeepsErrno) {
    errno = ENOENT;
    error("something");
    EXPECT_EQ(errno, ENOENT);
    EXPECT_EQ(writes().size(), 1u);
}

// Exit code 0 when logging to a full non-blocking stderr returned at once,
// left errno alone and wrote no part of the line.
[[noreturn]] void log_to_full_pipe_in_child() {
    ::alarm(10);  // a logger that retried EAGAIN would spin: SIGALRM ends it
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) std::_Exit(10);
    const std::string filler(4096, 'f');
    while (::write(fds[1], filler.data(), filler.size()) > 0) {
    }
    if (errno != EAGAIN) std::_Exit(11);
    {
        StderrRedirect redirect(fds[1]);
        errno = 0;
        error("dropped");
        if (errno != 0) std::_Exit(12);
    }
    std::string drained;
    char buffer[65536];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) {
        drained.append(buffer, static_cast<std::size_t>(n));
    }
    std::_Exit(drained.find("dropped") == std::string::npos ? 0 : 13);
}

TEST(LoggerWrite, FullNonBlockingStderrDropsTheLineWithoutBlocking) {
    EXPECT_EXIT(log_to_full_pipe_in_child(), ::testing::ExitedWithCode(0), "");
}

TEST_F(LoggerState, ClosedStderrIsSurvived) {
    // EPIPE (SIGPIPE is ignored here as tend ignores it) and EBADF.
    struct sigaction ignore {}, previous{};
    ignore.sa_handler = SIG_IGN;
    ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &previous), 0);
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    ::close(fds[0]);
    {
        StderrRedirect redirect(fds[1]);
        error("to a pipe without reader");
    }
    ::close(fds[1]);
    ::sigaction(SIGPIPE, &previous, nullptr);

    const int saved = ::dup(2);
    ::close(2);
    error("to a closed fd");
    ::dup2(saved, 2);
    ::close(saved);
    SUCCEED() << "reached: no crash, no exception";
}

// Runs in a fresh process (threadsafe death-test style re-executes the test
// binary), so no other test has called setup() yet.
[[noreturn]] void check_defaults_in_fresh_process() {
    const auto thread_count = [] {
        std::size_t count = 0;
        for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++count;
        return count;
    };
    const std::size_t threads_before = thread_count();
    if (!enabled(Level::Info)) std::_Exit(1);
    if (enabled(Level::Debug)) std::_Exit(2);
    debug("not shown");
    info("default-probe {}", 42);
    if (thread_count() != threads_before) std::_Exit(3);
    std::_Exit(0);
}

TEST(LoggerDefaults, TextAtVerbosityTwoBeforeSetupAndNoThreads) {
    const std::string previous_style = GTEST_FLAG_GET(death_test_style);
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(check_defaults_in_fresh_process(), ::testing::ExitedWithCode(0),
                "^tend: info: default-probe 42\n$");
    GTEST_FLAG_SET(death_test_style, previous_style);
}

}  // namespace
}  // namespace tend::log
