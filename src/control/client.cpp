#include "tend/control/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

#include "tend/config/file_reader.hpp"
#include "tend/control/commands.hpp"
#include "tend/control/protocol.hpp"
#include "tend/control/server.hpp"
#include "tend/sys/fd.hpp"

namespace tend::control {
namespace {

constexpr int kUnreachable = 3;
constexpr std::chrono::milliseconds kReplyMargin{5000};
constexpr std::string_view kDefaultRuntimeDir = "/run/tend";

void print(FILE* stream, std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stream);
    std::fflush(stream);
}

// read_small_file, not std::ifstream: streams pull std::locale and all its
// facets into the static binary (bench/README.md, binary size).
std::string read_pid1_cmdline() {
    return config::read_small_file("/proc/1/cmdline", std::size_t{8} << 20).value_or(std::string());
}

struct Attempt {
    std::string path;
    int error = 0;
    std::string note;  // says more than the errno
};

// tend uses a runtime dir others may write only with the sticky bit; a
// control.sock in any other such dir may be anybody's (a service's
// stand-in that answers "healthy"), so the client does not talk to it.
std::optional<std::string> untrusted_dir(const std::string& dir) {
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0 || (st.st_mode & S_ISVTX) != 0) return std::nullopt;
    return fmt::format("not trusted: {} (mode {:04o}) is writable by {} without the sticky bit, so anybody "
                       "could have put this socket there (tend itself keeps control off in such a dir)",
                       dir, st.st_mode & 07777, (st.st_mode & S_IWOTH) != 0 ? "others" : "its group");
}

// A connected socket, or errno. Non-blocking connect: a full backlog answers
// EAGAIN at once instead of hanging.
std::expected<sys::UniqueFd, int> connect_to(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) return std::unexpected(ENAMETOOLONG);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    sys::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return std::unexpected(errno);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
        return std::unexpected(errno);
    return fd;
}

std::string describe(int error) {
    switch (error) {
        case ENOENT: return "no socket there";
        case ECONNREFUSED: return "nobody listening (a leftover socket)";
        case EACCES: return "permission denied";
        case EAGAIN: return "tend is busy";
        default: return std::strerror(error);
    }
}

// Sends all of `data` and reads until EOF, both bounded by `deadline`.
std::expected<std::string, std::string> exchange(int fd, std::string_view data,
                                                 std::chrono::steady_clock::time_point deadline) {
    auto remaining_ms = [&] {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        return static_cast<int>(std::max<long long>(0, left.count()));
    };
    std::size_t sent = 0;
    while (sent < data.size()) {
        ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n >= 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (errno == EINTR) continue;
        // tend answered before reading (a refused peer: "permission denied")
        // and closed: its reply is still there to read.
        if (errno == EPIPE || errno == ECONNRESET) break;
        if (errno != EAGAIN) return std::unexpected(std::string("cannot send the request: ") + std::strerror(errno));
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, remaining_ms()) <= 0) return std::unexpected(std::string("timed out sending the request"));
    }
    std::string reply;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            reply.append(buffer, static_cast<std::size_t>(n));
            if (reply.size() > (16u << 20)) return std::unexpected(std::string("reply too large"));
            continue;
        }
        if (n == 0) return reply;
        if (errno == EINTR) continue;
        if (errno == ECONNRESET && !reply.empty()) return reply;
        if (errno != EAGAIN) return std::unexpected(std::string("cannot read the reply: ") + std::strerror(errno));
        pollfd p{fd, POLLIN, 0};
        int ready = ::poll(&p, 1, remaining_ms());
        if (ready == 0) return std::unexpected(std::string("tend did not answer in time"));
        if (ready < 0 && errno != EINTR) return std::unexpected(std::string("poll: ") + std::strerror(errno));
    }
}

int usage_error(std::string_view message) {
    print(stderr, fmt::format("tend: error: {} (see tend ctl --help)\n", message));
    return kUsage;
}

}  // namespace

