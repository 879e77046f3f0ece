// The supercronic applet's crontab reload (see applets/run_supercronic.hpp).
//
// Why tend executes itself again rather than swapping jobs in place: the
// crontab's jobs are services like the others (records, pipes, schedules
// indexed by position); once none runs, a fresh start is the one state that
// is certainly right, and costs a few milliseconds. PID 1 stays PID 1 across
// execve, keeps its children (orphans are reaped by the new image) and its
// signal mask (a signal that comes meanwhile waits, blocked, for the new
// signalfd); every fd tend owns is O_CLOEXEC.
#include <sys/inotify.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tend/config/crontab_file.hpp"
#include "tend/core/init.hpp"
#include "tend/log/logger.hpp"

extern char** environ;

namespace tend::core {

void Init::request_crontab_reload(std::string_view why) {
    const std::string file = options_.crontab.string();
    if (sequence_.phase() == Phase::ContInit) {  // the jobs are not loaded yet: they will be, from the file as it is then
        log::debug("{}: the crontab is read when the jobs start", why);
        return;
    }
    if (sequence_.phase() != Phase::Running) {
        log::info("{}: the crontab is not reloaded while tend is {}", why, to_string(sequence_.phase()));
        return;
    }
    if (reload_pending_) {
        log::info("{}: a reload of {} already waits for the running jobs", why, file);
        return;
    }
    // Read now: a crontab that would run nothing must not replace one that runs.
    const std::optional<std::string> zoneinfo = container_env_.get("ZONEINFO");
    auto loaded = config::load_crontab_file(options_.crontab,
                                            zoneinfo ? std::optional<std::string_view>(*zoneinfo) : std::nullopt);
    if (!loaded) {
        for (const auto& problem : loaded.error()) log::error("{}", problem);
        log::error("{}: {} not reloaded: the current jobs go on", why, file);
        return;
    }
    reload_pending_ = true;
    supervisor_->hold_schedules();
    log::info("{}: reloading {} once the running jobs have finished", why, file);
    maybe_reload_crontab();
}

void Init::maybe_reload_crontab() {
    if (!reload_pending_ || sequence_.phase() != Phase::Running || supervisor_->scheduled_runs_going()) return;
    reload_pending_ = false;
    log::info("reloading the crontab: tend starts again with it");
    control_.reset();  // the socket file goes; the new tend makes its own
    drain_output();    // what the jobs wrote is written before the new start
    std::vector<char*> argv;
    for (auto& word : options_.crontab_reload_argv) argv.push_back(word.data());
    argv.push_back(nullptr);
    ::execve("/proc/self/exe", argv.data(), environ);
    const int error = errno;
    // Still here: the old crontab goes on.
    if (router_)
        log::set_line_writer(
            [](void* router, std::string_view line) { static_cast<log::OutputRouter*>(router)->write_own_line(line); },
            router_.get());
    log::error("cannot start tend again to reload the crontab: /proc/self/exe: {}; the current jobs go on",
               std::strerror(error));
    open_control();
    supervisor_->release_schedules();
}

void Init::watch_crontab() {
    sys::UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!fd) {
        log::warn("-inotify: cannot watch {}: {}; SIGUSR2 still reloads it", options_.crontab.string(),
                  std::strerror(errno));
        return;
    }
    if (::inotify_add_watch(fd.get(), options_.crontab.c_str(), IN_CLOSE_WRITE | IN_MOVE_SELF | IN_DELETE_SELF) < 0) {
        log::warn("-inotify: cannot watch {}: {}; SIGUSR2 still reloads it", options_.crontab.string(),
                  std::strerror(errno));
        return;
    }
    auto added = loop_.add(fd.get(), EPOLLIN, [this](std::uint32_t) { on_crontab_changed(); });
    if (!added) {
        log::warn("-inotify: cannot watch {}: {}", options_.crontab.string(), std::strerror(added.error()));
        return;
    }
    crontab_watch_ = std::move(fd);
    log::info("watching {} for changes (-inotify)", options_.crontab.string());
}

void Init::on_crontab_changed() {
    alignas(inotify_event) char buffer[4096];
    bool changed = false;
    bool replaced = false;  // the watched file is gone (an editor's rename, a Kubernetes ConfigMap update)
    for (;;) {
        const ssize_t got = ::read(crontab_watch_.get(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        for (ssize_t at = 0; at < got;) {
            const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
            if (event->mask & IN_CLOSE_WRITE) changed = true;
            if (event->mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_IGNORED)) replaced = true;
            at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        }
    }
    if (replaced &&
        ::inotify_add_watch(crontab_watch_.get(), options_.crontab.c_str(), IN_CLOSE_WRITE | IN_MOVE_SELF | IN_DELETE_SELF) < 0)
        log::warn("-inotify: {} is gone ({}); SIGUSR2 reloads it once it is back", options_.crontab.string(),
                  std::strerror(errno));
    if (changed || replaced) request_crontab_reload("the crontab changed");
}

}  // namespace tend::core
