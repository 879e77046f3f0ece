// The control protocol's pure parsing and encoding.
#include <gtest/gtest.h>

#include "tend/control/client.hpp"
#include "tend/control/protocol.hpp"
#include "tend/control/runtime_dir.hpp"
#include "tend/control/server.hpp"

using namespace tend::control;

TEST(ControlProtocol, RequestRoundTripsAnyWords) {
    std::vector<std::string> words{"status", "a b", "", "100%", "tab\there", "new\nline", "\x7f\xff", "--json"};
    auto line = encode_request(words);
    ASSERT_TRUE(line) << line.error();
    EXPECT_TRUE(line->starts_with("tend-ctl/1 status a%20b % 100%25 "));
    EXPECT_EQ(line->find('\n'), line->size() - 1);
    auto request = parse_request(*line);
    ASSERT_TRUE(request) << request.error();
    EXPECT_EQ(request->words, words);
}

TEST(ControlProtocol, ParsesWithoutTheNewlineToo) {
    auto request = parse_request("tend-ctl/1 halt 7");
    ASSERT_TRUE(request);
    EXPECT_EQ(request->words, (std::vector<std::string>{"halt", "7"}));
}

TEST(ControlProtocol, OtherVersionsGetAClearError) {
    auto request = parse_request("tend-ctl/2 status\n");
    ASSERT_FALSE(request);
    EXPECT_NE(request.error().find("version 2 is not supported"), std::string::npos) << request.error();
    EXPECT_NE(request.error().find("tend-ctl/1"), std::string::npos);
}

TEST(ControlProtocol, MalformedRequestsAreRefusedWithAReason) {
    for (std::string_view bad : {"", "\n", "GET / HTTP/1.1", "tend-ctl/", "tend-ctl/x status", "tend-ctl/1",
                                 "tend-ctl/1 ", "tend-ctl/1  status", "tend-ctl/1 status%", "tend-ctl/1 a%4",
                                 "tend-ctl/1 a%zz", "tend-ctl/1 a\tb", "tend-ctl/1 status\r"}) {
        auto request = parse_request(bad);
        EXPECT_FALSE(request) << "accepted: " << bad;
        if (!request) { EXPECT_FALSE(request.error().empty()); }
    }
}

TEST(ControlProtocol, TooLongRequestsAreRefusedOnBothSides) {
    std::vector<std::string> words{"status", std::string(kMaxRequestBytes, 'x')};
    EXPECT_FALSE(encode_request(words));
    std::string line = "tend-ctl/1 status " + std::string(kMaxRequestBytes, 'x');
    EXPECT_FALSE(parse_request(line));
    EXPECT_FALSE(encode_request({}));
}

TEST(ControlProtocol, ReplyRoundTrips) {
    Reply reply{1, "php-fpm: backoff\nsecond line\n"};
    auto parsed = parse_reply(encode_reply(reply));
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->code, 1);
    EXPECT_EQ(parsed->body, reply.body);
    auto empty = parse_reply("tend-ctl/1 0\n");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->code, 0);
    EXPECT_EQ(empty->body, "");
}

TEST(ControlProtocol, BadRepliesAreErrors) {
    for (std::string_view bad : {"", "tend-ctl/1 0", "hello\n", "tend-ctl/1 x\n", "tend-ctl/1 -1\n", "tend-ctl/1 999\n",
                                 "tend-ctl/1\n"})
        EXPECT_FALSE(parse_reply(bad)) << bad;
    auto other = parse_reply("tend-ctl/3 0\nok");
    ASSERT_FALSE(other);
    EXPECT_NE(other.error().find("version 3"), std::string::npos);
}

TEST(RequestReader, CollectsALineAcrossPieces) {
    RequestReader reader;
    EXPECT_EQ(reader.feed("tend-ctl/1 st"), RequestReader::Status::NeedMore);
    EXPECT_EQ(reader.feed("atus\ntrailing"), RequestReader::Status::Complete);
    EXPECT_EQ(reader.line(), "tend-ctl/1 status");
    EXPECT_EQ(reader.feed("more"), RequestReader::Status::Complete);  // nothing after the line counts
}

TEST(RequestReader, StopsAtTheLimitWithoutKeepingTheBytes) {
    RequestReader reader;
    std::string chunk(1000, 'a');
    for (int i = 0; i < 4; ++i) EXPECT_EQ(reader.feed(chunk), RequestReader::Status::NeedMore);
    EXPECT_EQ(reader.feed(std::string(200, 'a')), RequestReader::Status::TooLarge);
    EXPECT_TRUE(reader.line().empty());
    EXPECT_EQ(reader.feed("\n"), RequestReader::Status::TooLarge);
}

