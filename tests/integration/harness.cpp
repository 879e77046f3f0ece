#include "harness.hpp"

#include <dirent.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef TEND_BINARY
#error "TEND_BINARY must name the tend binary under test"
#endif

extern char** environ;

namespace tend::itest {

namespace {

constexpr std::string_view kStandardPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr std::string_view kHelperFlag = "--tend-itest-helper";

fs::path find_unshare() {
    for (const char* candidate : {"/usr/bin/unshare", "/bin/unshare", "/usr/sbin/unshare"})
        if (::access(candidate, X_OK) == 0) return candidate;
    return "unshare";
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

// ---------------------------------------------------------------------------
// Files

TempDir::TempDir(std::string_view prefix) {
    std::string pattern = fmt::format("/tmp/{}-XXXXXX", prefix);
    if (::mkdtemp(pattern.data()) == nullptr) {
        ADD_FAILURE() << "mkdtemp " << pattern << ": " << errno_text();
        return;
    }
    path_ = pattern;
    // Services that run as another user must reach their dir and scripts.
    ::chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
    if (path_.empty()) return;
    if (const char* keep = std::getenv("TEND_ITEST_KEEP"); keep != nullptr && *keep != '\0') {
        std::fprintf(stderr, "TEND_ITEST_KEEP: kept %s\n", path_.c_str());
        return;
    }
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

void write_file(const fs::path& file, std::string_view content, mode_t mode) {
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        ADD_FAILURE() << "open " << file << ": " << errno_text();
        return;
    }
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            ADD_FAILURE() << "write " << file << ": " << errno_text();
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    ::fchmod(fd, mode);
    ::close(fd);
}

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return {};
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

bool file_exists(const fs::path& file) {
    struct stat st {};
    return ::lstat(file.c_str(), &st) == 0;
}

std::vector<std::string> read_lines(const fs::path& file) {
    std::vector<std::string> lines;
    std::string text = read_file(file);
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        lines.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

std::string shell_quote(std::string_view text) {
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'')
            quoted += "'\\''";
        else
            quoted += c;
    }
    quoted += '\'';
    return quoted;
}

// ---------------------------------------------------------------------------
// The tree

ServiceDir::ServiceDir(fs::path dir, std::string script_prelude)
    : dir_(std::move(dir)), prelude_(std::move(script_prelude)) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) ADD_FAILURE() << "mkdir " << dir_ << ": " << ec.message();
    ::chmod(dir_.c_str(), 0755);
}

ServiceDir& ServiceDir::run(std::string_view body) {
    write_file(dir_ / "run", prelude_ + std::string(body), 0755);
    return *this;
}

ServiceDir& ServiceDir::finish(std::string_view body) {
    write_file(dir_ / "finish", prelude_ + std::string(body), 0755);
    return *this;
}

ServiceDir& ServiceDir::file(std::string_view name, std::string_view content, mode_t mode) {
    write_file(dir_ / name, content, mode);
    return *this;
}

ServiceDir& ServiceDir::env(std::string_view name, std::string_view content) {
    std::error_code ec;
    fs::create_directories(dir_ / "env", ec);
    ::chmod((dir_ / "env").c_str(), 0755);
    write_file(dir_ / "env" / name, content, 0644);
    return *this;
}

ServiceDir& ServiceDir::line(std::string_view name, std::string_view content) {
    return file(name, std::string(content) + "\n");
}

Sandbox::Sandbox() {
    for (const fs::path& dir : {services_dir(), cont_init_dir(), cont_finish_dir(), runtime_dir(),
                                out_dir()}) {
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) ADD_FAILURE() << "mkdir " << dir << ": " << ec.message();
        ::chmod(dir.c_str(), 0755);
    }
    ::chmod(out_dir().c_str(), 01777);
}

std::string Sandbox::script(std::string_view body) const {
    return fmt::format("#!/bin/sh\nOUT={}\n{}", shell_quote(out_dir().string()), body);
}

std::vector<std::string> Sandbox::sh(std::string_view body) const {
    return {"/bin/sh", "-c", fmt::format("OUT={}\n{}", shell_quote(out_dir().string()), body)};
}

