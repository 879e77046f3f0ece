// Bounded, defensive reading of small config files (see file_reader.hpp).
//
// open() uses O_NONBLOCK so a FIFO or a device node planted as a config file
// cannot block PID 1; fstat() then rejects anything that is not a regular
// file before a single byte is read.
#include "tend/config/file_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>

#include "tend/sys/fd.hpp"

namespace tend::config {
namespace {

std::string file_type_reason(mode_t mode) {
    if (S_ISDIR(mode)) return "is a directory";
    if (S_ISFIFO(mode)) return "is a FIFO, not a regular file";
    if (S_ISSOCK(mode)) return "is a socket, not a regular file";
    if (S_ISCHR(mode)) return "is a character device, not a regular file";
    if (S_ISBLK(mode)) return "is a block device, not a regular file";
    return "is not a regular file";
}

std::string too_large_reason(std::size_t max_bytes) {
    return "larger than " + std::to_string(max_bytes) + " bytes";
}

// open() said ENOENT: a dangling symlink deserves a more useful reason than
// "No such file or directory" because `ls` shows the name.
std::string missing_reason(const std::filesystem::path& file) {
    struct stat link_status {};
    if (::lstat(file.c_str(), &link_status) == 0 && S_ISLNK(link_status.st_mode)) {
        return "dangling symbolic link (its target does not exist)";
    }
    return std::strerror(ENOENT);
}

// `missing` (when given) is set instead of failing when the file does not exist.
std::expected<std::string, std::string> read_small_file_text(const std::filesystem::path& file, std::size_t max_bytes,
                                                             bool* missing = nullptr) {
    const int raw_fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (raw_fd < 0) {
        const int error = errno;
        if (error == ENOENT && missing) {
            *missing = true;
            return std::string();
        }
        if (error == ENOENT) return std::unexpected(missing_reason(file));
        // A socket fails open() with ENXIO ("No such device or address"):
        // name the file type instead, which is what is actually wrong.
        struct stat status {};
        if (::stat(file.c_str(), &status) == 0 && !S_ISREG(status.st_mode)) {
            return std::unexpected(file_type_reason(status.st_mode));
        }
        return std::unexpected(std::string(std::strerror(error)));
    }
    const sys::UniqueFd fd(raw_fd);  // closed on every path out

    struct stat status {};
    if (::fstat(fd.get(), &status) != 0) return std::unexpected(std::string(std::strerror(errno)));
    if (!S_ISREG(status.st_mode)) return std::unexpected(file_type_reason(status.st_mode));
    if (status.st_size < 0 || static_cast<std::uintmax_t>(status.st_size) > max_bytes) {
        return std::unexpected(too_large_reason(max_bytes));
    }

    // st_size is only a hint (the file may grow, /proc files report 0), so
    // read until EOF but never keep more than max_bytes + 1 bytes.
    std::string content;
    content.resize(static_cast<std::size_t>(status.st_size) + 1);
    std::size_t used = 0;
    char chunk[4096];
    for (;;) {
        const ssize_t got = ::read(fd.get(), chunk, sizeof chunk);
        if (got < 0) {
            if (errno == EINTR) continue;
            return std::unexpected(std::string(std::strerror(errno)));
        }
        if (got == 0) break;
        const auto count = static_cast<std::size_t>(got);
        if (used + count > max_bytes) return std::unexpected(too_large_reason(max_bytes));
        if (used + count > content.size()) content.resize(used + count);
        std::memcpy(content.data() + used, chunk, count);
        used += count;
    }
    content.resize(used);
    return content;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim_blanks(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
    return text;
}

}  // namespace

std::expected<std::string, std::string> read_small_file(const std::filesystem::path& file,
                                                        std::size_t max_bytes) {
    return read_small_file_text(file, max_bytes);
}

std::expected<std::optional<std::string>, std::string> read_small_file_if_present(const std::filesystem::path& file,
                                                                                  std::size_t max_bytes) {
    bool missing = false;
    auto content = read_small_file_text(file, max_bytes, &missing);
    if (!content) return std::unexpected(content.error());
    if (missing) return std::optional<std::string>{};
    return std::optional<std::string>{std::move(*content)};
}

std::expected<void, std::string> check_text(const std::string& content) {
    for (std::size_t i = 0; i < content.size(); ++i) {
        const auto byte = static_cast<unsigned char>(content[i]);
        if (byte == 0) return std::unexpected(std::string("contains a NUL byte (binary file?)"));
        const bool control = byte < 0x20 || byte == 0x7f;
        if (control && byte != '\t' && byte != '\n' && byte != '\r') {
            char reason[80];
            std::snprintf(reason, sizeof reason, "contains control byte 0x%02x at offset %zu (binary file?)",
                          static_cast<unsigned>(byte), i);
            return std::unexpected(std::string(reason));
        }
    }
    return {};
}

std::vector<std::string> meaningful_lines(const std::string& content) {
    std::vector<std::string> lines;
    std::string_view rest = content;
    while (!rest.empty()) {
        const auto newline = rest.find('\n');
        const std::string_view raw = rest.substr(0, newline);
        rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
        const std::string_view line = trim_blanks(raw);
        if (line.empty() || line.front() == '#') continue;
        lines.emplace_back(line);
    }
    return lines;
}

std::string first_line(const std::string& content) {
    std::string_view rest = content;
    while (!rest.empty()) {
        const auto newline = rest.find('\n');
        const std::string_view line = trim_blanks(rest.substr(0, newline));
        if (!line.empty() && line.front() != '#') return std::string(line);
        if (newline == std::string_view::npos) break;
        rest.remove_prefix(newline + 1);
    }
    return {};
}

}  // namespace tend::config
