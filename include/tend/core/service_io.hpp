// A service's I/O with tend: the fds between tend and one service, and the
// readiness channels read from them.
//
//   output pipes   the service's own stdout and stderr pipes, read by the
//                  output router; made at its first start, owned by its user
//                  (so it can reopen /dev/stdout), kept for tend's whole life:
//                  a restart creates no fd and loses no line.
//   log pipe       a logger's stdin (a v2 `log/` dir, an s6-rc pipeline): its
//                  producers' stdout. Both ends stay with tend for its whole
//                  life, as s6-svscan holds them, so neither side's restart
//                  loses bytes and a producer never gets SIGPIPE.
//   notification   the s6 notification-fd of one life: a pipe whose write end
//                  the child gets; a newline on it makes the service ready.
//   probe          `ready-when`: probing from the spawn until the first success.
//
// The supervisor decides when (a start, an exit); ServiceIo knows how. It is
// made once per configured service at load and lives at a fixed address (the
// event loop's callbacks point to it). Nothing here throws: a failure is
// logged with the service's name and answered with false.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tend/config/ready_when.hpp"
#include "tend/core/clock.hpp"
#include "tend/core/readiness_probe.hpp"
#include "tend/log/output_router.hpp"
#include "tend/process/spawn.hpp"
#include "tend/sys/event_loop.hpp"
#include "tend/sys/fd.hpp"

namespace tend::core {

class ServiceIo {
public:
    // Who a pipe belongs to: the user the service runs as.
    struct Owner {
        uid_t uid;
        gid_t gid;
    };

    // `router`: null with --inherit-output (the children keep tend's fds).
    // `on_ready`: a newline on the notification fd or a probe's success,
    // called from the event loop once per life.
    ServiceIo(sys::EventLoop& loop, log::OutputRouter* router, std::string service, Owner owner,
              std::function<void()> on_ready);
    ~ServiceIo();
    ServiceIo(const ServiceIo&) = delete;
    ServiceIo& operator=(const ServiceIo&) = delete;

    // ---- output pipes ----
    // The pipes on the plan's fd 1 and 2, made at the first call. False when
    // they cannot be made (logged); the plan is then left as it was.
    bool attach_output(process::SpawnPlan& plan);
    // A process writing to them (main, finish, a run) ended: the router says
    // its partial last line now.
    void writer_exited();
    // An overlapping run's own stdout and stderr pipes (a crontab job's run
    // beside the one in progress, supercronic -overlapping), routed under
    // the service's name: a line one run writes in pieces is never joined
    // with the other's, and neither run's end cuts the other's partial line.
    // They end with the run (end of file: tend keeps no write end); the
    // write ends go to `child_ends`, to close once the child holds them.
    bool attach_run_output(process::SpawnPlan& plan, std::vector<sys::UniqueFd>& child_ends);

    // ---- the log pipe (this service is a logger) ----
    // The pipe on a producer's fd 1, or on this logger's own fd 0; made by
    // the first side that starts, owned by `owner` (the first producer's user,
    // who must be able to reopen /dev/stdout). `keep_off`: the logger's
    // notification-fd number, which its read end must not take.
    bool attach_log_stdout(process::SpawnPlan& producer_plan, Owner owner, std::optional<int> keep_off);
    bool attach_log_stdin(process::SpawnPlan& logger_plan, Owner owner, std::optional<int> keep_off);
    // Bytes written to the log pipe and not read yet (said at exit).
    std::size_t unread_log_bytes() const;
    // Its ends as placed on the children's fds (-1 before the first start).
    int log_pipe_read_end() const { return log_pipe_read_.get(); }
    int log_pipe_write_end() const { return log_pipe_write_.get(); }

    // ---- readiness of one life ----
    // A notification pipe for the next spawn: its write end goes on the
    // plan's `fd_number` and is returned (the caller closes it after the
    // spawn); the read end waits for watch_notification(). Null on failure (logged).
    sys::UniqueFd open_notification(process::SpawnPlan& plan, int fd_number);
    // The spawn succeeded: read the pipe from now on.
    void watch_notification();
    // The life ended (or its spawn failed): the pipe is closed.
    void close_notification();

    // `ready-when`: probing starts now, as this life's own (a socket or file of
    // the previous life never counts); `spawned_at` is the file clock before the spawn.
    void start_probe(const config::ReadyWhen& condition, std::optional<ProbeIdentity> identity, TimePoint now,
                     timespec spawned_at);
    // Ready, or no longer running: no more attempts and no more wakeups.
    void stop_probe();
    std::optional<TimePoint> probe_deadline() const;
    void on_timer(TimePoint now);
    const ReadinessProbe* probe() const { return probe_.get(); }

private:
    // The service's stdout and stderr pipes, owned by its user, their read
    // ends routed under its name (`end`: see log::OutputRouter::SourceEnd),
    // their write ends put in `write_ends`. False when one cannot be made
    // (logged as "cannot create WHOSE stdout pipe").
    bool route_output_pipes(sys::UniqueFd (&write_ends)[2], log::OutputRouter::SourceEnd end, std::string_view whose);
    bool make_log_pipe(Owner owner, std::optional<int> keep_off);
    void on_notification();

    static constexpr int kNotificationReadsPerWakeup = 8;         // of 512 bytes
    static constexpr std::size_t kNotificationLimit = 64 * 1024;  // bytes without a newline

    sys::EventLoop& loop_;
    log::OutputRouter* router_;
    std::string service_;
    Owner owner_;
    std::function<void()> on_ready_;

    sys::UniqueFd output_write_[2];  // tend keeps the write ends; the router has the read ends
    std::optional<log::OutputRouter::WriterId> output_writer_;
    sys::UniqueFd log_pipe_read_;
    sys::UniqueFd log_pipe_write_;
    sys::UniqueFd notification_;       // read end of this life's notification pipe
    bool notification_watched_ = false;
    std::size_t notification_bytes_ = 0;  // read from it without a newline
    std::unique_ptr<ReadinessProbe> probe_;  // made at the first start that needs one
};

}  // namespace tend::core
