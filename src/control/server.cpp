#include "tend/control/server.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "tend/control/runtime_dir.hpp"
#include "tend/log/logger.hpp"

namespace tend::control {
namespace {

std::string cause(int error) { return std::strerror(error); }

bool fill_address(const std::filesystem::path& path, sockaddr_un& address) {
    std::memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    const std::string& text = path.native();
    if (text.size() >= sizeof address.sun_path) return false;
    std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
    return true;
}

// A leftover socket: nobody listening (refused) means a previous life left
// it; an answer means another tend owns it. Looked at through the dir fd.
std::expected<void, std::string> clear_leftover(int dir, const std::filesystem::path& path,
                                                const sockaddr_un& address) {
    struct stat st{};
    if (::fstatat(dir, kSocketName, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return {};
        return std::unexpected(fmt::format("cannot inspect {}: {}", path.string(), cause(errno)));
    }
    if (!S_ISSOCK(st.st_mode)) return std::unexpected(fmt::format("{} exists and is not a socket", path.string()));
    sys::UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!probe) return std::unexpected(fmt::format("cannot create a socket: {}", cause(errno)));
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 || errno == EAGAIN)
        return std::unexpected(fmt::format("{} answers: another tend is using this runtime dir", path.string()));
    if (errno != ECONNREFUSED)
        return std::unexpected(fmt::format("cannot probe the leftover {}: {}", path.string(), cause(errno)));
    if (::unlinkat(dir, kSocketName, 0) != 0 && errno != ENOENT)
        return std::unexpected(fmt::format("cannot remove the stale {}: {}", path.string(), cause(errno)));
    log::debug("removed the stale control socket {} of an earlier run", path.string());
    return {};
}

// The runtime dir, opened without following a symlink in its last
// component, and used only if runtime_dir_distrust finds nothing against it.
std::expected<sys::UniqueFd, std::string> open_runtime_dir(const std::filesystem::path& dir) {
    sys::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ELOOP || errno == ENOTDIR)
            return std::unexpected(fmt::format("runtime dir {} is a symlink or not a directory", dir.string()));
        return std::unexpected(fmt::format("cannot open the runtime dir {}: {}", dir.string(), cause(errno)));
    }
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0)
        return std::unexpected(fmt::format("cannot inspect the runtime dir {}: {}", dir.string(), cause(errno)));
    if (auto distrust = runtime_dir_distrust(dir, st, ::geteuid())) return std::unexpected(*distrust);
    return fd;
}

std::vector<gid_t> peer_groups(int fd) {
    std::vector<gid_t> groups(64);
    for (int attempt = 0; attempt < 3; ++attempt) {
        socklen_t length = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &length) == 0) {
            groups.resize(length / sizeof(gid_t));
            return groups;
        }
        if (errno != ERANGE) break;
        groups.resize(length / sizeof(gid_t) + 1);
    }
    return {};
}

}  // namespace

std::optional<std::string> runtime_dir_distrust(const std::filesystem::path& dir, const struct stat& st,
                                                uid_t trusted_uid) {
    if (!S_ISDIR(st.st_mode)) return fmt::format("runtime dir {} is not a directory", dir.string());
    // root's dir (a tmpfs or emptyDir mount point) is as trusted as tend's own.
    if (st.st_uid != trusted_uid && st.st_uid != 0)
        return fmt::format("runtime dir {} is owned by uid {}, {}: that user could replace control.sock",
                           dir.string(), st.st_uid,
                           trusted_uid == 0 ? "not root" : fmt::format("neither uid {} nor root", trusted_uid));
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0)
        return fmt::format("runtime dir {} (mode {:04o}) is writable by {} without the sticky bit: anyone who may "
                           "write it could replace control.sock; use a dir only tend's user may write (a tmpfs, or "
                           "chmod 755)",
                           dir.string(), st.st_mode & 07777, (st.st_mode & S_IWOTH) != 0 ? "others" : "its group");
    return std::nullopt;
}

