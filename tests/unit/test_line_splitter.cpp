#include "tend/log/line_splitter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace tend::log {
namespace {

constexpr std::string_view kPrefix = "svc | ";

std::string feed_all(std::string_view input, bool flush = true) {
    LineSplitter splitter{std::string(kPrefix)};
    std::string out;
    splitter.feed(input, out);
    if (flush) splitter.flush(out);
    return out;
}

std::string feed_in_chunks(std::string_view input, const std::vector<std::size_t>& sizes) {
    LineSplitter splitter{std::string(kPrefix)};
    std::string out;
    std::size_t index = 0;
    bool pending_stayed_bounded = true;
    while (!input.empty()) {
        const std::size_t size = std::min(std::max<std::size_t>(sizes[index++ % sizes.size()], 1),
                                          input.size());
        splitter.feed(input.substr(0, size), out);
        pending_stayed_bounded = pending_stayed_bounded && splitter.pending() <= kMaxLineBytes;
        input.remove_prefix(size);
    }
    EXPECT_TRUE(pending_stayed_bounded);
    splitter.flush(out);
    return out;
}

std::string prefixed(std::string_view body) { return std::string(kPrefix) + std::string(body) + "\n"; }

struct SplitCase {
    std::string name;
    std::string input;
    std::string expected_without_flush;
    std::string expected_after_flush;
};

class LineSplitterTable : public ::testing::TestWithParam<SplitCase> {};

TEST_P(LineSplitterTable, SplitsAndPrefixes) {
    const SplitCase& c = GetParam();
    LineSplitter splitter{std::string(kPrefix)};
    std::string out;
    splitter.feed(c.input, out);
    EXPECT_EQ(out, c.expected_without_flush);
    splitter.flush(out);
    EXPECT_EQ(out, c.expected_after_flush);
    EXPECT_EQ(splitter.pending(), 0u);
}

using namespace std::string_literals;

INSTANTIATE_TEST_SUITE_P(
    Cases, LineSplitterTable,
    ::testing::Values(
        SplitCase{"Nothing", "", "", ""},
        SplitCase{"OneLine", "hello\n", "svc | hello\n", "svc | hello\n"},
        SplitCase{"TwoLines", "a\nb\n", "svc | a\nsvc | b\n", "svc | a\nsvc | b\n"},
        SplitCase{"PartialIsHeldUntilFlush", "a\nbc", "svc | a\n", "svc | a\nsvc | bc\n"},
        // An empty line loses the prefix's trailing space: no trailing whitespace.
        SplitCase{"EmptyLine", "\n", "svc |\n", "svc |\n"},
        SplitCase{"EmptyLinesBetween", "a\n\n\nb\n", "svc | a\nsvc |\nsvc |\nsvc | b\n",
                  "svc | a\nsvc |\nsvc |\nsvc | b\n"},
        SplitCase{"CarriageReturnIsKept", "dos\r\n\r\n", "svc | dos\r\nsvc | \r\n",
                  "svc | dos\r\nsvc | \r\n"},
        SplitCase{"LoneCarriageReturnIsNotANewline", "a\rb", "", "svc | a\rb\n"},
        SplitCase{"BinaryBytesPassThrough", "\0\xff\x01\x1b[31m\n"s, "svc | \0\xff\x01\x1b[31m\n"s,
                  "svc | \0\xff\x01\x1b[31m\n"s}),
    [](const auto& test_info) { return test_info.param.name; });

TEST(LineSplitter, PrefixWithoutTrailingSpaceIsKeptWholeOnEmptyLine) {
    LineSplitter splitter{"x|"};
    std::string out;
    splitter.feed("\n", out);
    EXPECT_EQ(out, "x|\n");
}

TEST(LineSplitter, EmptyPrefixGivesRawLines) {
    LineSplitter splitter{""};
    std::string out;
    splitter.feed("a\n\nb", out);
    splitter.flush(out);
    EXPECT_EQ(out, "a\n\nb\n");
}

TEST(LineSplitter, AppendsToExistingOutput) {
    LineSplitter splitter{std::string(kPrefix)};
    std::string out = "already there\n";
    splitter.feed("x\n", out);
    EXPECT_EQ(out, "already there\nsvc | x\n");
}

TEST(LineSplitter, FlushTwiceEmitsOnce) {
    LineSplitter splitter{std::string(kPrefix)};
    std::string out;
    splitter.feed("tail", out);
    EXPECT_EQ(splitter.pending(), 4u);
    splitter.flush(out);
    splitter.flush(out);
    EXPECT_EQ(out, "svc | tail\n");
}

TEST(LineSplitter, FeedingAfterFlushStartsANewLine) {
    LineSplitter splitter{std::string(kPrefix)};
    std::string out;
    splitter.feed("ab", out);
    splitter.flush(out);
    splitter.feed("cd\n", out);
    EXPECT_EQ(out, "svc | ab\nsvc | cd\n");
}

struct LongLineCase {
    std::string name;
    std::size_t length;
    bool newline;
    std::vector<std::size_t> piece_lengths;
};

class LongLines : public ::testing::TestWithParam<LongLineCase> {};

// The line is made of distinct bytes so a misplaced cut changes the output.
std::string patterned(std::size_t length) {
    std::string s(length, '\0');
    for (std::size_t i = 0; i < length; ++i) s[i] = static_cast<char>('a' + i % 23);
    return s;
}

TEST_P(LongLines, AreCutIntoPiecesOfMaxLineBytes) {
    const LongLineCase& c = GetParam();
    const std::string line = patterned(c.length);
    std::string expected;
    std::size_t offset = 0;
    for (const std::size_t piece : c.piece_lengths) {
        expected += prefixed(std::string_view(line).substr(offset, piece));
        offset += piece;
    }
    ASSERT_EQ(offset, c.length);

    const std::string input = line + (c.newline ? "\n" : "");
    EXPECT_EQ(feed_all(input), expected);
    EXPECT_EQ(feed_in_chunks(input, {1}), expected);
    EXPECT_EQ(feed_in_chunks(input, {kMaxLineBytes}), expected);
    EXPECT_EQ(feed_in_chunks(input, {4095, 1, 12289}), expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LongLines,
    ::testing::Values(
        LongLineCase{"JustBelow", kMaxLineBytes - 1, true, {kMaxLineBytes - 1}},
        LongLineCase{"Exactly16384", kMaxLineBytes, true, {kMaxLineBytes}},
        LongLineCase{"Exactly16385", kMaxLineBytes + 1, true, {kMaxLineBytes, 1}},
        LongLineCase{"Exactly32768", 2 * kMaxLineBytes, true, {kMaxLineBytes, kMaxLineBytes}},
        LongLineCase{"Exactly32769", 2 * kMaxLineBytes + 1, true,
                     {kMaxLineBytes, kMaxLineBytes, 1}},
        LongLineCase{"Exactly16384Unterminated", kMaxLineBytes, false, {kMaxLineBytes}},
        LongLineCase{"Exactly32768Unterminated", 2 * kMaxLineBytes, false,
                     {kMaxLineBytes, kMaxLineBytes}}),
    [](const auto& test_info) { return test_info.param.name; });

TEST(LineSplitter, FullPieceWaitsForTheNextByte) {
    // 16384 bytes could still be a whole line: nothing is emitted until the
    // next byte says whether it is.
    LineSplitter splitter{std::string(kPrefix)};
    std::string out;
    splitter.feed(patterned(kMaxLineBytes), out);
    EXPECT_EQ(out, "");
    EXPECT_EQ(splitter.pending(), kMaxLineBytes);
    splitter.feed("x", out);
    EXPECT_EQ(out, prefixed(patterned(kMaxLineBytes)));
    EXPECT_EQ(splitter.pending(), 1u);
}

// Random input: short and long lines, empty lines, CRs, any byte value.
std::string random_input(std::mt19937& rng) {
    std::uniform_int_distribution<int> line_count(0, 12);
    std::uniform_int_distribution<int> shape(0, 9);
    std::uniform_int_distribution<int> any_byte(0, 255);
    std::string input;
    const int lines = line_count(rng);
    for (int i = 0; i < lines; ++i) {
        std::size_t length = 0;
        switch (shape(rng)) {
            case 0: length = 0; break;
            case 1: length = kMaxLineBytes - 1 + std::uniform_int_distribution<std::size_t>(0, 2)(rng); break;
            case 2: length = std::uniform_int_distribution<std::size_t>(kMaxLineBytes, 3 * kMaxLineBytes + 5)(rng); break;
            default: length = std::uniform_int_distribution<std::size_t>(1, 200)(rng); break;
        }
        for (std::size_t j = 0; j < length; ++j) {
            char c = static_cast<char>(any_byte(rng));
            if (c == '\n') c = '\r';
            input += c;
        }
        // The last line is sometimes left unterminated, to exercise flush().
        if (i + 1 < lines || shape(rng) < 7) input += '\n';
    }
    return input;
}

TEST(LineSplitterProperty, ChunkingDoesNotChangeTheOutput) {
    std::mt19937 rng(20240501);
    for (int round = 0; round < 60; ++round) {
        const std::string input = random_input(rng);
        const std::string one_shot = feed_all(input);
        EXPECT_EQ(feed_in_chunks(input, {1}), one_shot) << "round " << round;

        // Tiny chunks in some rounds, chunks spanning several lines in others.
        const std::size_t max_chunk = round % 3 == 0 ? 7 : 3 * kMaxLineBytes;
        std::uniform_int_distribution<std::size_t> chunk(1, max_chunk);
        std::vector<std::size_t> sizes;
        for (int i = 0; i < 16; ++i) sizes.push_back(chunk(rng));
        EXPECT_EQ(feed_in_chunks(input, sizes), one_shot) << "round " << round;
    }
}

TEST(LineSplitterProperty, NothingIsDroppedAndEveryLineIsBounded) {
    std::mt19937 rng(7);
    for (int round = 0; round < 60; ++round) {
        const std::string input = random_input(rng);
        const std::string output = feed_all(input);

        // Every output line starts with the prefix (or its trimmed form on an
        // empty line) and carries at most kMaxLineBytes of the input.
        std::string content;
        std::size_t start = 0;
        while (start < output.size()) {
            const std::size_t end = output.find('\n', start);
            ASSERT_NE(end, std::string::npos) << "output must end with a newline";
            std::string_view line = std::string_view(output).substr(start, end - start);
            if (line == "svc |") {
                line = {};
            } else {
                ASSERT_TRUE(line.starts_with(kPrefix)) << "round " << round;
                line.remove_prefix(kPrefix.size());
                ASSERT_FALSE(line.empty());
            }
            EXPECT_LE(line.size(), kMaxLineBytes);
            content += line;
            start = end + 1;
        }
        std::string input_without_newlines = input;
        std::erase(input_without_newlines, '\n');
        EXPECT_EQ(content, input_without_newlines) << "round " << round;
    }
}

// Unprefixed output (the default) takes a shortcut for whole lines; it must
// cut exactly where the prefixed path does, however the input is chunked.
TEST(LineSplitterProperty, UnprefixedCutsWhereThePrefixedPathDoes) {
    std::mt19937 rng(4242);
    for (int round = 0; round < 60; ++round) {
        const std::string input = random_input(rng);
        std::string reference;
        const std::string prefixed = feed_all(input);
        for (std::string_view rest = prefixed; !rest.empty();) {
            std::size_t end = rest.find('\n');
            std::string_view line = rest.substr(0, end);
            line.remove_prefix(line == "svc |" ? line.size() : kPrefix.size());
            reference += line;
            reference += '\n';
            rest.remove_prefix(end + 1);
        }
        std::uniform_int_distribution<std::size_t> chunk(1, round % 2 == 0 ? kMaxLineBytes : 3 * kMaxLineBytes);
        LineSplitter splitter{""};
        std::string out;
        for (std::size_t at = 0; at < input.size();) {
            const std::size_t size = std::min(chunk(rng), input.size() - at);
            splitter.feed(std::string_view(input).substr(at, size), out);
            at += size;
        }
        splitter.flush(out);
        EXPECT_EQ(out, reference) << "round " << round;
    }
}

// --- OutputQueue ------------------------------------------------------------

struct Pipe {
    int read_fd = -1;
    int write_fd = -1;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0) {
            read_fd = fds[0];
            write_fd = fds[1];
        }
    }
    ~Pipe() {
        if (read_fd >= 0) ::close(read_fd);
        if (write_fd >= 0) ::close(write_fd);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    // Everything readable right now (the read end is non-blocking).
    std::string drain() const {
        std::string got;
        char buffer[8192];
        for (;;) {
            const ssize_t n = ::read(read_fd, buffer, sizeof buffer);
            if (n > 0) {
                got.append(buffer, static_cast<std::size_t>(n));
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                break;
            }
        }
        return got;
    }
};

std::string record(int number) {
    // Distinct, variable-length records so reordering or loss shows.
    return "record " + std::to_string(number) + " " + std::string(static_cast<std::size_t>(number % 97), 'x') + "\n";
}

TEST(OutputQueue, StartsEmptyAndWritingNothingSucceeds) {
    Pipe pipe;
    ASSERT_GE(pipe.write_fd, 0);
    OutputQueue queue(pipe.write_fd);
    EXPECT_TRUE(queue.empty());
    EXPECT_FALSE(queue.full());
    EXPECT_EQ(queue.fd(), pipe.write_fd);
    EXPECT_TRUE(queue.write_some());
    EXPECT_EQ(pipe.drain(), "");
}

TEST(OutputQueue, WritesEverythingWhenTheFdHasRoom) {
    Pipe pipe;
    ASSERT_GE(pipe.write_fd, 0);
    OutputQueue queue(pipe.write_fd);
    queue.append("one\n");
    queue.append("two\n");
    EXPECT_EQ(queue.size(), 8u);
    EXPECT_TRUE(queue.write_some());
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(pipe.drain(), "one\ntwo\n");
}

TEST(OutputQueue, BecomesFullWhenTheReaderIsSlowAndDrainsInOrder) {
    Pipe pipe;
    ASSERT_GE(pipe.write_fd, 0);
    constexpr std::size_t kHighWater = 16 * 1024;
    OutputQueue queue(pipe.write_fd, kHighWater);

    std::string sent;
    int next = 0;
    while (!queue.full()) {
        ASSERT_LT(next, 100000) << "the pipe never filled up";
        const std::string r = record(next++);
        sent += r;
        queue.append(r);
        ASSERT_TRUE(queue.write_some()) << "EAGAIN must not count as an error";
    }
    EXPECT_GE(queue.size(), kHighWater);
    // The pipe took what it could; the rest waits in the queue.
    EXPECT_LT(queue.size(), sent.size());
    // The queue does not grow past the mark by more than the last append.
    EXPECT_LT(queue.size(), kHighWater + record(next - 1).size());

    std::string received;
    int rounds = 0;
    while (!queue.empty()) {
        ASSERT_LT(rounds++, 10000) << "queue did not drain";
        received += pipe.drain();
        ASSERT_TRUE(queue.write_some());
    }
    EXPECT_FALSE(queue.full());
    received += pipe.drain();
    EXPECT_EQ(received, sent);
}

TEST(OutputQueue, KeepsOrderOverManyPartialWrites) {
    // Many cycles of "append more than the pipe takes, read a little" go
    // through partial writes and compaction of the buffer.
    Pipe pipe;
    ASSERT_GE(pipe.write_fd, 0);
    OutputQueue queue(pipe.write_fd, 64 * 1024);
    std::mt19937 rng(99);
    std::uniform_int_distribution<int> batch(1, 400);

    std::string sent;
    std::string received;
    int next = 0;
    for (int cycle = 0; cycle < 300; ++cycle) {
        for (int i = batch(rng); i > 0 && !queue.full(); --i) {
            const std::string r = record(next++);
            sent += r;
            queue.append(r);
        }
        ASSERT_TRUE(queue.write_some());
        // Read only part of the pipe: a slow reader.
        char buffer[5000];
        const ssize_t n = ::read(pipe.read_fd, buffer, std::uniform_int_distribution<std::size_t>(1, sizeof buffer)(rng));
        if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
    }
    int rounds = 0;
    while (!queue.empty()) {
        ASSERT_LT(rounds++, 100000);
        received += pipe.drain();
        ASSERT_TRUE(queue.write_some());
    }
    received += pipe.drain();
    EXPECT_EQ(received, sent);
}

TEST(OutputQueue, HardErrorDropsTheBufferAndReportsFalse) {
    Pipe pipe;
    ASSERT_GE(pipe.read_fd, 0);
    // Writing to the read end of a pipe fails with EBADF: a hard error.
    OutputQueue queue(pipe.read_fd);
    queue.append("lost\n");
    EXPECT_FALSE(queue.write_some());
    EXPECT_TRUE(queue.empty());
    // The queue stays usable (and keeps failing on the same fd).
    queue.append("again\n");
    EXPECT_FALSE(queue.write_some());
    EXPECT_TRUE(queue.empty());
}

TEST(OutputQueue, DoesNotChangeTheFdFlags) {
    Pipe pipe;
    ASSERT_GE(pipe.write_fd, 0);
    const int status_before = ::fcntl(pipe.write_fd, F_GETFL);
    const int fd_flags_before = ::fcntl(pipe.write_fd, F_GETFD);
    {
        OutputQueue queue(pipe.write_fd);
        queue.append("x\n");
        EXPECT_TRUE(queue.write_some());
    }
    EXPECT_EQ(::fcntl(pipe.write_fd, F_GETFL), status_before);
    EXPECT_EQ(::fcntl(pipe.write_fd, F_GETFD), fd_flags_before);
    EXPECT_EQ(pipe.drain(), "x\n");  // and the destructor did not close it
    EXPECT_EQ(::fcntl(pipe.write_fd, F_GETFD), fd_flags_before);
}

}  // namespace
}  // namespace tend::log
