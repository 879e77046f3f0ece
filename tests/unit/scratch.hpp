// A private temp directory per test and a helper to write files into it.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace tend::testing {

class ScratchDir {
public:
    explicit ScratchDir(const std::string& prefix = "tend-unit") {
        std::string pattern = "/tmp/" + prefix + "-XXXXXX";
        const char* created = ::mkdtemp(pattern.data());
        if (created == nullptr) std::abort();
        path_ = created;
    }
    ~ScratchDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// Creates or truncates `file` with exactly `content` and exactly `mode` (not
// filtered by the umask, also for an existing file).
inline void write_file(const std::filesystem::path& file, const std::string& content, mode_t mode = 0644) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    ASSERT_GE(fd, 0) << file;
    ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(fd);
    ASSERT_EQ(::chmod(file.c_str(), mode), 0);
}

}  // namespace tend::testing
