// The `ready-when` file of a service dir: readiness for daemons that cannot
// write to a notification fd (php-fpm, nginx, most of what an image runs).
//
// One line, one of:
//   socket PATH        ready when a connect() to the unix socket succeeds
//   tcp [HOST:]PORT    ready when a TCP connect succeeds (HOST: 127.0.0.1)
//   file PATH          ready when PATH exists and was created or changed
//                      after this start of the service
// PATH is absolute. HOST is a numeric IPv4 address, `[IPv6]` or `localhost`:
// tend is a static binary and has no resolver, so a name would silently mean
// nothing. Parsing is pure (no system call), so every form and every error is
// unit-tested; the probing itself lives in core/readiness_probe.
#pragma once

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace tend::config {

struct ReadyWhen {
    enum class Kind { Socket, Tcp, File };

    Kind kind = Kind::Socket;
    std::string path;  // Socket, File: absolute

    // Tcp: address family (AF_INET or AF_INET6), address in network byte
    // order (the first 4 bytes for IPv4), port in host byte order.
    int family = AF_INET;
    std::array<std::uint8_t, 16> address{};
    std::uint16_t port = 0;

    bool operator==(const ReadyWhen&) const = default;
};

// Parses the whole content of a `ready-when` file (blank lines and '#'
// comments ignored; exactly one line left). Errors are reasons without the
// path ("unknown kind 'http' (expected ...)").
std::expected<ReadyWhen, std::string> parse_ready_when(std::string_view content);

// What is probed, for messages: "socket /run/php/php-fpm.sock",
// "tcp 127.0.0.1:80", "tcp [::1]:8080", "file /run/app.pid".
std::string describe(const ReadyWhen& condition);

}  // namespace tend::config