bool peer_allowed(uid_t uid, gid_t gid, const std::vector<gid_t>& groups, uid_t own_uid, std::optional<gid_t> group) {
    if (uid == 0 || uid == own_uid) return true;
    if (!group) return false;
    return gid == *group || std::find(groups.begin(), groups.end(), *group) != groups.end();
}

ControlServer::ControlServer(sys::EventLoop& loop, const sys::Clock& clock, CommandHandler& handler,
                             ServerSettings settings)
    : loop_(loop), clock_(clock), handler_(handler), settings_(std::move(settings)) {}

std::expected<std::unique_ptr<ControlServer>, std::string> ControlServer::open(sys::EventLoop& loop,
                                                                               const sys::Clock& clock,
                                                                               CommandHandler& handler,
                                                                               ServerSettings settings) {
    const std::filesystem::path dir = settings.runtime_dir;
    const mode_t dir_mode = settings.group ? 0750 : 0755;
    // A scratch image has no /run: its parents are made too (0755), as far
    // as the filesystem lets us.
    if (::access(dir.c_str(), F_OK) != 0 && dir.has_parent_path()) {
        std::error_code ignored;
        std::filesystem::create_directories(dir.parent_path(), ignored);
    }
    const bool created = ::mkdir(dir.c_str(), dir_mode) == 0;
    if (!created && errno != EEXIST) return std::unexpected(fmt::format("cannot create {}: {}", dir.string(), cause(errno)));
    auto dir_fd = open_runtime_dir(dir);
    if (!dir_fd) return std::unexpected(dir_fd.error());
    if (created) {
        // mkdir's mode went through the umask; the group needs its bits. On
        // the fd: never a chmod by path that a swapped symlink could redirect.
        if (::fchmod(dir_fd->get(), dir_mode) != 0)
            log::warn("cannot set the mode of {}: {}", dir.string(), cause(errno));
        if (settings.group && ::fchown(dir_fd->get(), static_cast<uid_t>(-1), *settings.group) != 0)
            log::warn("cannot give {} to group {}: {}", dir.string(), *settings.group, cause(errno));
    }

    auto server = std::unique_ptr<ControlServer>(new ControlServer(loop, clock, handler, std::move(settings)));
    server->dir_ = std::move(*dir_fd);
    server->path_ = dir / kSocketName;
    const auto& path = server->path_;
    // Bound and probed through the open dir (its /proc/self/fd link), so a
    // dir renamed or replaced by path meanwhile cannot redirect the socket;
    // by path where /proc is missing (the dir was checked just above).
    const std::filesystem::path through_fd =
        std::filesystem::path(fmt::format("/proc/self/fd/{}", server->dir_.get())) / kSocketName;
    const bool proc_usable = ::faccessat(AT_FDCWD, fmt::format("/proc/self/fd/{}", server->dir_.get()).c_str(), F_OK, 0) == 0;
    sockaddr_un address{};
    if (!fill_address(proc_usable ? through_fd : path, address))
        return std::unexpected(fmt::format("{}: path too long for a unix socket", path.string()));
    if (auto cleared = clear_leftover(server->dir_.get(), path, address); !cleared)
        return std::unexpected(cleared.error());

    sys::UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!listener) return std::unexpected(fmt::format("cannot create a socket: {}", cause(errno)));
    // The mode comes with the socket file (the umask is process-wide, and
    // tend has one thread), never from a chmod by path afterwards.
    const mode_t socket_mode = server->settings_.group ? 0660 : 0600;
    const mode_t old_umask = ::umask(static_cast<mode_t>(~socket_mode & 0777));
    const int bound = ::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
    const int bind_error = errno;
    ::umask(old_umask);
    if (bound != 0) return std::unexpected(fmt::format("cannot create {}: {}", path.string(), cause(bind_error)));
    const int dir_fd_number = server->dir_.get();
    auto fail = [&](std::string reason) {
        ::unlinkat(dir_fd_number, kSocketName, 0);
        return std::unexpected(std::move(reason));
    };
    if (server->settings_.group &&
        ::fchownat(dir_fd_number, kSocketName, static_cast<uid_t>(-1), *server->settings_.group, AT_SYMLINK_NOFOLLOW) != 0)
        return fail(fmt::format("cannot give {} to group {}: {}", path.string(), *server->settings_.group, cause(errno)));
    // Checked on the bound inode itself: a socket, tend's, with that mode.
    struct stat st{};
    if (::fstatat(dir_fd_number, kSocketName, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return fail(fmt::format("cannot inspect {}: {}", path.string(), cause(errno)));
    if (!S_ISSOCK(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 0777) != socket_mode ||
        (server->settings_.group && st.st_gid != *server->settings_.group))
        return fail(fmt::format("{} is not the socket tend made (mode {:04o}, uid {}, gid {})", path.string(),
                                st.st_mode & 07777, st.st_uid, st.st_gid));
    server->socket_dev_ = st.st_dev;
    server->socket_ino_ = st.st_ino;
    if (::listen(listener.get(), 128) != 0)
        return fail(fmt::format("cannot listen on {}: {}", path.string(), cause(errno)));
    ControlServer* self = server.get();
    if (auto added = loop.add(listener.get(), EPOLLIN, [self](std::uint32_t) { self->on_accept(); }); !added)
        return fail(fmt::format("cannot watch {}: {}", path.string(), cause(added.error())));
    server->listener_ = std::move(listener);
    return server;
}

ControlServer::~ControlServer() {
    for (auto& [fd, connection] : connections_) loop_.remove(fd);
    connections_.clear();
    if (listener_) {
        loop_.remove(listener_.get());
        listener_.reset();
        // Only our own socket: another tend may have replaced it meanwhile.
        struct stat st{};
        if (dir_ && ::fstatat(dir_.get(), kSocketName, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == socket_dev_ &&
            st.st_ino == socket_ino_)
            ::unlinkat(dir_.get(), kSocketName, 0);
    }
}

void ControlServer::pause_accepting(int error) {
    // Out of fds: stop listening until a connection closes, or a
    // level-triggered listener would wake the loop forever.
    log::warn("control: cannot accept a connection: {}; pausing until one closes", cause(error));
    if (loop_.modify(listener_.get(), 0)) accepting_ = false;
}

void ControlServer::on_accept() {
    for (;;) {
        sys::UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) pause_accepting(errno);
            return;  // EAGAIN: all accepted
        }
        if (connections_.size() >= kMaxConnections) {
            std::string busy = encode_reply({kRefused, fmt::format("tend is busy: {} control connections are open; "
                                                                   "try again\n", kMaxConnections)});
            (void)!::send(fd.get(), busy.data(), busy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            continue;
        }
        auto connection = std::make_unique<Connection>();
        ucred peer{};
        socklen_t length = sizeof peer;
        bool known = ::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0;
        connection->uid = peer.uid;
        connection->deadline = clock_.now() + kRequestDeadline;
        int raw = fd.get();
        connection->fd = std::move(fd);
        if (auto added = loop_.add(raw, EPOLLIN | EPOLLRDHUP, [this, raw](std::uint32_t events) { on_event(raw, events); });
            !added) {
            log::warn("control: cannot watch a connection: {}", cause(added.error()));
            continue;
        }
        Connection& ref = *connection;
        connections_[raw] = std::move(connection);
        if (!known || !peer_allowed(peer.uid, peer.gid, peer_groups(raw), settings_.own_uid, settings_.group)) {
            log::debug("control: refused a peer with uid {}", peer.uid);
            std::string who = settings_.group ? fmt::format("root, uid {} or group {}", settings_.own_uid, *settings_.group)
                                              : fmt::format("root or uid {}", settings_.own_uid);
            answer(ref, {kDenied, fmt::format("permission denied: uid {} may not control tend (only {})\n",
                                              peer.uid, who)});
        }
    }
}

void ControlServer::on_event(int fd, std::uint32_t events) {
    auto it = connections_.find(fd);
    if (it == connections_.end()) return;
    Connection& connection = *it->second;
    switch (connection.phase) {
        case Phase::Reading:
            read_request(connection);
            break;
        case Phase::Waiting:
            // A waiting client that hangs up is gone; anything it sends is ignored.
            if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                close(fd);
                return;
            }
            {
                char scratch[512];
                while (::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) > 0) {}
            }
            break;
        case Phase::Writing:
            if (events & (EPOLLHUP | EPOLLERR)) {
                close(fd);
                return;
            }
            flush(connection);
            break;
    }
}

