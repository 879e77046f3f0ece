// s6-overlay's container environment directory, /run/s6/container_environment:
// one file per variable, read by with-contenv and printcontenv.
//
// Format (s6-overlay writes it with s6-dumpenv, reads it with
// `s6-envdir -Lf`): the file holds the value; an empty file unsets, so tend
// writes "\n" for an empty value; when read, the whole file is the value with
// one trailing newline removed and NUL turned into newline. A cont-init
// script's `echo value > .../NAME` therefore gives "value".
#pragma once

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "tend/process/environment.hpp"

namespace tend::s6 {

inline constexpr const char* kContainerEnvironmentDir = "/run/s6/container_environment";

// Pure: a file's content for a value, and back. decode gives nothing for an
// empty file (the variable is unset).
std::string encode_value(std::string_view value);
std::optional<std::string> decode_value(std::string_view content);

// A name tend writes or reads: not empty, not hidden, no '=' or '/'.
bool is_storable_name(std::string_view name);

// Writes `env` into dir (created 0700, parents 0755; stale files of the
// previous container life removed first). Errors name the path and cause.
std::expected<void, std::string> write_container_environment(const std::filesystem::path& dir,
                                                            const process::Environment& env);

// Reads dir into an environment; an error names the path and cause (missing
// dir included).
std::expected<process::Environment, std::string> read_container_environment(const std::filesystem::path& dir);

// PID 1's environment from /proc/1/environ (root only, or tend's own uid).
std::expected<process::Environment, std::string> read_pid1_environment();

}  // namespace tend::s6
