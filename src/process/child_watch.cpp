#include "tend/process/child_watch.hpp"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

namespace tend::process {

ChildWatch::~ChildWatch() {
    for (auto& [pid, pending] : starts_)
        if (pending.status) loop_.remove(pending.status.get());
}

std::expected<pid_t, SpawnFailure> ChildWatch::spawn(const SpawnPlan& plan) {
    auto child = process::spawn(plan);
    if (!child) return std::unexpected(child.error());
    const pid_t pid = child->pid;
    Pending& pending = starts_[pid];
    pending = Pending{std::move(child->status), FailureContext::of(plan), std::nullopt, {}};
    // Not watched (out of memory): settled at the reap instead, which always works.
    (void)loop_.add(pending.status.get(), EPOLLIN, [this, pid](std::uint32_t) { on_status(pid); });
    return pid;
}

bool ChildWatch::settle(pid_t, Pending& pending) {
    StartReport report = read_start_report(pending.status.get(), pending.context);
    if (report.outcome == StartOutcome::Pending) return false;
    if (report.outcome == StartOutcome::Failed) pending.failure = std::move(report.failure);
    loop_.remove(pending.status.get());
    pending.status.reset();
    return true;
}

void ChildWatch::on_status(pid_t pid) {
    auto it = starts_.find(pid);
    if (it == starts_.end() || !it->second.status) return;
    if (!settle(pid, it->second) || it->second.failure) return;
    // exec'd: nothing to keep; what waited for it runs now (after the erase,
    // so an action that asks starting(pid) hears no).
    std::vector<std::function<void()>> actions = std::move(it->second.when_started);
    starts_.erase(it);
    for (auto& action : actions) action();
}

bool ChildWatch::starting(pid_t pid) const {
    auto it = starts_.find(pid);
    return it != starts_.end() && it->second.status;
}

void ChildWatch::when_started(pid_t pid, std::function<void()> action) {
    auto it = starts_.find(pid);
    if (it == starts_.end() || !it->second.status) {
        action();
        return;
    }
    it->second.when_started.push_back(std::move(action));
}

std::optional<SpawnFailure> ChildWatch::start_failure(pid_t pid) {
    auto it = starts_.find(pid);
    if (it == starts_.end()) return std::nullopt;
    if (it->second.status) settle(pid, it->second);  // exited: all it wrote is there
    std::optional<SpawnFailure> failure = std::move(it->second.failure);
    if (it->second.status) loop_.remove(it->second.status.get());
    starts_.erase(it);
    return failure;
}

void ChildWatch::act_as(uid_t uid, gid_t gid, std::vector<UidSignal> signals, HelperDone done) {
    auto pid = start_uid_helper(uid, gid, signals);
    if (!pid) {
        done(pid.error());
        return;
    }
    helpers_[*pid] = Helper{clock_.now() + kHelperDeadline, std::move(done)};
}

bool ChildWatch::helper_reaped(pid_t pid, int wait_status) {
    auto it = helpers_.find(pid);
    if (it == helpers_.end()) return false;
    Helper helper = std::move(it->second);
    helpers_.erase(it);
    int error = ETIMEDOUT;
    if (!helper.killed) error = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : EINTR;
    helper.done(error);
    return true;
}

std::optional<sys::TimePoint> ChildWatch::next_deadline() const {
    std::optional<sys::TimePoint> earliest;
    for (const auto& [pid, helper] : helpers_)
        if (!helper.killed && (!earliest || helper.deadline < *earliest)) earliest = helper.deadline;
    return earliest;
}

void ChildWatch::on_timer() {
    const sys::TimePoint now = clock_.now();
    for (auto& [pid, helper] : helpers_) {
        if (helper.killed || now < helper.deadline) continue;
        ::kill(pid, SIGKILL);  // its real uid is tend's: always permitted
        helper.killed = true;  // reaped like any child; done(ETIMEDOUT) then
    }
}

}  // namespace tend::process