void ControlServer::read_request(Connection& connection) {
    char buffer[1024];
    for (;;) {
        ssize_t n = ::recv(connection.fd.get(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) {
            // The peer hung up before a whole line (or reset): nobody to answer.
            close(connection.fd.get());
            return;
        }
        auto status = connection.reader.feed({buffer, static_cast<std::size_t>(n)});
        if (status == RequestReader::Status::NeedMore) continue;
        if (status == RequestReader::Status::TooLarge) {
            answer(connection, {kUsage, fmt::format("request too large (at most {} bytes)\n", kMaxRequestBytes)});
            return;
        }
        auto request = parse_request(connection.reader.line());
        if (!request) {
            answer(connection, {kUsage, request.error() + "\n"});
            return;
        }
        connection.request = std::move(*request);
        Outcome outcome = handler_.handle(connection.request, connection.uid);
        if (outcome.reply) {
            answer(connection, std::move(*outcome.reply));
        } else {
            connection.phase = Phase::Waiting;
            connection.deadline = clock_.now() + outcome.wait_for;
        }
        return;
    }
}

void ControlServer::answer(Connection& connection, Reply reply) {
    connection.phase = Phase::Writing;
    connection.out = encode_reply(reply);
    connection.sent = 0;
    connection.deadline = clock_.now() + kReplyDeadline;
    // The request is read; from now on only the reply matters.
    if (!loop_.modify(connection.fd.get(), EPOLLOUT)) {
        close(connection.fd.get());
        return;
    }
    flush(connection);
}

void ControlServer::flush(Connection& connection) {
    while (connection.sent < connection.out.size()) {
        ssize_t n = ::send(connection.fd.get(), connection.out.data() + connection.sent,
                           connection.out.size() - connection.sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT brings us back
        if (n < 0) break;  // the peer went away mid-reply: nothing to do but close
        connection.sent += static_cast<std::size_t>(n);
    }
    close(connection.fd.get());
}

void ControlServer::close(int fd) {
    loop_.remove(fd);
    connections_.erase(fd);
    if (!accepting_ && loop_.modify(listener_.get(), EPOLLIN)) accepting_ = true;
}

std::optional<sys::TimePoint> ControlServer::next_deadline() const {
    std::optional<sys::TimePoint> earliest;
    for (const auto& [fd, connection] : connections_)
        if (!earliest || connection->deadline < *earliest) earliest = connection->deadline;
    return earliest;
}

void ControlServer::on_timer() {
    const sys::TimePoint now = clock_.now();
    std::vector<int> due;
    for (const auto& [fd, connection] : connections_)
        if (connection->deadline <= now) due.push_back(fd);
    for (int fd : due) {
        auto it = connections_.find(fd);
        if (it == connections_.end()) continue;
        Connection& connection = *it->second;
        switch (connection.phase) {
            case Phase::Reading:
                log::debug("control: a client sent no whole request within {} ms", kRequestDeadline.count());
                answer(connection, {kUsage, fmt::format("no complete request within {} ms\n", kRequestDeadline.count())});
                break;
            case Phase::Waiting:
                answer(connection, handler_.timed_out(connection.request));
                break;
            case Phase::Writing:
                log::debug("control: a client did not read its reply within {} ms; closing it", kReplyDeadline.count());
                close(fd);
                break;
        }
    }
}

void ControlServer::on_change() {
    std::vector<int> waiting;
    for (const auto& [fd, connection] : connections_)
        if (connection->phase == Phase::Waiting) waiting.push_back(fd);
    for (int fd : waiting) {
        auto it = connections_.find(fd);
        if (it == connections_.end()) continue;
        if (auto reply = handler_.recheck(it->second->request)) answer(*it->second, std::move(*reply));
    }
}

}  // namespace tend::control