ServiceDir Sandbox::service(std::string_view name) const {
    return ServiceDir(services_dir() / name, script(""));
}

void Sandbox::cont_init(std::string_view name, std::string_view body, mode_t mode) const {
    write_file(cont_init_dir() / name, script(body), mode);
}

void Sandbox::cont_finish(std::string_view name, std::string_view body, mode_t mode) const {
    write_file(cont_finish_dir() / name, script(body), mode);
}

std::string Sandbox::helper_shell_command_for_any_user(
    std::vector<std::string> mode_and_args) const {
    const fs::path copy = root() / "itest-helper";
    if (!file_exists(copy)) {
        std::error_code ec;
        fs::copy_file(self_exe(), copy, ec);
        if (ec) ADD_FAILURE() << "copy " << self_exe() << " to " << copy << ": " << ec.message();
        ::chmod(copy.c_str(), 0755);
    }
    return helper_shell_command(std::move(mode_and_args), copy);
}

std::vector<std::string> Sandbox::default_args() const {
    return {"--services-dir", services_dir().string(), "--cont-init-dir",
            cont_init_dir().string(), "--cont-finish-dir", cont_finish_dir().string()};
}

// ---------------------------------------------------------------------------
// Running tend

RunResult run_until_files(const Sandbox& sandbox, const std::vector<std::string>& files, TendOptions options) {
    TendProcess tend(sandbox, std::move(options));
    for (const auto& name : files)
        EXPECT_TRUE(wait_for_file(sandbox.out(name), 10s))
            << "no report " << name << "\n--- tend stderr so far ---\n"
            << tend.current_err();
    tend.signal(SIGTERM);
    return tend.wait();
}

fs::path tend_binary() {
    std::error_code ec;
    fs::path canonical = fs::canonical(TEND_BINARY, ec);
    return ec ? fs::path(TEND_BINARY) : canonical;
}

std::string RunResult::diagnostics() const {
    return fmt::format("exit code {}{} after {} ms\n--- tend stdout ---\n{}\n--- tend stderr ---\n{}",
                       exit_code, timed_out ? " (TIMED OUT, killed by the harness)" : "",
                       std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), out,
                       err);
}

TendProcess::TendProcess(const Sandbox& sandbox, TendOptions options)
    : sandbox_(sandbox), options_(std::move(options)) {
    static int run_counter = 0;
    ++run_counter;
    stdout_path_ = sandbox_.root() / fmt::format("tend-{}.stdout", run_counter);
    stderr_path_ = sandbox_.root() / fmt::format("tend-{}.stderr", run_counter);

    // Everything the child needs is prepared here: between fork and exec only
    // async-signal-safe calls.
    std::vector<std::string> argv_strings{find_unshare().string(), "--pid", "--fork",
                                          "--mount-proc"};
    std::vector<std::string> tend_argv{tend_binary().string()};
    if (options_.use_default_args)
        for (auto& a : sandbox_.default_args()) tend_argv.push_back(a);
    for (auto& a : options_.args) tend_argv.push_back(a);
    if (!options_.command.empty()) {
        tend_argv.emplace_back("--");
        for (auto& a : options_.command) tend_argv.push_back(a);
    }

    if (options_.launcher_script.empty() && options_.bind_mounts.empty()) {
        for (auto& a : tend_argv) argv_strings.push_back(a);
    } else {
        std::string launcher = "set -e\n";
        for (auto& [source, target] : options_.bind_mounts)
            launcher += fmt::format("mount --bind {} {}\n", shell_quote(source.string()),
                                    shell_quote(target.string()));
        launcher += "set +e\n";
        launcher += options_.launcher_script.empty() ? std::string("exec \"$@\"\n")
                                                     : options_.launcher_script + "\n";
        argv_strings.insert(argv_strings.end(), {"/bin/sh", "-c", launcher, "sh"});
        for (auto& a : tend_argv) argv_strings.push_back(a);
    }

    std::map<std::string, std::string> env{
        {"PATH", std::string(kStandardPath)},
        {"TEND_RUNTIME_DIR", sandbox_.runtime_dir().string()},
    };
    for (auto& [k, v] : options_.env) env[k] = v;
    std::vector<std::string> env_strings;
    for (auto& [k, v] : env) env_strings.push_back(k + "=" + v);

    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);

    std::string out_path = stdout_path_.string();
    std::string err_path = stderr_path_.string();
    std::string fd7_path = options_.inherit_fd7 ? options_.inherit_fd7->string() : "";
    // Create the capture files up front so current_err() always works.
    write_file(stdout_path_, "");
    write_file(stderr_path_, "");

    started_at_ = Clock::now();
    pid_t pid = ::fork();
    if (pid < 0) {
        ADD_FAILURE() << "fork: " << errno_text();
        return;
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        int in = ::open("/dev/null", O_RDONLY);
        int out = ::open(out_path.c_str(), O_WRONLY | O_APPEND);
        int err = ::open(err_path.c_str(), O_WRONLY | O_APPEND);
        if (in < 0 || out < 0 || err < 0) ::_exit(126);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        ::close_range(3, ~0U, 0);
        if (!fd7_path.empty()) {
            int fd = ::open(fd7_path.c_str(), O_RDONLY);
            if (fd < 0) ::_exit(126);
            if (fd != 7) {
                ::dup2(fd, 7);  // dup2 leaves close-on-exec off
                ::close(fd);
            }
        }
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    launcher_pid_ = pid;
}

