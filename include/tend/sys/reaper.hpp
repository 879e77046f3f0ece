// Reaping and the whole-tree view of tend's descendants.
//
// As PID 1 every orphan of the namespace is re-parented to tend; as a plain
// process tend asks to be a child subreaper so orphans of its own tree come
// to it instead. Either way SIGCHLD means: wait for every child, known or not.
#pragma once

#include <sys/types.h>

#include <functional>
#include <vector>

namespace tend::sys {

// PR_SET_CHILD_SUBREAPER on the calling process. Returns errno or 0.
int become_subreaper();

// Reaps every exited child without blocking, calling on_exit(pid, status)
// for each. Returns false when tend has no children at all (ECHILD).
bool reap_children(const std::function<void(pid_t, int)>& on_exit);

// Every descendant of tend, found through /proc/self/task/*/children,
// recursively. Used instead of kill(-1) when tend is not PID 1 (final_sweep).
std::vector<pid_t> list_descendants();

}  // namespace tend::sys
