// The `ready-when` file: every accepted form, every refusal with its reason,
// and how a service dir with one (or with notification-fd too) is parsed.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <array>
#include <string>

#include <gtest/gtest.h>

#include "scratch.hpp"

#include "tend/config/ready_when.hpp"
#include "tend/config/service_config.hpp"

namespace {

namespace fs = std::filesystem;
using tend::config::describe;
using tend::config::parse_ready_when;
using tend::config::ReadyWhen;

std::array<std::uint8_t, 16> address(int family, const char* text) {
    std::array<std::uint8_t, 16> bytes{};
    EXPECT_EQ(::inet_pton(family, text, bytes.data()), 1) << text;
    return bytes;
}

ReadyWhen socket_at(std::string path) { return {.kind = ReadyWhen::Kind::Socket, .path = std::move(path)}; }
ReadyWhen file_at(std::string path) { return {.kind = ReadyWhen::Kind::File, .path = std::move(path)}; }
ReadyWhen tcp(int family, const char* host, std::uint16_t port) {
    return {.kind = ReadyWhen::Kind::Tcp, .path = {}, .family = family, .address = address(family, host), .port = port};
}

struct GoodCase {
    const char* name;
    std::string text;
    ReadyWhen expected;
    std::string description;
};

class GoodReadyWhen : public ::testing::TestWithParam<GoodCase> {};

TEST_P(GoodReadyWhen, ParsesAndDescribes) {
    const auto parsed = parse_ready_when(GetParam().text);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    EXPECT_EQ(*parsed, GetParam().expected);
    EXPECT_EQ(describe(*parsed), GetParam().description);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, GoodReadyWhen,
    ::testing::Values(
        GoodCase{"Socket", "socket /run/php/php-fpm.sock\n", socket_at("/run/php/php-fpm.sock"),
                 "socket /run/php/php-fpm.sock"},
        GoodCase{"SocketBlanksAndComments", "# php-fpm listens here\n\n\t socket \t /run/a.sock  \r\n",
                 socket_at("/run/a.sock"), "socket /run/a.sock"},
        GoodCase{"SocketWithoutNewline", "socket /a", socket_at("/a"), "socket /a"},
        GoodCase{"SocketLongestPath", "socket /" + std::string(106, 'x'), socket_at("/" + std::string(106, 'x')),
                 "socket /" + std::string(106, 'x')},
        GoodCase{"File", "file /run/nginx.pid\n", file_at("/run/nginx.pid"), "file /run/nginx.pid"},
        GoodCase{"TcpPortOnly", "tcp 80\n", tcp(AF_INET, "127.0.0.1", 80), "tcp 127.0.0.1:80"},
        GoodCase{"TcpIpv4", "tcp 10.0.0.7:8080\n", tcp(AF_INET, "10.0.0.7", 8080), "tcp 10.0.0.7:8080"},
        GoodCase{"TcpLocalhost", "tcp localhost:5432\n", tcp(AF_INET, "127.0.0.1", 5432), "tcp 127.0.0.1:5432"},
        GoodCase{"TcpAnyAddress", "tcp 0.0.0.0:9000", tcp(AF_INET, "0.0.0.0", 9000), "tcp 0.0.0.0:9000"},
        GoodCase{"TcpIpv6Loopback", "tcp [::1]:443\n", tcp(AF_INET6, "::1", 443), "tcp [::1]:443"},
        GoodCase{"TcpIpv6Full", "tcp [fd00:0:0:0:0:0:0:2]:1\n", tcp(AF_INET6, "fd00::2", 1), "tcp [fd00::2]:1"},
        GoodCase{"TcpHighestPort", "tcp 65535", tcp(AF_INET, "127.0.0.1", 65535), "tcp 127.0.0.1:65535"}),
    [](const ::testing::TestParamInfo<GoodCase>& case_info) { return std::string(case_info.param.name); });

struct BadCase {
    const char* name;
    std::string text;
    std::string reason_part;
};

class BadReadyWhen : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadReadyWhen, NamesTheProblem) {
    const auto parsed = parse_ready_when(GetParam().text);
    ASSERT_FALSE(parsed.has_value()) << "accepted as " << describe(*parsed);
    EXPECT_NE(parsed.error().find(GetParam().reason_part), std::string::npos)
        << "reason: " << parsed.error() << "\nexpected to contain: " << GetParam().reason_part;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, BadReadyWhen,
    ::testing::Values(
        BadCase{"Empty", "", "is empty: expected socket PATH, tcp [HOST:]PORT or file PATH"},
        BadCase{"OnlyComments", "# nothing\n\n", "is empty"},
        BadCase{"TwoLines", "socket /a\ntcp 80\n", "has 2 lines: expected one"},
        BadCase{"UnknownKind", "http localhost:80\n", "unknown kind 'http' (expected socket PATH"},
        BadCase{"KindIsCaseSensitive", "Socket /a\n", "unknown kind 'Socket'"},
        BadCase{"SocketWithoutPath", "socket\n", "missing argument: expected socket PATH"},
        BadCase{"FileWithoutPath", "file  \n", "missing argument: expected file PATH"},
        BadCase{"TcpWithoutPort", "tcp\n", "missing argument: expected tcp [HOST:]PORT"},
        BadCase{"SocketRelative", "socket run/php.sock\n", "'run/php.sock' is not an absolute path"},
        BadCase{"FileRelative", "file ./pid\n", "'./pid' is not an absolute path"},
        BadCase{"SocketTwoWords", "socket /run/a.sock 0660\n", "2 arguments after 'socket': expected one"},
        BadCase{"SocketPathWithBlank", "socket /run/my dir/a.sock\n", "a path with blanks is not supported"},
        BadCase{"TcpTwoWords", "tcp 127.0.0.1 80\n", "2 arguments after 'tcp'"},
        BadCase{"SocketPathTooLong", "socket /" + std::string(107, 'x'),
                "is 108 bytes long: a unix socket path has at most 107"},
        BadCase{"FilePathTooLong", "file /" + std::string(4095, 'x'), "a path has at most 4095"},
        BadCase{"TcpPortZero", "tcp 0\n", "'0' is not a port number from 1 to 65535"},
        BadCase{"TcpPortTooLarge", "tcp 65536\n", "'65536' is not a port number"},
        BadCase{"TcpPortHuge", "tcp 99999999999999999999\n", "is not a port number"},
        BadCase{"TcpPortName", "tcp http\n", "'http' is not a port number"},
        BadCase{"TcpPortNegative", "tcp 127.0.0.1:-1\n", "'-1' is not a port number"},
        BadCase{"TcpEmptyPort", "tcp 127.0.0.1:\n", "missing port in '127.0.0.1:'"},
        BadCase{"TcpHostName", "tcp db.internal:5432\n",
                "'db.internal' is a host name, which tend cannot resolve (a static binary has no resolver)"},
        BadCase{"TcpBadIpv4", "tcp 256.1.1.1:80\n", "'256.1.1.1' is not a numeric IPv4 address"},
        BadCase{"TcpShortIpv4", "tcp 10.1:80\n", "'10.1' is not a numeric IPv4 address"},
        BadCase{"TcpBareIpv6", "tcp ::1:80\n", "an IPv6 address needs brackets, as in [::1]:80"},
        BadCase{"TcpIpv6Unclosed", "tcp [::1:80\n", "has no ']'"},
        BadCase{"TcpIpv6WithoutPort", "tcp [::1]\n", "missing port in '[::1]'"},
        BadCase{"TcpIpv6Garbage", "tcp [::g]:80\n", "'::g' is not a numeric IPv6 address"},
        BadCase{"TcpIpv6ScopeId", "tcp [fe80::1%eth0]:80\n", "is not a numeric IPv6 address"},
        BadCase{"TcpIpv4InBrackets", "tcp [127.0.0.1]:80\n", "is not a numeric IPv6 address"},
        BadCase{"ControlByte", "socket /run/a\x01.sock\n", "control byte"},
        BadCase{"NulByte", std::string("socket /run/a\0.sock\n", 20), "NUL"}),
    [](const ::testing::TestParamInfo<BadCase>& case_info) { return std::string(case_info.param.name); });

