#include "tend/core/service_io.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tend/log/logger.hpp"
#include "tend/process/owned_pipe.hpp"

namespace tend::core {

ServiceIo::ServiceIo(sys::EventLoop& loop, log::OutputRouter* router, std::string service, Owner owner,
                     std::function<void()> on_ready)
    : loop_(loop), router_(router), service_(std::move(service)), owner_(owner), on_ready_(std::move(on_ready)) {}

ServiceIo::~ServiceIo() { close_notification(); }

// Both pipes are made before either is routed, so a failure leaves nothing
// half made; the writer (the service's name in the router) is one for all
// its pipes.
bool ServiceIo::route_output_pipes(sys::UniqueFd (&write_ends)[2], log::OutputRouter::SourceEnd end,
                                   std::string_view whose) {
    sys::Pipe pipes[2];
    for (int stream = 0; stream < 2; ++stream) {
        auto pipe = process::make_owned_pipe(owner_.uid, owner_.gid);
        if (!pipe) {
            log::error("service {}: cannot create {} {} pipe: {}", service_, whose, stream == 0 ? "stdout" : "stderr",
                       pipe.error());
            return false;
        }
        pipes[stream] = std::move(*pipe);
    }
    if (!output_writer_) output_writer_ = router_->add_writer(service_);
    for (int stream = 0; stream < 2; ++stream) {
        router_->add_source(*output_writer_, std::move(pipes[stream].read),
                            stream == 0 ? log::Stream::Out : log::Stream::Err, end);
        write_ends[stream] = std::move(pipes[stream].write);
    }
    return true;
}

bool ServiceIo::attach_output(process::SpawnPlan& plan) {
    if (!router_) return true;  // --inherit-output: tend's own fds
    if (!output_write_[0] && !route_output_pipes(output_write_, log::OutputRouter::SourceEnd::WriterExit, "its"))
        return false;
    plan.stdout_fd = output_write_[0].get();
    plan.stderr_fd = output_write_[1].get();
    return true;
}

bool ServiceIo::attach_run_output(process::SpawnPlan& plan, std::vector<sys::UniqueFd>& child_ends) {
    if (!router_) return true;  // --inherit-output: tend's own fds
    sys::UniqueFd write_ends[2];
    if (!route_output_pipes(write_ends, log::OutputRouter::SourceEnd::EndOfFile, "its overlapping run's"))
        return false;
    plan.stdout_fd = write_ends[0].get();
    plan.stderr_fd = write_ends[1].get();
    for (sys::UniqueFd& end : write_ends) child_ends.push_back(std::move(end));
    return true;
}

void ServiceIo::writer_exited() {
    if (router_ && output_writer_) router_->writer_exited(*output_writer_);
}

// Both ends above fd 2 (the child replaces 0..2 with its plan's fds), and the
// read end off the logger's notification-fd number (s6-log -d3 with
// notification-fd 3), which the child fills before its stdin.
bool ServiceIo::make_log_pipe(Owner owner, std::optional<int> keep_off) {
    auto pipe = process::make_owned_pipe(owner.uid, owner.gid);
    if (!pipe) {
        log::error("service {}: cannot create the pipe it reads its producer's output from: {}", service_,
                   pipe.error());
        return false;
    }
    const int taken = keep_off.value_or(-1);
    for (sys::UniqueFd* end : {&pipe->read, &pipe->write}) {
        if (end->get() >= 3 && !(end == &pipe->read && end->get() == taken)) continue;
        const int moved = ::fcntl(end->get(), F_DUPFD_CLOEXEC, taken >= 3 ? taken + 1 : 3);
        if (moved < 0) {
            log::error("service {}: cannot move its log pipe above fd 2: {}", service_, std::strerror(errno));
            return false;
        }
        *end = sys::UniqueFd(moved);
    }
    log_pipe_read_ = std::move(pipe->read);
    log_pipe_write_ = std::move(pipe->write);
    return true;
}

bool ServiceIo::attach_log_stdout(process::SpawnPlan& producer_plan, Owner owner, std::optional<int> keep_off) {
    if (!log_pipe_write_ && !make_log_pipe(owner, keep_off)) return false;
    producer_plan.stdout_fd = log_pipe_write_.get();
    return true;
}

bool ServiceIo::attach_log_stdin(process::SpawnPlan& logger_plan, Owner owner, std::optional<int> keep_off) {
    if (!log_pipe_read_ && !make_log_pipe(owner, keep_off)) return false;
    logger_plan.stdin_fd = log_pipe_read_.get();
    return true;
}

std::size_t ServiceIo::unread_log_bytes() const {
    int bytes = 0;
    if (!log_pipe_read_ || ::ioctl(log_pipe_read_.get(), FIONREAD, &bytes) != 0 || bytes < 0) return 0;
    return static_cast<std::size_t>(bytes);
}

sys::UniqueFd ServiceIo::open_notification(process::SpawnPlan& plan, int fd_number) {
    close_notification();
    auto pipe = sys::make_pipe();
    if (!pipe) {
        log::error("service {}: cannot create notification pipe: {}", service_, std::strerror(pipe.error()));
        return {};
    }
    sys::set_nonblocking(pipe->read.get());
    plan.notification_fd_number = fd_number;
    plan.notification_fd = pipe->write.get();
    notification_ = std::move(pipe->read);
    notification_bytes_ = 0;
    return std::move(pipe->write);
}

void ServiceIo::watch_notification() {
    if (!notification_ || notification_watched_) return;
    auto added = loop_.add(notification_.get(), EPOLLIN, [this](std::uint32_t) { on_notification(); });
    if (!added) {
        log::error("service {}: cannot watch notification-fd: {}", service_, std::strerror(added.error()));
        return;
    }
    notification_watched_ = true;
}

void ServiceIo::close_notification() {
    if (notification_watched_) loop_.remove(notification_.get());
    notification_watched_ = false;
    notification_.reset();
}

// s6 readiness: only a newline makes the service ready; EOF without one never does.
// The work is bounded: a few reads per wakeup (the fd stays readable, so the
// loop comes back after the other events), and after kNotificationLimit bytes
// without a newline tend stops reading. The fd stays open until the service
// exits, so a flooding writer blocks on the full pipe instead of dying of SIGPIPE.
void ServiceIo::on_notification() {
    char buffer[512];
    for (int reads = 0; reads < kNotificationReadsPerWakeup; ++reads) {
        ssize_t n = ::read(notification_.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        bool newline = n > 0 && std::memchr(buffer, '\n', static_cast<std::size_t>(n)) != nullptr;
        if (n > 0 && !newline) {
            notification_bytes_ += static_cast<std::size_t>(n);
            if (notification_bytes_ < kNotificationLimit) continue;
            log::warn("service {}: notification-fd: {} bytes without a newline; no longer read, so it cannot "
                      "make the service ready",
                      service_, notification_bytes_);
            loop_.remove(notification_.get());
            notification_watched_ = false;
            return;
        }
        close_notification();
        if (newline) {
            log::info("service {}: ready", service_);
            on_ready_();
        }
        return;
    }
}

void ServiceIo::start_probe(const config::ReadyWhen& condition, std::optional<ProbeIdentity> identity, TimePoint now,
                            timespec spawned_at) {
    if (!probe_)
        probe_ = std::make_unique<ReadinessProbe>(loop_, service_, condition, identity, [this] {
            log::info("service {}: ready ({})", service_, config::describe(probe_->condition()));
            on_ready_();
        });
    probe_->start(now, spawned_at);
}

void ServiceIo::stop_probe() {
    if (probe_ && probe_->active()) probe_->stop();
}

std::optional<TimePoint> ServiceIo::probe_deadline() const { return probe_ ? probe_->deadline() : std::nullopt; }

void ServiceIo::on_timer(TimePoint now) {
    if (probe_) probe_->on_timer(now);
}

}  // namespace tend::core
