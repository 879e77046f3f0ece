// The final sweep of shutdown: a signal to every process that is left.
//
// kill(-1) skips, silently and still returning 0, every process that tend
// may not signal: root without CAP_KILL (`--cap-drop ALL --cap-add
// SETUID,SETGID`) cannot signal another uid. So after the direct attempt
// tend looks at what it could not reach and groups it by real uid; for each
// uid the caller starts one helper acting as that uid
// (process/uid_helper.hpp, reaped by the loop: tend never waits for it).
//
// As PID 1 the helper calls kill(-1) too (it reaches what appeared since the
// scan). As a subreaper only tend's own descendants are ever signalled, by
// pid, by tend and by its helpers alike: kill(-1) would reach the host.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace tend::sys {

// One process as /proc/<pid>/status describes it.
struct ProcessEntry {
    pid_t pid = 0;
    uid_t real_uid = 0;
    bool zombie = false;  // exited, waiting to be reaped: nothing to signal
};

// Parses the text of /proc/<pid>/status (State and the real uid of Uid).
// std::nullopt when either line is missing or malformed. Pure.
std::optional<ProcessEntry> parse_process_status(pid_t pid, std::string_view status_text);

// Processes to signal, by real uid, in the order given: zombies and `self`
// are left out. Pure.
std::map<uid_t, std::vector<pid_t>> group_by_real_uid(const std::vector<ProcessEntry>& entries, pid_t self);

// Reads <proc_root>/<pid>/status for each pid (every numeric entry of
// proc_root when `pids` is null). Processes that vanished are skipped.
std::vector<ProcessEntry> read_processes(const std::filesystem::path& proc_root, const std::vector<pid_t>* pids);

// The processes a sweep would reach now, zombies excluded: the whole PID
// namespace but tend (PID 1) or tend's descendants (subreaper).
std::vector<ProcessEntry> remaining_processes(bool is_pid1);

// Processes of one uid that tend may not signal itself.
struct RefusedUid {
    uid_t uid = 0;
    std::vector<pid_t> pids;
};

struct SweepReport {
    std::size_t direct = 0;           // processes tend signalled itself (subreaper), or
                                      // 0 as PID 1 where kill(-1) does not say
    std::vector<RefusedUid> refused;  // by uid: for the caller's helpers
};

// Sends each signal of `signals` (in order) to every process left that tend
// may signal, and lists the others by uid.
SweepReport sweep(const std::vector<int>& signals, bool is_pid1);

}  // namespace tend::sys
