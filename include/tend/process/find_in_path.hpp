// Finding a program as execvp would, but in the parent: the child then only
// calls execve (no allocation, no PATH walk between fork and exec).
#pragma once

#include <optional>
#include <string>

namespace tend::process {

// `name` itself when it contains a '/'; else the first executable
// `<dir>/<name>` of the colon-separated `path` (an empty entry is the current
// directory, as for execvp); nullopt when none is.
std::optional<std::string> find_in_path(const std::string& name, const std::string& path);

}  // namespace tend::process
