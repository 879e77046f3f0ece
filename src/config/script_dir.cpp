// Listing the services dir and the cont-init / cont-finish dirs.
//
// Entries are classified with stat() (following symlinks: a symlink to a
// directory is a service, a symlink to a script is a script) and sorted by
// the bytes of their name so the order never depends on the locale.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "tend/config/service_config.hpp"

namespace tend::config {
namespace {

using Path = std::filesystem::path;

void note(std::vector<std::string>& messages, std::string message) { messages.push_back(std::move(message)); }

// Every entry is "<dir>/<name>" with the same <dir>, so comparing the whole
// native strings orders by the bytes of the name, without allocating.
bool by_name(const Path& a, const Path& b) { return a.native() < b.native(); }

// Calls `visit(entry_path)` for each entry of `dir`. A missing dir is an empty
// dir; any other failure is one message.
template <typename Visit>
void for_each_entry(const Path& dir, std::vector<std::string>& messages, Visit visit) {
    if (dir.empty()) return;  // no such dir at all (the supercronic applet has none)
    std::error_code error;
    std::filesystem::directory_iterator entries(dir, error);
    if (error) {
        if (error != std::errc::no_such_file_or_directory) note(messages, dir.string() + ": " + error.message());
        return;
    }
    for (; entries != std::filesystem::directory_iterator{}; entries.increment(error)) {
        if (error) break;
        visit(entries->path());
    }
    if (error) note(messages, dir.string() + ": " + error.message());
}

std::string stat_failure(const Path& path, int error) {
    return path.string() + ": " + std::strerror(error) + ", skipped";
}

}  // namespace

std::vector<Path> list_service_dirs(const Path& services_dir, std::vector<std::string>& skipped,
                                    std::vector<std::string>& problems) {
    std::vector<Path> dirs;
    for_each_entry(services_dir, problems, [&](const Path& entry) {
        if (entry.filename().string().starts_with('.')) {
            note(skipped, entry.string() + ": hidden, skipped");
            return;
        }
        struct stat status {};
        if (::stat(entry.c_str(), &status) != 0) {
            note(problems, stat_failure(entry, errno));
            return;
        }
        if (!S_ISDIR(status.st_mode)) {
            note(skipped, entry.string() + ": not a directory, skipped");
            return;
        }
        dirs.push_back(entry);
    });
    std::sort(dirs.begin(), dirs.end(), by_name);
    return dirs;
}

std::vector<Path> list_scripts(const Path& dir, std::vector<std::string>& warnings) {
    return list_scripts(dir, warnings, ScriptRules{});
}

std::vector<Path> list_scripts(const Path& dir, std::vector<std::string>& warnings, ScriptRules rules) {
    std::vector<Path> scripts;
    for_each_entry(dir, warnings, [&](const Path& entry) {
        if (entry.filename().string().starts_with('.')) {
            note(warnings, entry.string() + ": hidden, skipped");
            return;
        }
        struct stat status {};
        if (::stat(entry.c_str(), &status) != 0) {
            note(warnings, stat_failure(entry, errno));
            return;
        }
        if (!S_ISREG(status.st_mode)) {
            note(warnings, entry.string() + ": not a regular file, skipped");
            return;
        }
        if ((status.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) {
            if (rules.shebang_without_exec_bit && starts_with_shebang(entry)) {
                note(warnings, entry.string() +
                                   ": not executable; run through its #! line (s6-overlay makes it executable "
                                   "at boot; chmod +x it in the image)");
                scripts.push_back(entry);
                return;
            }
            note(warnings, entry.string() + ": not executable, skipped");
            return;
        }
        scripts.push_back(entry);
    });
    std::sort(scripts.begin(), scripts.end(), by_name);
    return scripts;
}

}  // namespace tend::config
