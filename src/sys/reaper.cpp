#include "tend/sys/reaper.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace tend::sys {
namespace {

// Appends the pids listed in one `children` file (space separated).
void read_children_file(const std::string& path, std::vector<pid_t>& out) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    std::string content;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        content.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    const char* p = content.c_str();
    char* end = nullptr;
    for (;;) {
        long pid = std::strtol(p, &end, 10);
        if (end == p) break;
        if (pid > 0) out.push_back(static_cast<pid_t>(pid));
        p = end;
    }
}

void children_of(pid_t pid, std::vector<pid_t>& out) {
    std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* dir = ::opendir(task_dir.c_str());
    if (!dir) return;
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        read_children_file(task_dir + "/" + entry->d_name + "/children", out);
    }
    ::closedir(dir);
}

}  // namespace

int become_subreaper() {
    return ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : errno;
}

bool reap_children(const std::function<void(pid_t, int)>& on_exit) {
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            on_exit(pid, status);
            continue;
        }
        if (pid < 0 && errno == EINTR) continue;
        return !(pid < 0 && errno == ECHILD);
    }
}

std::vector<pid_t> list_descendants() {
    std::vector<pid_t> result;
    children_of(::getpid(), result);
    // Breadth-first: `result` grows while we walk it.
    for (std::size_t i = 0; i < result.size() && result.size() < 1'000'000; ++i) children_of(result[i], result);
    return result;
}

}  // namespace tend::sys
