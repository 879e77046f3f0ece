// Readiness by probing (see readiness_probe.hpp).
#include "tend/core/readiness_probe.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "tend/log/logger.hpp"
#include "tend/process/fs_identity.hpp"

namespace tend::core {

// ---- schedule ----------------------------------------------------------------

void ProbeSchedule::start(TimePoint now) {
    delay_ = kFirstDelay;
    next_ = now + delay_;
}

void ProbeSchedule::stop() { next_.reset(); }

void ProbeSchedule::attempted(TimePoint now) {
    if (!next_) return;  // stopped meanwhile: stay stopped
    delay_ = std::min(delay_ * 2, kMaxDelay);
    next_ = now + delay_;
}

// ---- probe -------------------------------------------------------------------

namespace {

// Not errno values: reasons of a failed attempt that have no errno.
constexpr int kFileNotChanged = -2;
constexpr int kIdentityFailed = -3;

// tend's fsuid/fsgid set to the service's for one attempt and restored on
// every path (process/fs_identity.hpp); nothing is switched without an
// identity (tend runs as the service's user already).
class AsService {
public:
    explicit AsService(const std::optional<ProbeIdentity>& identity) {
        if (identity) switch_.emplace(identity->uid, identity->gid);
    }
    ~AsService() {
        // Changing back to tend's own ids is always allowed; if it somehow
        // failed, tend must not go on as someone else without saying so.
        if (switch_ && switch_->ok() && !switch_->restore())
            log::error("cannot restore tend's filesystem uid/gid after a readiness probe");
    }
    AsService(const AsService&) = delete;
    AsService& operator=(const AsService&) = delete;

    bool ok() const { return !switch_ || switch_->ok(); }

private:
    std::optional<process::FsIdentity> switch_;
};

bool at_or_after(const timespec& time, const timespec& reference) {
    if (time.tv_sec != reference.tv_sec) return time.tv_sec > reference.tv_sec;
    return time.tv_nsec >= reference.tv_nsec;
}

}  // namespace

ReadinessProbe::ReadinessProbe(sys::EventLoop& loop, std::string service, config::ReadyWhen condition,
                               std::optional<ProbeIdentity> identity, std::function<void()> on_ready)
    : loop_(loop),
      service_(std::move(service)),
      condition_(std::move(condition)),
      identity_(identity),
      on_ready_(std::move(on_ready)) {}

ReadinessProbe::~ReadinessProbe() {
    abandon_pending();
    stop_watching();
}

// File timestamps come from the coarse wall clock (the last tick): a file
// written in the very tick of the start must count, so the start is read
// from the same clock and compared with >=. The price: a file changed in the
// same few milliseconds just before the start counts too, which a previous
// life (restarts come 100 ms apart at least) never is.
timespec ReadinessProbe::file_clock_now() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
    return now;
}

void ReadinessProbe::start(TimePoint now, timespec spawned_at) {
    stop();
    spawned_at_ = spawned_at;
    last_error_ = -1;
    schedule_.start(now);
    watch_directory();
}

void ReadinessProbe::stop() {
    schedule_.stop();
    abandon_pending();
    stop_watching();
}

void ReadinessProbe::stop_watching() {
    if (!watch_) return;
    loop_.remove(watch_.get());
    watch_.reset();
}

// Best effort: without a watch (no such directory yet, no permission, out of
// inotify watches) the timer alone finds the service ready.
void ReadinessProbe::watch_directory() {
    if (watch_ || condition_.kind == config::ReadyWhen::Kind::Tcp) return;
    const auto slash = condition_.path.rfind('/');
    const std::string dir = slash == 0 ? "/" : condition_.path.substr(0, slash);
    watched_name_ = condition_.path.substr(slash + 1);
    sys::UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!fd) return;
    {
        // The directory must be readable by the service's user, as the path is.
        AsService as_service(identity_);
        if (!as_service.ok()) return;
        constexpr std::uint32_t kMask =
            IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_MODIFY | IN_ONLYDIR;
        if (::inotify_add_watch(fd.get(), dir.c_str(), kMask) < 0) return;
    }
    if (!loop_.add(fd.get(), EPOLLIN, [this](std::uint32_t) { on_directory_event(); })) return;
    watch_ = std::move(fd);
}

// Something happened in the directory: when it concerns our name (or events
// were lost), try now. A failure changes nothing: the timer goes on.
void ReadinessProbe::on_directory_event() {
    if (!watch_) return;
    alignas(inotify_event) char buffer[4096];
    bool ours = false;
    bool gone = false;
    for (;;) {
        const ssize_t n = ::read(watch_.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
            const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
            if ((event->mask & IN_Q_OVERFLOW) != 0) ours = true;
            if ((event->mask & IN_IGNORED) != 0) gone = true;  // the directory was removed
            if (event->len > 0 && watched_name_ == event->name) ours = true;
            at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        }
    }
    if (gone) stop_watching();  // the next timed attempt watches again
    if (!ours || !schedule_.active() || pending_) return;
    if (attempt() == Outcome::Ready) succeed();
}

void ReadinessProbe::abandon_pending() {
    if (!pending_) return;
    loop_.remove(pending_.get());
    pending_.reset();
}