// --- in a service dir ---------------------------------------------------------

class ReadyWhenServiceDir : public ::testing::Test {
protected:
    tend::testing::ScratchDir scratch;
    fs::path dir = scratch.path() / "php";

    void SetUp() override {
        fs::create_directory(dir);
        tend::testing::write_file(dir / "run", "#!/bin/sh\n", 0755);
    }
};

TEST_F(ReadyWhenServiceDir, AbsentByDefault) {
    const auto config = tend::config::parse_service_dir(dir);
    ASSERT_TRUE(config.has_value()) << config.error().message();
    EXPECT_EQ(config->ready_when, std::nullopt);
}

TEST_F(ReadyWhenServiceDir, IsRead) {
    tend::testing::write_file(dir / "ready-when", "socket /run/php/php-fpm.sock\n");
    const auto config = tend::config::parse_service_dir(dir);
    ASSERT_TRUE(config.has_value()) << config.error().message();
    EXPECT_EQ(config->ready_when, std::optional<ReadyWhen>(socket_at("/run/php/php-fpm.sock")));
}

TEST_F(ReadyWhenServiceDir, ABadLineIsRefusedWithThePath) {
    tend::testing::write_file(dir / "ready-when", "tcp example.com:80\n");
    const auto config = tend::config::parse_service_dir(dir);
    ASSERT_FALSE(config.has_value());
    EXPECT_EQ(config.error().file, dir / "ready-when");
    EXPECT_NE(config.error().message().find("'example.com' is a host name"), std::string::npos)
        << config.error().message();
}

TEST_F(ReadyWhenServiceDir, TogetherWithNotificationFdIsRefusedNamingBothFiles) {
    tend::testing::write_file(dir / "ready-when", "tcp 80\n");
    tend::testing::write_file(dir / "notification-fd", "3\n");
    const auto config = tend::config::parse_service_dir(dir);
    ASSERT_FALSE(config.has_value());
    const std::string message = config.error().message();
    EXPECT_NE(message.find((dir / "ready-when").string()), std::string::npos) << message;
    EXPECT_NE(message.find((dir / "notification-fd").string()), std::string::npos) << message;
}

TEST_F(ReadyWhenServiceDir, ADirectoryIsRefused) {
    fs::create_directory(dir / "ready-when");
    const auto config = tend::config::parse_service_dir(dir);
    ASSERT_FALSE(config.has_value());
    EXPECT_EQ(config.error().file, dir / "ready-when");
    EXPECT_NE(config.error().reason.find("is a directory"), std::string::npos) << config.error().reason;
}

}  // namespace
