// The runtime dir trust rule, one home for tend (control/server.cpp, before
// it listens) and its client (control/client.cpp, before it connects).
//
// A dir is trusted only if no one but `trusted_uid` or root can change what is
// in it: a directory owned by one of them, not writable by group or others
// unless sticky (then no one else can remove or rename a socket there). tend
// passes its euid, the client its own. In a sticky dir others may still create files, so
// the client also checks who serves the socket (SO_PEERCRED).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace tend::control {

// Why DIR (its fstat in `st`) is not trusted, naming it; nullopt when it is.
// Pure.
std::optional<std::string> runtime_dir_distrust(const std::filesystem::path& dir, const struct stat& st,
                                                uid_t trusted_uid);

}  // namespace tend::control