void ReadinessProbe::on_timer(TimePoint now) {
    if (!schedule_.due(now)) return;
    if (pending_) {
        // A connect still in progress (a SYN without an answer) is given up
        // to the longest delay, then replaced by a fresh one.
        if (now - pending_since_ < ProbeSchedule::kMaxDelay) {
            schedule_.attempted(now);
            return;
        }
        abandon_pending();
    }
    switch (attempt()) {
        case Outcome::Ready:
            succeed();
            return;
        case Outcome::Pending:
            pending_since_ = now;
            [[fallthrough]];
        case Outcome::NotYet:
            schedule_.attempted(now);
            watch_directory();  // the directory may exist by now
            return;
    }
}

ReadinessProbe::Outcome ReadinessProbe::attempt() {
    AsService as_service(identity_);
    if (!as_service.ok()) {
        not_yet(kIdentityFailed);
        return Outcome::NotYet;
    }
    if (condition_.kind == config::ReadyWhen::Kind::File) return check_file();
    return attempt_connect();
}

ReadinessProbe::Outcome ReadinessProbe::check_file() {
    struct stat status {};
    if (::stat(condition_.path.c_str(), &status) != 0) {
        not_yet(errno);
        return Outcome::NotYet;
    }
    // ctime changes with every write, rename and chmod and cannot be set
    // back by anyone, unlike mtime (touch -d): a file of the previous life
    // never counts.
    if (!at_or_after(status.st_ctim, spawned_at_)) {
        not_yet(kFileNotChanged);
        return Outcome::NotYet;
    }
    return Outcome::Ready;
}

ReadinessProbe::Outcome ReadinessProbe::attempt_connect() {
    sockaddr_storage address{};
    socklen_t length = 0;
    int family = condition_.family;
    if (condition_.kind == config::ReadyWhen::Kind::Socket) {
        family = AF_UNIX;
        auto* unix_address = reinterpret_cast<sockaddr_un*>(&address);
        unix_address->sun_family = AF_UNIX;
        // The parser limits the path to fit with its NUL.
        std::memcpy(unix_address->sun_path, condition_.path.data(),
                    std::min(condition_.path.size(), sizeof unix_address->sun_path - 1));
        length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + condition_.path.size() + 1);
    } else if (condition_.family == AF_INET6) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(condition_.port);
        std::memcpy(&v6->sin6_addr, condition_.address.data(), sizeof v6->sin6_addr);
        length = sizeof *v6;
    } else {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
        v4->sin_family = AF_INET;
        v4->sin_port = htons(condition_.port);
        std::memcpy(&v4->sin_addr, condition_.address.data(), sizeof v4->sin_addr);
        length = sizeof *v4;
    }

    // A unix socket may be a datagram or seqpacket one; connect() says so
    // with EPROTOTYPE, and a socket of the matching type then tells the truth.
    const int types[] = {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM};
    for (int type : types) {
        sys::UniqueFd fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!fd) {
            not_yet(errno);
            return Outcome::NotYet;
        }
        int result;
        do {
            result = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), length);
        } while (result != 0 && errno == EINTR);
        if (result == 0) return Outcome::Ready;
        const int error = errno;
        if (error == EPROTOTYPE && family == AF_UNIX) continue;
        if (error == EINPROGRESS) {
            auto added = loop_.add(fd.get(), EPOLLOUT, [this](std::uint32_t) { on_connect_done(); });
            if (!added) {
                not_yet(added.error());
                return Outcome::NotYet;
            }
            pending_ = std::move(fd);
            return Outcome::Pending;
        }
        // ECONNREFUSED: a socket file nobody listens on (the previous life's),
        // or a port nobody listens on yet; EAGAIN: a unix listener's backlog
        // is full; ENOENT: not bound yet.
        not_yet(error);
        return Outcome::NotYet;
    }
    not_yet(EPROTOTYPE);
    return Outcome::NotYet;
}

// The connect in progress finished, one way or the other.
void ReadinessProbe::on_connect_done() {
    if (!pending_) return;
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(pending_.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
    abandon_pending();
    if (error == 0) {
        succeed();
        return;
    }
    not_yet(error);  // the timer, still running, tries again
}

void ReadinessProbe::not_yet(int error) {
    // Attempts repeat every second at most; only a new reason is worth a line.
    if (error == last_error_) return;
    last_error_ = error;
    const std::string what = describe(condition_);
    switch (error) {
        case kFileNotChanged:
            log::debug("service {}: not ready yet: {} exists but was not created or changed since the start",
                       service_, what);
            return;
        case kIdentityFailed:
            log::error("service {}: cannot probe {}: cannot set tend's filesystem uid/gid to {}:{}", service_, what,
                       identity_ ? identity_->uid : 0, identity_ ? identity_->gid : 0);
            return;
        case EACCES:
        case EPERM:
            // A permission problem will not go away by waiting: say it out loud.
            log::warn("service {}: not ready yet: {}: {} (probed as uid {})", service_, what, std::strerror(error),
                      identity_ ? identity_->uid : ::geteuid());
            return;
        default:
            log::debug("service {}: not ready yet: {}: {}", service_, what, std::strerror(error));
            return;
    }
}

void ReadinessProbe::succeed() {
    stop();
    on_ready_();  // last: the callee may call stop() again, which is harmless
}

}  // namespace tend::core