TendProcess::~TendProcess() {
    if (launcher_pid_ > 0 && !status_) {
        kill_everything();
        reap(true);
    }
}

namespace {

std::vector<pid_t> children_of(pid_t pid) {
    std::vector<pid_t> children;
    std::error_code ec;
    for (const auto& task : fs::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
        std::istringstream in(read_file(task.path() / "children"));
        pid_t child;
        while (in >> child) children.push_back(child);
    }
    return children;
}

std::string exe_of(pid_t pid) {
    std::error_code ec;
    fs::path target = fs::read_symlink(fmt::format("/proc/{}/exe", pid), ec);
    return ec ? std::string() : target.string();
}

}  // namespace

pid_t TendProcess::tend_pid() {
    if (tend_pid_ > 0 || launcher_pid_ <= 0) return tend_pid_;
    const std::string binary = tend_binary().string();
    wait_until(
        [&] {
            if (!running()) return true;
            // Breadth first: the topmost process running tend is tend itself;
            // its forked children also show tend's exe until they exec.
            std::deque<pid_t> queue{launcher_pid_};
            while (!queue.empty()) {
                pid_t pid = queue.front();
                queue.pop_front();
                std::string exe = exe_of(pid);
                if (pid != launcher_pid_ && exe.starts_with(binary)) {
                    tend_pid_ = pid;
                    return true;
                }
                for (pid_t child : children_of(pid)) queue.push_back(child);
            }
            return false;
        },
        5s);
    return tend_pid_;
}

bool TendProcess::signal(int signo) {
    pid_t pid = tend_pid();
    if (pid <= 0 || !running()) return false;
    return ::kill(pid, signo) == 0;
}

bool TendProcess::reap(bool block) {
    if (status_) return true;
    if (launcher_pid_ <= 0) return true;
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(launcher_pid_, &status, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == launcher_pid_) {
        ended_at_ = Clock::now();
        status_ = status;
        return true;
    }
    if (r < 0) {  // not our child any more: nothing to wait for
        ended_at_ = Clock::now();
        status_ = -1;
        return true;
    }
    return false;
}

bool TendProcess::running() { return !reap(false); }

void TendProcess::kill_everything() {
    // SIGKILL to PID 1 of the namespace takes every process in it down.
    if (tend_pid_ > 0) ::kill(tend_pid_, SIGKILL);
    for (pid_t child : children_of(launcher_pid_)) ::kill(child, SIGKILL);
    ::kill(-launcher_pid_, SIGKILL);
}