TEST(RequestReader, ExactlyTheLimitIncludingTheNewlineFits) {
    RequestReader reader;
    EXPECT_EQ(reader.feed(std::string(kMaxRequestBytes - 1, 'a') + "\n"), RequestReader::Status::Complete);
    RequestReader over;
    EXPECT_EQ(over.feed(std::string(kMaxRequestBytes, 'a') + "\n"), RequestReader::Status::TooLarge);
}

TEST(PeerAllowed, RootOwnUidOrControlGroupMembers) {
    EXPECT_TRUE(peer_allowed(0, 0, {}, 1000, std::nullopt));
    EXPECT_TRUE(peer_allowed(1000, 1000, {}, 1000, std::nullopt));
    EXPECT_FALSE(peer_allowed(65534, 65534, {}, 1000, std::nullopt));
    EXPECT_FALSE(peer_allowed(65534, 65534, {}, 0, std::nullopt));
    EXPECT_TRUE(peer_allowed(65534, 500, {}, 0, gid_t{500}));
    EXPECT_TRUE(peer_allowed(65534, 65534, {1, 500}, 0, gid_t{500}));
    EXPECT_FALSE(peer_allowed(65534, 65534, {1, 2}, 0, gid_t{500}));
}

// The runtime dir trust rule tend and its client share.
TEST(RuntimeDirDistrust, OwnedByTheUidOrRootAndNotWritableByOthersUnlessSticky) {
    auto dir = [](uid_t owner, mode_t mode) {
        struct stat st{};
        st.st_uid = owner;
        st.st_mode = S_IFDIR | mode;
        return st;
    };
    EXPECT_EQ(runtime_dir_distrust("/run/tend", dir(0, 0755), 0), std::nullopt);
    EXPECT_EQ(runtime_dir_distrust("/run/tend", dir(0, 0755), 1000), std::nullopt) << "root's dir is trusted";
    EXPECT_EQ(runtime_dir_distrust("/run/tend", dir(1000, 0750), 1000), std::nullopt);
    EXPECT_EQ(runtime_dir_distrust("/tmp", dir(0, 01777), 1000), std::nullopt) << "sticky";
    EXPECT_EQ(runtime_dir_distrust("/run/tend", dir(4242, 0755), 0),
              "runtime dir /run/tend is owned by uid 4242, not root: that user could replace control.sock");
    EXPECT_EQ(runtime_dir_distrust("/run/tend", dir(4242, 0755), 1000),
              "runtime dir /run/tend is owned by uid 4242, neither uid 1000 nor root: that user could replace "
              "control.sock");
    const auto open = runtime_dir_distrust("/data/run", dir(0, 0777), 0);
    ASSERT_TRUE(open);
    EXPECT_EQ(open->rfind("runtime dir /data/run (mode 0777) is writable by others without the sticky bit", 0), 0U)
        << *open;
    const auto group = runtime_dir_distrust("/data/run", dir(1000, 0775), 1000);
    ASSERT_TRUE(group);
    EXPECT_NE(group->find("writable by its group"), std::string::npos) << *group;
    struct stat file = dir(0, 0644);
    file.st_mode = S_IFREG | 0644;
    EXPECT_EQ(runtime_dir_distrust("/run/tend", file, 0), "runtime dir /run/tend is not a directory");
}

TEST(SocketDirCandidates, OwnOptionAloneElseEnvPid1AndDefault) {
    EXPECT_EQ(socket_dir_candidates(std::string("/x"), std::string("/y"), std::string_view("tend\0--runtime-dir\0/z", 22)),
              (std::vector<std::string>{"/x"}));
    std::string cmdline("/sbin/tend\0--runtime-dir\0/z\0--\0--runtime-dir\0/not-an-option", 58);
    EXPECT_EQ(socket_dir_candidates(std::nullopt, std::string("/y"), cmdline),
              (std::vector<std::string>{"/y", "/z", "/run/tend"}));
    std::string equals("/init\0--runtime-dir=/w\0php-fpm", 30);
    EXPECT_EQ(socket_dir_candidates(std::nullopt, std::nullopt, equals), (std::vector<std::string>{"/w", "/run/tend"}));
    EXPECT_EQ(socket_dir_candidates(std::nullopt, std::string("/run/tend"), ""), (std::vector<std::string>{"/run/tend"}));
}
