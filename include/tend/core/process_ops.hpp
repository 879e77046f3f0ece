// The thin seam between the supervisor and the kernel.
//
// Everything the supervisor does to processes goes through this interface, so
// unit tests can swap in a fake that records signals and decides which groups
// are empty, while the real one makes the system calls.
#pragma once

#include <sys/types.h>

#include <expected>

#include "tend/process/child_watch.hpp"
#include "tend/process/spawn.hpp"

namespace tend::core {

class ProcessOps {
public:
    virtual ~ProcessOps() = default;
    // Returns as soon as the child exists; a step that fails in the child
    // (exec included) is handed to the reaper's caller with the child's exit
    // (process::ChildWatch::start_failure).
    virtual std::expected<pid_t, process::SpawnFailure> spawn(const process::SpawnPlan& plan) = 0;
    // kill(-pgid, signo); errors (ESRCH: already gone) are not actionable.
    // `owner` is the identity the group runs as (nullptr: tend's own): root
    // without CAP_KILL (--cap-drop ALL --cap-add SETUID,SETGID) may not
    // signal another uid's processes, so the signal is then sent from a
    // helper acting as that uid (process/uid_helper.hpp), which the loop
    // reaps; nothing here waits for it.
    virtual void signal_group(pid_t pgid, int signo, const process::IdentityChange* owner) = 0;
    // True while any process is left in the group.
    virtual bool group_alive(pid_t pgid) = 0;
};

class SystemProcessOps final : public ProcessOps {
public:
    explicit SystemProcessOps(process::ChildWatch& children) : children_(children) {}
    std::expected<pid_t, process::SpawnFailure> spawn(const process::SpawnPlan& plan) override;
    void signal_group(pid_t pgid, int signo, const process::IdentityChange* owner) override;
    bool group_alive(pid_t pgid) override;

private:
    process::ChildWatch& children_;
};

}  // namespace tend::core
