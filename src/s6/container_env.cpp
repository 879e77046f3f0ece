#include "tend/s6/container_env.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace tend::s6 {
namespace {

constexpr std::size_t kMaxValueBytes = 1024 * 1024;

std::string cause(const std::filesystem::path& path, int error) {
    return path.string() + ": " + std::strerror(error);
}

std::expected<std::string, int> read_small_file(const std::filesystem::path& path, std::size_t limit) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return std::unexpected(errno);
    std::string content;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int error = errno;
            ::close(fd);
            return std::unexpected(error);
        }
        if (n == 0) break;
        content.append(buffer, static_cast<std::size_t>(n));
        if (content.size() > limit) {
            ::close(fd);
            return std::unexpected(EFBIG);
        }
    }
    ::close(fd);
    return content;
}

}  // namespace

std::string encode_value(std::string_view value) {
    if (value.empty()) return "\n";
    return std::string(value);
}

std::optional<std::string> decode_value(std::string_view content) {
    if (content.empty()) return std::nullopt;
    if (content.back() == '\n') content.remove_suffix(1);
    std::string value(content);
    for (char& c : value)
        if (c == '\0') c = '\n';
    return value;
}

bool is_storable_name(std::string_view name) {
    return !name.empty() && name.front() != '.' && name.find_first_of("=/") == std::string_view::npos &&
           name.find('\0') == std::string_view::npos;
}

std::expected<void, std::string> write_container_environment(const std::filesystem::path& dir,
                                                            const process::Environment& env) {
    std::error_code error;
    std::filesystem::create_directories(dir.parent_path(), error);
    if (error) return std::unexpected(dir.parent_path().string() + ": " + error.message());
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return std::unexpected(cause(dir, errno));
    struct stat status {};
    if (::lstat(dir.c_str(), &status) != 0) return std::unexpected(cause(dir, errno));
    if (!S_ISDIR(status.st_mode)) return std::unexpected(dir.string() + ": exists and is not a directory");
    if (::chmod(dir.c_str(), 0700) != 0) return std::unexpected(cause(dir, errno));
    // Docker keeps /run across restarts: what the last life wrote must not leak in.
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
        std::error_code ignored;
        std::filesystem::remove_all(entry.path(), ignored);
    }
    for (const std::string& entry : env.to_strings()) {
        auto equals = entry.find('=');
        std::string_view name = std::string_view(entry).substr(0, equals);
        if (!is_storable_name(name)) continue;
        std::string content = encode_value(std::string_view(entry).substr(equals + 1));
        std::filesystem::path file = dir / std::string(name);
        int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) return std::unexpected(cause(file, errno));
        std::size_t done = 0;
        while (done < content.size()) {
            ssize_t n = ::write(fd, content.data() + done, content.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                int saved = errno;
                ::close(fd);
                return std::unexpected(cause(file, saved));
            }
            done += static_cast<std::size_t>(n);
        }
        ::close(fd);
    }
    return {};
}

std::expected<process::Environment, std::string> read_container_environment(const std::filesystem::path& dir) {
    std::error_code error;
    std::filesystem::directory_iterator it(dir, error);
    if (error) return std::unexpected(dir.string() + ": " + error.message());
    std::vector<std::string> entries;
    for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
        if (error) return std::unexpected(dir.string() + ": " + error.message());
        std::string name = it->path().filename().string();
        if (!is_storable_name(name)) continue;
        auto content = read_small_file(it->path(), kMaxValueBytes);
        if (!content) {
            if (content.error() == EISDIR || content.error() == ELOOP) continue;
            return std::unexpected(cause(it->path(), content.error()));
        }
        if (auto value = decode_value(*content)) entries.push_back(name + "=" + *value);
    }
    return process::Environment::from_strings(entries);
}

std::expected<process::Environment, std::string> read_pid1_environment() {
    auto content = read_small_file("/proc/1/environ", 4 * kMaxValueBytes);
    if (!content) return std::unexpected(cause("/proc/1/environ", content.error()));
    std::vector<std::string> entries;
    std::size_t start = 0;
    while (start < content->size()) {
        std::size_t end = content->find('\0', start);
        if (end == std::string::npos) end = content->size();
        if (end > start) entries.emplace_back(content->substr(start, end - start));
        start = end + 1;
    }
    return process::Environment::from_strings(entries);
}

}  // namespace tend::s6