RunResult TendProcess::wait() {
    RunResult result;
    if (launcher_pid_ <= 0) {
        result.err = "tend was not started";
        return result;
    }
    const auto deadline = started_at_ + options_.timeout;
    while (!reap(false)) {
        if (Clock::now() >= deadline) {
            result.timed_out = true;
            kill_everything();
            reap(true);
            break;
        }
        std::this_thread::sleep_for(2ms);
    }
    int status = *status_;
    if (status == -1)
        result.exit_code = -1;
    else if (WIFEXITED(status))
        result.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        result.exit_code = 128 + WTERMSIG(status);
    result.out = read_file(stdout_path_);
    result.err = read_file(stderr_path_);
    result.elapsed = ended_at_ - started_at_;
    return result;
}

bool TendProcess::wait_for_err(std::string_view needle, Clock::duration timeout) const {
    return wait_for_text(stderr_path_, needle, timeout);
}

std::string TendProcess::current_err() const { return read_file(stderr_path_); }
std::string TendProcess::current_out() const { return read_file(stdout_path_); }

RunResult run_tend(const Sandbox& sandbox, TendOptions options) {
    TendProcess process(sandbox, std::move(options));
    return process.wait();
}

// ---------------------------------------------------------------------------
// Waiting

bool wait_until(const std::function<bool()>& condition, Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
        if (condition()) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
}

std::string sh_wait_for_file(std::string_view path_word, int seconds) {
    return fmt::format(
        "tend_itest_i=0; while [ ! -s {0} ] && [ $tend_itest_i -lt {1} ]; do sleep 0.01; "
        "tend_itest_i=$((tend_itest_i+1)); done\n",
        path_word, seconds * 100);
}

std::string sh_background_sleep() {
    return "sleep 1000 & tend_itest_child=$!\n"
           "while read -r tend_itest_comm < /proc/$tend_itest_child/comm && "
           "[ \"$tend_itest_comm\" != sleep ]; do :; done\n";
}

std::string sh_stoppable_service() {
    return "trap 'echo stopped > \"$OUT/svc.stopped\"; exit 0' TERM\n" + sh_background_sleep() +
           "echo up > \"$OUT/svc.up\"\n"
           "wait\n";
}

bool wait_for_file(const fs::path& file, Clock::duration timeout) {
    return wait_until(
        [&] {
            std::error_code ec;
            auto size = fs::file_size(file, ec);
            return !ec && size > 0;
        },
        timeout);
}

bool wait_for_text(const fs::path& file, std::string_view needle, Clock::duration timeout) {
    return wait_until([&] { return contains(read_file(file), needle); }, timeout);
}

bool wait_for_lines(const fs::path& file, std::size_t count, Clock::duration timeout) {
    return wait_until([&] { return read_lines(file).size() >= count; }, timeout);
}

// ---------------------------------------------------------------------------
// Formats

std::map<std::string, std::string> parse_proc_status(std::string_view text) {
    std::map<std::string, std::string> fields;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        std::size_t colon = line.find(':');
        if (colon != std::string_view::npos) {
            std::string_view value = line.substr(colon + 1);
            while (!value.empty() && (value.front() == '\t' || value.front() == ' '))
                value.remove_prefix(1);
            fields.emplace(std::string(line.substr(0, colon)), std::string(value));
        }
        start = end + 1;
    }
    return fields;
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::istringstream in{std::string(text)};
    std::string word;
    while (in >> word) words.push_back(word);
    return words;
}

std::map<std::string, std::string> parse_environ(std::string_view text) {
    std::map<std::string, std::string> env;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\0', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view entry = text.substr(start, end - start);
        std::size_t eq = entry.find('=');
        if (!entry.empty()) {
            if (eq == std::string_view::npos)
                env.emplace(std::string(entry), std::string());
            else
                env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
        }
        start = end + 1;
    }
    return env;
}

std::set<std::string> group_memberships(std::string_view group_file_text, std::string_view user) {
    std::set<std::string> gids;
    std::istringstream in{std::string(group_file_text)};
    std::string line;
    while (std::getline(in, line)) {
        // name:password:gid:member,member
        std::vector<std::string> fields;
        std::size_t start = 0;
        while (true) {
            std::size_t colon = line.find(':', start);
            fields.push_back(line.substr(start, colon - start));
            if (colon == std::string::npos) break;
            start = colon + 1;
        }
        if (fields.size() < 4) continue;
        std::istringstream members(fields[3]);
        std::string member;
        while (std::getline(members, member, ','))
            if (member == user) gids.insert(fields[2]);
    }
    return gids;
}

