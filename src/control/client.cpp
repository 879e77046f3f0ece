#include "tend/control/client.hpp"

#include <fcntl.h>
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
#include "tend/control/runtime_dir.hpp"
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

// The effective uid of PID 1 (in a container: tend itself), from
// /proc/1/status; nullopt when it cannot be read (hidepid). Whoever PID 1
// runs as already rules the container: a tend running as uid 3000 can switch
// no service to another uid, so every process that could plant a socket
// there is uid 3000 too.
std::optional<uid_t> pid1_uid() {
    const auto status = config::read_small_file("/proc/1/status", std::size_t{64} << 10);
    if (!status) return std::nullopt;
    const std::size_t at = status->find("\nUid:");
    if (at == std::string::npos) return std::nullopt;
    unsigned long real = 0, effective = 0;
    if (std::sscanf(status->c_str() + at + 5, "%lu %lu", &real, &effective) != 2) return std::nullopt;
    return static_cast<uid_t>(effective);
}

// Before connecting: the socket's dir under tend's own trust rule
// (runtime_dir_distrust), with the client's uid in tend's place, or PID 1's.
// A control.sock in a dir others could change may be anybody's (a service's
// stand-in that answers "healthy"), so the client does not talk to it. So a
// client reaches a tend whose dir is root's, its own or PID 1's uid's: root
// and the control group reach a container's tend that runs as a user, and
// that user reaches it too (as Docker's HEALTHCHECK and `docker exec` run by
// default). ENOENT and the like are left to connect() to say.
std::optional<std::string> untrusted_dir(const std::string& dir) {
    sys::UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ELOOP || errno == ENOTDIR) return fmt::format("runtime dir {} is a symlink or not a directory", dir);
        return std::nullopt;
    }
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0) return std::nullopt;
    auto distrust = runtime_dir_distrust(dir, st, ::geteuid());
    if (!distrust) return std::nullopt;
    if (const auto init = pid1_uid(); init && !runtime_dir_distrust(dir, st, *init)) return std::nullopt;
    return distrust;
}

// After connecting: the server's SO_PEERCRED uid must be root, the
// client's own or PID 1's, so a socket planted by another user in a sticky
// (/tmp-like) dir, where anybody may create files, is refused.
std::optional<std::string> untrusted_server(int fd, const std::string& dir) {
    const uid_t own = ::geteuid();
    ucred peer{};
    socklen_t length = sizeof peer;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0)
        return fmt::format("cannot tell who serves the socket in {}: {}", dir, std::strerror(errno));
    if (peer.uid == 0 || peer.uid == own || peer.uid == pid1_uid()) return std::nullopt;
    return fmt::format("the socket in {} is served by uid {}, {}: another user may have put it there", dir,
                       peer.uid, own == 0 ? "not root" : fmt::format("neither uid {} nor root", own));
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
        if (!connected) {
            attempts.push_back({path, connected.error(), {}});
            continue;
        }
        if (auto impostor = untrusted_server(connected->get(), dir)) {
            attempts.push_back({path, EPERM, *impostor});
            continue;
        }
        fd = std::move(*connected);
        break;
    }
    if (!fd) {
        ClientError error;
        error.no_socket = true;
        std::string tried;
        for (const auto& attempt : attempts) {
            tried += fmt::format("\n  {}: {}", attempt.path, attempt.note.empty() ? describe(attempt.error) : attempt.note);
            error.no_socket = error.no_socket && attempt.error == ENOENT;
            error.denied = error.denied || attempt.error == EACCES;
            error.untrusted = error.untrusted || attempt.error == EPERM;
        }
        error.message = error.untrusted ? "the runtime dir is not trusted; tried:" + tried
                        : error.no_socket ? "no control socket found; tried:" + tried
                                          : "control unreachable; tried:" + tried;
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
        if (health && reply.error().untrusted) {
            print(stderr, fmt::format("control is off: {}\n", reply.error().message));
            return 1;
        }
        print(stderr, fmt::format("tend: error: {}{}\n",
                                  reply.error().untrusted   ? "control is off: "
                                  : reply.error().no_socket ? "control unreachable: "
                                                            : "",
                                  reply.error().message));
        return health ? 1 : kUnreachable;
    }
    print(reply->code == kDone ? stdout : stderr, reply->body);
    if (health) return reply->code == kDone ? 0 : 1;
    return reply->code;
}

}  // namespace tend::control
