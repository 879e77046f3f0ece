// Reading an `env/` directory (see envdir.hpp).
#include "tend/config/envdir.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <system_error>

#include "tend/config/file_reader.hpp"

namespace tend::config {
namespace {

ConfigError error_at(const std::filesystem::path& file, std::string reason) {
    return ConfigError{file, std::move(reason)};
}

std::expected<std::vector<EnvdirEntry>, ConfigError> read_envdir_unguarded(const std::filesystem::path& dir) {
    struct stat dir_status {};
    if (::lstat(dir.c_str(), &dir_status) != 0) {
        if (errno == ENOENT) return std::vector<EnvdirEntry>{};
        return std::unexpected(error_at(dir, std::strerror(errno)));
    }
    // stat() (following a symlink, which is allowed) for the type; a loop or
    // a dangling link is reported here rather than as "not a directory".
    if (::stat(dir.c_str(), &dir_status) != 0) {
        // lstat found the name, so ENOENT here means its target is missing:
        // say so, as every other file of a service dir does.
        if (errno == ENOENT) return std::unexpected(error_at(dir, "dangling symbolic link (its target does not exist)"));
        return std::unexpected(error_at(dir, std::strerror(errno)));
    }
    if (!S_ISDIR(dir_status.st_mode)) return std::unexpected(error_at(dir, "is not a directory"));

    std::error_code error;
    std::filesystem::directory_iterator entries(dir, error);
    if (error) return std::unexpected(error_at(dir, error.message()));

    std::vector<EnvdirEntry> result;
    for (; entries != std::filesystem::directory_iterator{}; entries.increment(error)) {
        if (error) break;
        const std::filesystem::path& file = entries->path();
        const std::string name = file.filename().string();
        if (name.starts_with('.')) continue;  // s6-envdir skips dot files too
        if (name.find('=') != std::string::npos) {
            return std::unexpected(error_at(file, "variable name contains '='"));
        }
        if (result.size() >= kMaxEnvdirEntries) {
            return std::unexpected(error_at(dir, "more than " + std::to_string(kMaxEnvdirEntries) + " entries"));
        }
        const auto content = read_small_file(file);
        if (!content) return std::unexpected(error_at(file, content.error()));
        result.push_back(EnvdirEntry{name, envdir_value(*content)});
    }
    if (error) return std::unexpected(error_at(dir, error.message()));

    std::sort(result.begin(), result.end(),
              [](const EnvdirEntry& a, const EnvdirEntry& b) { return a.name < b.name; });
    return result;
}

}  // namespace

std::optional<std::string> envdir_value(const std::string& content) {
    if (content.empty()) return std::nullopt;
    std::string value = content.substr(0, content.find('\n'));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    std::replace(value.begin(), value.end(), '\0', '\n');
    return value;
}

std::expected<std::vector<EnvdirEntry>, ConfigError> read_envdir(const std::filesystem::path& dir) {
    try {
        return read_envdir_unguarded(dir);
    } catch (...) {
        // Out of memory: building a message may fail again, so fall back to
        // an error without text rather than let anything escape.
        try {
            return std::unexpected(ConfigError{dir, "out of memory while reading this env dir"});
        } catch (...) {
            return std::unexpected(ConfigError{});
        }
    }
}

}  // namespace tend::config