std::vector<std::string> lines_containing(std::string_view text, std::string_view needle) {
    std::vector<std::string> found;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (line.find(needle) != std::string_view::npos) found.emplace_back(line);
        start = end + 1;
    }
    return found;
}

bool contains(std::string_view text, std::string_view needle) {
    return text.find(needle) != std::string_view::npos;
}

bool logs_path_with_reason(std::string_view log, std::string_view path) {
    constexpr std::size_t kPrefixAndSomeReason = std::string_view("tend: error: ").size() + 4;
    for (const auto& line : lines_containing(log, path))
        if (line.size() >= path.size() + kPrefixAndSomeReason) return true;
    return false;
}

// ---------------------------------------------------------------------------
// Helper modes

fs::path self_exe() {
    std::error_code ec;
    return fs::read_symlink("/proc/self/exe", ec);
}

std::vector<std::string> helper_command(std::vector<std::string> mode_and_args) {
    std::vector<std::string> command{self_exe().string(), std::string(kHelperFlag)};
    for (auto& a : mode_and_args) command.push_back(std::move(a));
    return command;
}

std::string helper_shell_command(std::vector<std::string> mode_and_args, const fs::path& exe) {
    std::vector<std::string> command = helper_command(std::move(mode_and_args));
    command.front() = exe.string();
    std::string text;
    for (const auto& word : command) {
        if (!text.empty()) text += ' ';
        text += shell_quote(word);
    }
    return text;
}

std::optional<std::string> namespace_unavailable_reason() {
    static const std::optional<std::string> reason = []() -> std::optional<std::string> {
        if (::geteuid() != 0)
            return "integration tests run tend as PID 1 of a PID namespace: run them as root";
        pid_t pid = ::fork();
        if (pid == 0) {
            int null = ::open("/dev/null", O_RDWR);
            ::dup2(null, 1);
            ::dup2(null, 2);
            std::string unshare = find_unshare().string();
            char* argv[] = {unshare.data(), const_cast<char*>("--pid"), const_cast<char*>("--fork"),
                            const_cast<char*>("--mount-proc"), const_cast<char*>("/bin/true"),
                            nullptr};
            ::execve(argv[0], argv, environ);
            ::_exit(127);
        }
        int status = 0;
        if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            return "`unshare --pid --fork --mount-proc true` does not work here";
        if (::access(TEND_BINARY, X_OK) != 0) return "tend binary missing: " TEND_BINARY;
        return std::nullopt;
    }();
    return reason;
}

}  // namespace tend::itest

// ---------------------------------------------------------------------------
// Helper-mode entry point. Runs before main() (and before gtest) when this
// binary is invoked as `<self> --tend-itest-helper MODE ...`. Only POSIX calls
// here: static initialisation of the rest of the program may not have run.
namespace {

long long elapsed_ms(const timespec& since) {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since.tv_sec) * 1000LL + (now.tv_nsec - since.tv_nsec) / 1000000;
}

void write_report(const char* path, const char* text) {
    int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) ::_exit(120);
    ssize_t ignored = ::write(fd, text, std::strlen(text));
    (void)ignored;
    ::close(fd);
}

int count_zombies() {
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return -1;
    int zombies = 0;
    while (dirent* entry = ::readdir(proc)) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        char path[300];
        std::snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        int fd = ::open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        char buffer[512];
        ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
        ::close(fd);
        if (n <= 0) continue;
        buffer[n] = '\0';
        // "pid (comm) S ...": comm may hold anything, the state follows the last ')'.
        char* paren = std::strrchr(buffer, ')');
        if (paren != nullptr && paren[1] == ' ' && paren[2] == 'Z') ++zombies;
    }
    ::closedir(proc);
    return zombies;
}

