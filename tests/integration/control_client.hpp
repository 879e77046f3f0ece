// Clients of tend's control socket for integration tests: `tend ctl` and
// `tend health` run on the host (the socket lives in the sandbox's run/ dir,
// which the PID namespace shares), and raw connections for misbehaving
// clients. Used by test_control.cpp and test_hostile.cpp.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {

struct CtlResult {
    int code = -1;
    std::string out;
    std::string err;
    std::string diagnostics() const { return fmt::format("exit {}\nstdout:\n{}\nstderr:\n{}", code, out, err); }
};

// Runs `tend <args...>` (optionally behind `prefix`, e.g. setpriv) and
// collects its output; killed after 20 s.
inline CtlResult run_client(std::vector<std::string> args, std::vector<std::string> prefix = {},
                            const fs::path& binary = tend_binary()) {
    TempDir outputs("tend-ctl-out");
    fs::path out_path = outputs.path() / "out", err_path = outputs.path() / "err";
    std::vector<std::string> words = prefix;
    words.push_back(binary.string());
    words.insert(words.end(), args.begin(), args.end());
    pid_t pid = ::fork();
    if (pid == 0) {
        int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
        int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
        ::dup2(out, 1);
        ::dup2(err, 2);
        std::vector<char*> argv;
        for (auto& word : words) argv.push_back(word.data());
        argv.push_back(nullptr);
        char* envp[] = {const_cast<char*>("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), nullptr};
        ::execve(argv[0], argv.data(), envp);
        ::_exit(127);
    }
    CtlResult result;
    int status = 0;
    auto deadline = Clock::now() + 20s;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(2ms);
    }
    result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_file(out_path);
    result.err = read_file(err_path);
    return result;
}

inline CtlResult ctl(const Sandbox& sandbox, std::vector<std::string> args) {
    args.insert(args.begin(), {"ctl", "--runtime-dir", sandbox.runtime_dir().string()});
    return run_client(std::move(args));
}

inline CtlResult health(const Sandbox& sandbox) {
    return run_client({"health", "--runtime-dir", sandbox.runtime_dir().string()});
}

inline fs::path socket_path(const Sandbox& sandbox) { return sandbox.runtime_dir() / "control.sock"; }

inline bool wait_for_socket(const Sandbox& sandbox) {
    return wait_until([&] { return ctl(sandbox, {"status"}).code == 0; });
}

// A raw connection to the control socket, for misbehaving clients.
inline int raw_connect(const Sandbox& sandbox) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::string path = socket_path(sandbox).string();
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

inline void send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return;  // tend closed on us: fine for garbage
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

// Everything until EOF (or 15 s): tend must always end a connection.
inline std::optional<std::string> read_until_eof(int fd) {
    std::string data;
    auto deadline = Clock::now() + 15s;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) == 0) {
            if (Clock::now() > deadline) return std::nullopt;
            continue;
        }
        char buffer[4096];
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return data;
        data.append(buffer, static_cast<std::size_t>(n));
    }
}

}  // namespace tend::itest
