// A service dir's `paths` file: the Landlock rules that confine the service.
//
// One rule a line, in the words of the user, not of Landlock:
//
//   read PATH              read files, list directories
//   write PATH             read, write, create, remove, rename, truncate
//   exec PATH              read and execute
//   device PATH            ioctl on the devices under PATH
//   tcp-bind PORT          bind a TCP socket to PORT (`*`: any port)
//   tcp-connect PORT       connect a TCP socket to PORT (`*`: any port)
//   scope signals          no signal to a process outside the service
//   scope abstract-sockets no connect to an abstract unix socket outside it
//
// Blank lines and lines starting with '#' are skipped, as in every other
// service file; blanks around a line are trimmed, so a PATH may hold blanks
// inside. With a `paths` file, everything not granted is denied.
//
// This header is the vocabulary and its syntax only (pure, for `tend check`
// and unit tests) plus the one check that needs the filesystem: every PATH
// must exist when the file is loaded, because Landlock attaches a rule to an
// existing inode. What the rules become on the running kernel lives in
// process/landlock.hpp.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tend::config {

enum class PathAccess { Read, Write, Exec, Device };
enum class PortAccess { Bind, Connect };

struct PathRule {
    PathAccess access = PathAccess::Read;
    std::string path;  // absolute, as written
    unsigned line = 0;  // 1-based, for messages

    bool operator==(const PathRule&) const = default;
};

struct PortRule {
    PortAccess access = PortAccess::Bind;
    std::uint16_t port = 0;
    unsigned line = 0;

    bool operator==(const PortRule&) const = default;
};

struct PathsFile {
    std::vector<PathRule> paths;
    std::vector<PortRule> ports;
    // `tcp-bind *` / `tcp-connect *`: every port, so that right is not
    // restricted at all (Landlock expresses it by not handling the right).
    bool any_bind_port = false;
    bool any_connect_port = false;
    bool scope_signals = false;
    bool scope_abstract_sockets = false;

    bool operator==(const PathsFile&) const = default;
};

// "read", "write", "exec", "device"; "tcp-bind", "tcp-connect".
std::string_view to_string(PathAccess access);
std::string_view to_string(PortAccess access);

// The syntax of a `paths` file. On failure, every problem, each
// "line N: reason" (not only the first: a user fixing the file sees all).
// No filesystem access.
std::expected<PathsFile, std::vector<std::string>> parse_paths_file(std::string_view text);

// Every PATH that does not exist (or cannot be looked up), each
// "line N: PATH: reason". Symbolic links are followed, as Landlock does.
std::vector<std::string> missing_paths(const PathsFile& rules);

// What loading a service dir does: the syntax and every PATH of the lines
// that parsed, looked up even when other lines are wrong, so one pass shows
// every problem of the file (syntax and missing paths), in line order.
std::expected<PathsFile, std::vector<std::string>> load_paths_file(std::string_view text);

// For `tend check`: reads FILE, parses it and looks every PATH up. Every
// problem as "FILE: line N: reason"; empty when the file is good. Starts
// nothing and writes nothing.
std::vector<std::string> check_paths_file(const std::filesystem::path& file);

}  // namespace tend::config