// Processes are made with clone(CLONE_VM): no page tables to copy, so 10,000
// double forks take seconds even on VMs where fork() costs milliseconds.
constexpr std::size_t kStackSize = 16 * 1024;
constexpr std::size_t kGrandchildStacks = 256;  // a ring: each grandchild lives microseconds
alignas(64) char child_stack[kStackSize];
alignas(64) char grandchild_stacks[kGrandchildStacks][kStackSize];
std::size_t next_grandchild_stack = 0;

int orphan_grandchild(void*) { return 0; }  // exits at once; its parent is gone or going

int orphan_child(void*) {
    char* stack = grandchild_stacks[next_grandchild_stack % kGrandchildStacks] + kStackSize;
    // The grandchild's parent exits right after: it becomes an orphan zombie
    // that only init (or a subreaper) can reap.
    ::clone(orphan_grandchild, stack, CLONE_VM | SIGCHLD, nullptr);
    return 0;
}

int helper_orphans(long count, const char* report) {
    timespec start{};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < count; ++i) {
        ++next_grandchild_stack;
        // CLONE_VFORK: the child runs to its exit before we go on, so the
        // shared child stack is free again.
        pid_t child = ::clone(orphan_child, child_stack + kStackSize,
                              CLONE_VM | CLONE_VFORK | SIGCHLD, nullptr);
        if (child < 0) {
            // Out of processes for a moment: let the reaper catch up.
            timespec pause{0, 1000000};
            ::nanosleep(&pause, nullptr);
            --i;
            continue;
        }
        int status;
        while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    }
    long long made_ms = elapsed_ms(start);
    int zombies = count_zombies();
    while (zombies != 0 && elapsed_ms(start) - made_ms < 10000) {
        timespec pause{0, 10000000};
        ::nanosleep(&pause, nullptr);
        zombies = count_zombies();
    }
    char text[128];
    std::snprintf(text, sizeof text, "zombies=%d made_ms=%lld reaped_ms=%lld\n", zombies, made_ms,
                  elapsed_ms(start) - made_ms);
    write_report(report, text);
    return 0;
}

int helper_fds(const char* report) {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return 121;
    int own = ::dirfd(dir);
    int fds[1024];
    int count = 0;
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        int fd = std::atoi(entry->d_name);
        if (fd != own && count < 1024) fds[count++] = fd;
    }
    ::closedir(dir);
    std::sort(fds, fds + count);
    char text[8192];
    std::size_t used = 0;
    text[0] = '\0';
    for (int i = 0; i < count && used + 16 < sizeof text; ++i)
        used += static_cast<std::size_t>(
            std::snprintf(text + used, sizeof text - used, i ? " %d" : "%d", fds[i]));
    std::snprintf(text + used, sizeof text - used, "\n");
    write_report(report, text);
    return 0;
}

// Blocks `signo`, sends it to itself (it stays pending, also for a PID 1)
// and execs the program: the program starts with that signal pending.
int helper_pending_signal(int signo, char** program) {
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, signo);
    if (::sigprocmask(SIG_BLOCK, &one, nullptr) != 0 || ::kill(::getpid(), signo) != 0) return 123;
    ::execv(program[0], program);
    return 127;
}

int helper_main(int argc, char** argv) {
    if (argc >= 3 && std::strcmp(argv[0], "pending-signal") == 0)
        return helper_pending_signal(std::atoi(argv[1]), argv + 2);
    if (argc >= 3 && std::strcmp(argv[0], "orphans") == 0)
        return helper_orphans(std::atol(argv[1]), argv[2]);
    if (argc >= 2 && std::strcmp(argv[0], "fds") == 0) return helper_fds(argv[1]);
    if (argc >= 2 && std::strcmp(argv[0], "zombies") == 0) {
        char text[32];
        std::snprintf(text, sizeof text, "%d\n", count_zombies());
        write_report(argv[1], text);
        return 0;
    }
    return 122;
}

// glibc passes (argc, argv, envp) to .init_array functions.
__attribute__((constructor)) void run_helper_mode_if_asked(int argc, char** argv, char**) {
    if (argc >= 2 && argv != nullptr && std::strcmp(argv[1], "--tend-itest-helper") == 0)
        ::_exit(helper_main(argc - 2, argv + 2));
}

}  // namespace