std::vector<std::string> socket_dir_candidates(const std::optional<std::string>& own_runtime_dir,
                                               const std::optional<std::string>& env_runtime_dir,
                                               std::string_view pid1_cmdline) {
    if (own_runtime_dir) return {*own_runtime_dir};
    std::vector<std::string> dirs;
    auto add = [&dirs](std::string dir) {
        if (dir.empty()) return;
        for (const auto& known : dirs)
            if (known == dir) return;
        dirs.push_back(std::move(dir));
    };
    if (env_runtime_dir) add(*env_runtime_dir);
    // PID 1's argv: NUL-separated words, argv[0] first. Its --runtime-dir,
    // read by tend's own parser; nothing from its environment, which is not
    // ours to read (an unreadable or foreign command line adds nothing).
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start < pid1_cmdline.size()) {
        std::size_t end = pid1_cmdline.find('\0', start);
        if (end == std::string_view::npos) end = pid1_cmdline.size();
        words.emplace_back(pid1_cmdline.substr(start, end - start));
        start = end + 1;
    }
    if (!words.empty()) {
        words.erase(words.begin());
        if (auto pid1 = config::parse_options(words, {}); pid1 && pid1->action == config::CommandLine::Action::Run)
            add(pid1->options.runtime_dir.string());
    }
    add(std::string(kDefaultRuntimeDir));
    return dirs;
}

std::expected<Reply, ClientError> request(const std::vector<std::string>& words,
                                          const std::optional<std::string>& runtime_dir,
                                          std::chrono::milliseconds timeout) {
    auto line = encode_request(words);
    if (!line) return std::unexpected(ClientError{false, false, line.error()});
    const char* env_dir = std::getenv("TEND_RUNTIME_DIR");
    auto dirs = socket_dir_candidates(runtime_dir, env_dir && *env_dir ? std::optional<std::string>(env_dir) : std::nullopt,
                                      runtime_dir ? std::string() : read_pid1_cmdline());
    std::vector<Attempt> attempts;
    sys::UniqueFd fd;
    for (const auto& dir : dirs) {
        std::string path = (std::filesystem::path(dir) / kSocketName).string();
        if (auto untrusted = untrusted_dir(dir)) {
            attempts.push_back({path, EPERM, *untrusted});
            continue;
        }
        auto connected = connect_to(path);
        if (connected) {
            fd = std::move(*connected);
            break;
        }
        attempts.push_back({path, connected.error(), {}});
    }
    if (!fd) {
        ClientError error;
        error.no_socket = true;
        std::string tried;
        for (const auto& attempt : attempts) {
            tried += fmt::format("\n  {}: {}", attempt.path, attempt.note.empty() ? describe(attempt.error) : attempt.note);
            error.no_socket = error.no_socket && attempt.error == ENOENT;
            error.denied = error.denied || attempt.error == EACCES;
        }
        error.message = (error.no_socket ? "no control socket found; tried:" : "control unreachable; tried:") + tried;
        return std::unexpected(error);
    }
    auto raw = exchange(fd.get(), *line, std::chrono::steady_clock::now() + timeout);
    if (!raw) return std::unexpected(ClientError{false, false, "control: " + raw.error()});
    auto reply = parse_reply(*raw);
    if (!reply) return std::unexpected(ClientError{false, false, "control: " + reply.error()});
    return *reply;
}

int run_client(const config::ClientCommandLine& command_line) {
    const bool health = command_line.health;
    const std::optional<std::string>& runtime_dir = command_line.runtime_dir;
    const std::vector<std::string>& words = command_line.words;

    std::chrono::milliseconds wait = kReplyMargin;
    if (words.front() == "wait-ready" || words.front() == "wait-up" || words.front() == "wait-down") {
        auto args = parse_wait_ready({words.begin() + 1, words.end()});
        if (!args) return usage_error(words.front() + ": " + args.error());
        wait += args->timeout;
    }
    if (auto line = encode_request(words); !line) return health ? 1 : usage_error(line.error());

    auto reply = request(words, runtime_dir, wait);
    if (!reply) {
        if (health && reply.error().no_socket) {
            print(stderr, fmt::format("control is off: {}\n"
                                      "tend listens only when its runtime dir is writable: mount a tmpfs "
                                      "(Kubernetes: an emptyDir) at the runtime dir (default /run/tend) or point "
                                      "--runtime-dir/TEND_RUNTIME_DIR at a writable dir\n",
                                      reply.error().message));
            return 1;
        }
        print(stderr, fmt::format("tend: error: {}{}\n", reply.error().no_socket ? "control unreachable: " : "",
                                  reply.error().message));
        return health ? 1 : kUnreachable;
    }
    print(reply->code == kDone ? stdout : stderr, reply->body);
    if (health) return reply->code == kDone ? 0 : 1;
    return reply->code;
}

}  // namespace tend::control
