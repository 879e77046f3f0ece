// Permission tests that also run as root (CI runs as root).
//
// Root reads a mode 000 file through CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH.
// without_dac() runs a body in a forked child that dropped both, so file modes
// apply to it as to any user, and hands the body's string result back through
// a pipe for the parent to assert on. without_capabilities() does the same for
// any capabilities (CAP_SETUID and CAP_SETGID for the fsuid switch).
#pragma once

#include <cap-ng.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <initializer_list>
#include <string>

namespace tend::testing {

// The body's result, or why the capabilities could not be dropped.
inline std::string without_capabilities(std::initializer_list<unsigned> capabilities,
                                        const std::function<std::string()>& body) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        std::string result;
        capng_get_caps_process();
        for (unsigned capability : capabilities)
            capng_update(CAPNG_DROP, static_cast<capng_type_t>(CAPNG_EFFECTIVE | CAPNG_PERMITTED), capability);
        if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
            result = "cannot drop the capabilities";
        } else {
            result = body();
        }
        [[maybe_unused]] ssize_t n = ::write(fds[1], result.data(), result.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string result;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) result.append(buffer, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) result += " (the child died: status " + std::to_string(status) + ")";
    return result;
}

inline std::string without_dac(const std::function<std::string()>& body) {
    return without_capabilities({CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH}, body);
}

}  // namespace tend::testing
