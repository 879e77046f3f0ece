// The thin seam between the supervisor and the kernel.
//
// Everything the supervisor does to processes goes through this interface, so
// unit tests can swap in a fake that records signals and decides which groups
// are empty, while the real one makes the system calls.
#pragma once

#include <sys/types.h>

#include <expected>

#include "tend/process/spawn.hpp"

namespace tend::core {

class ProcessOps {
public:
    virtual ~ProcessOps() = default;
    virtual std::expected<pid_t, process::SpawnFailure> spawn(const process::SpawnPlan& plan) = 0;
    // kill(-pgid, signo); errors (ESRCH: already gone) are not actionable.
    virtual void signal_group(pid_t pgid, int signo) = 0;
    // True while any process is left in the group.
    virtual bool group_alive(pid_t pgid) = 0;
};

class SystemProcessOps final : public ProcessOps {
public:
    std::expected<pid_t, process::SpawnFailure> spawn(const process::SpawnPlan& plan) override;
    void signal_group(pid_t pgid, int signo) override;
    bool group_alive(pid_t pgid) override;
};

}  // namespace tend::core
