// Reading an `env/` directory with s6-envdir semantics.
//
// Each file is one variable: its name is the file name; its value is the
// first line (up to the first newline) with trailing spaces and tabs removed
// and NUL bytes turned into newlines (how s6 encodes multi-line values). An
// empty file means "unset this variable". Errors carry the exact path of the
// offending entry so the log line points at the file to fix.
#pragma once

#include <cstddef>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tend/config/service_config.hpp"

namespace tend::config {

// Upper bound on entries, so a directory of a million files cannot make the
// parent allocate without limit.
inline constexpr std::size_t kMaxEnvdirEntries = 4096;

// The value an envdir file of this content defines (nullopt = unset).
std::optional<std::string> envdir_value(const std::string& content);

// Reads `dir` (usually `<service dir>/env`). A missing dir gives an empty
// list. Entries are sorted by name; hidden files are skipped; a name with '=',
// a subdirectory or an unreadable file is an error. Never throws.
std::expected<std::vector<EnvdirEntry>, ConfigError> read_envdir(const std::filesystem::path& dir);

}  // namespace tend::config
