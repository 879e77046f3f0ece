// Bounded, defensive reading of small config files.
//
// Config files come from images and mounts we do not control: a file may be
// huge, binary, a FIFO, a directory or a symlink loop. Every read goes through
// here so each of those cases gives one clear reason instead of a hang or a
// crash.
#pragma once

#include <cstddef>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tend::config {

inline constexpr std::size_t kMaxConfigFileBytes = 64 * 1024;

// Reads a regular file of at most `max_bytes`. Errors are reasons without the
// path ("is a directory", "larger than 65536 bytes", "Too many levels of
// symbolic links").
std::expected<std::string, std::string> read_small_file(const std::filesystem::path& file,
                                                        std::size_t max_bytes = kMaxConfigFileBytes);
// The same, where a file that does not exist (a dangling symlink included) is
// nullopt rather than an error: /etc/passwd in a scratch image.
std::expected<std::optional<std::string>, std::string> read_small_file_if_present(const std::filesystem::path& file,
                                                                                  std::size_t max_bytes);

// Text check for one-value files: fails with a reason on NUL or other control
// bytes except tab/newline/CR.
std::expected<void, std::string> check_text(const std::string& content);

// Splits on newlines; trims blanks (space, tab, CR) at both ends; drops empty
// lines and lines starting with '#'.
std::vector<std::string> meaningful_lines(const std::string& content);

// First meaningful line, trimmed ("" if none).
std::string first_line(const std::string& content);

}  // namespace tend::config
