// Integration-test harness: runs the real tend binary and reads the truth.
//
// Design:
// - A Sandbox is a private temp tree (services/, cont-init.d/, cont-finish.d/,
//   out/, run/) that tend is pointed at with explicit options, so the host's
//   /etc is never used and parallel tests never share a file.
// - TendProcess starts tend as PID 1 of a fresh PID namespace
//   (`unshare --pid --fork --mount-proc`), because tend's final kill(-1) must
//   never reach the host (tests run as root, kill(-1) would take down CI). Every
//   run has a hard deadline after which the whole namespace is SIGKILLed, so a
//   hung tend fails one test instead of hanging the suite.
// - Services report what they really got by writing files from inside
//   (`cat /proc/$$/status > $OUT/...`; `$$` is the exec'd service shell, not
//   cat). Every generated script starts with `OUT=<sandbox out dir>` (a plain
//   shell variable, not exported, so environment tests stay exact).
// - This test binary doubles as a helper program inside the namespace
//   (`helper_command(...)`): it makes 10,000 orphans or lists its own fds
//   faster and more exactly than a shell could, with no compiler at run time.
//
// Polling with short sleeps is fine here (tests wait on observable effects of
// another process); it never is in tend itself.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tend::itest {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Files

// A fresh directory under /tmp, removed recursively with everything in it
// (kept, and its path printed, when TEND_ITEST_KEEP is set: for debugging).
class TempDir {
public:
    explicit TempDir(std::string_view prefix = "tend-itest");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// Writes (creates or truncates) a file and sets its mode exactly (no umask).
// Parent directories are created. Fails the current test on error.
void write_file(const fs::path& file, std::string_view content, mode_t mode = 0644);
// The whole file, or "" when it cannot be read (missing is a normal answer).
std::string read_file(const fs::path& file);
bool file_exists(const fs::path& file);
// Lines of a file without their '\n'; an empty file gives none.
std::vector<std::string> read_lines(const fs::path& file);
// Single-quoted for sh.
std::string shell_quote(std::string_view text);

// ---------------------------------------------------------------------------
// The tree tend runs on

// One `services/<name>/` directory. Setters return *this to chain.
class ServiceDir {
public:
    ServiceDir(fs::path dir, std::string script_prelude);

    const fs::path& path() const { return dir_; }
    fs::path file_path(std::string_view name) const { return dir_ / name; }

    // `run` = "#!/bin/sh\nOUT=...\n" + body, mode 0755.
    ServiceDir& run(std::string_view body);
    // `finish` likewise.
    ServiceDir& finish(std::string_view body);
    // Any settings file with exact content (no newline added).
    ServiceDir& file(std::string_view name, std::string_view content, mode_t mode = 0644);
    // An empty marker file (down, primary, keep-env, allow-new-privs ...).
    ServiceDir& flag(std::string_view name) { return file(name, ""); }
    // `env/<name>` with exact content (use "" to unset).
    ServiceDir& env(std::string_view name, std::string_view content);
    // Settings that are one line: content + "\n".
    ServiceDir& user(std::string_view spec) { return line("user", spec); }
    ServiceDir& restart(std::string_view policy) { return line("restart", policy); }
    ServiceDir& timeout_kill(std::string_view ms) { return line("timeout-kill", ms); }
    ServiceDir& down_signal(std::string_view sig) { return line("down-signal", sig); }
    ServiceDir& line(std::string_view name, std::string_view content);

private:
    fs::path dir_;
    std::string prelude_;
};

class Sandbox {
public:
    Sandbox();

    const fs::path& root() const { return temp_.path(); }
    fs::path services_dir() const { return root() / "services"; }
    fs::path cont_init_dir() const { return root() / "cont-init.d"; }
    fs::path cont_finish_dir() const { return root() / "cont-finish.d"; }
    fs::path runtime_dir() const { return root() / "run"; }
    // World-writable dir where scripts (of any user) leave their reports.
    fs::path out_dir() const { return root() / "out"; }
    fs::path out(std::string_view name) const { return out_dir() / name; }

    // "#!/bin/sh\nOUT='<out dir>'\n" + body.
    std::string script(std::string_view body) const;
    // {"/bin/sh", "-c", "OUT=...\n" + body}: a CMD (or launcher) with $OUT set.
    std::vector<std::string> sh(std::string_view body) const;
    // Creates services/<name>/ (no run yet).
    ServiceDir service(std::string_view name) const;
    void cont_init(std::string_view name, std::string_view body, mode_t mode = 0755) const;
    void cont_finish(std::string_view name, std::string_view body, mode_t mode = 0755) const;

    // helper_shell_command() with a copy of this binary inside the sandbox,
    // for services that run as another user (the build dir may be private).
    std::string helper_shell_command_for_any_user(std::vector<std::string> mode_and_args) const;

    // --services-dir/--cont-init-dir/--cont-finish-dir pointing into the sandbox.
    std::vector<std::string> default_args() const;

private:
    TempDir temp_;
};

// ---------------------------------------------------------------------------
// Running tend

struct TendOptions {
    std::vector<std::string> args{};     // options, after the sandbox defaults
    std::vector<std::string> command{};  // CMD; "--" is inserted when non-empty
    // Added to (or replacing) tend's base environment, which is only
    // PATH=<standard path> and TEND_RUNTIME_DIR=<sandbox>/run.
    std::map<std::string, std::string> env{};
    bool use_default_args = true;
    // A sh script run as PID 1 of the namespace with tend's argv as "$@".
    // Empty: tend itself is PID 1. Use `exec "$@"` to keep tend PID 1 after
    // some preparation, or `"$@"` to make tend a child (subreaper mode).
    std::string launcher_script{};
    // (source, target) bind mounts made inside the namespace before tend runs,
    // e.g. a fake /etc/passwd. Invisible to the host.
    std::vector<std::pair<fs::path, fs::path>> bind_mounts{};
    // When set, tend inherits this file open as fd 7 without close-on-exec.
    std::optional<fs::path> inherit_fd7{};
    Clock::duration timeout = 30s;      // hard deadline for the whole run
};

struct RunResult {
    int exit_code = -1;          // exit status, or 128+N when killed by signal N
    bool timed_out = false;      // the harness had to SIGKILL it
    std::string out;             // tend's stdout (and whatever services wrote there)
    std::string err;             // tend's stderr
    Clock::duration elapsed{};   // start to exit

    // For assertion messages: exit code, timeout flag, stdout and stderr.
    std::string diagnostics() const;
};

class TendProcess {
public:
    TendProcess(const Sandbox& sandbox, TendOptions options = {});
    ~TendProcess();  // SIGKILLs the namespace if still running
    TendProcess(const TendProcess&) = delete;
    TendProcess& operator=(const TendProcess&) = delete;

    bool started() const { return launcher_pid_ > 0; }
    // tend's pid on the host: the first descendant of the launcher running
    // the tend binary. Waits up to 5 s for it to exec; -1 if it never does.
    pid_t tend_pid();
    // Sends a signal to tend itself (not to unshare, which ignores some).
    bool signal(int signo);
    // True until tend (and with it the namespace) has exited.
    bool running();
    // Waits until exit or the hard deadline (then SIGKILL, timed_out=true).
    RunResult wait();
    // Waits until tend's stderr contains `needle`.
    bool wait_for_err(std::string_view needle, Clock::duration timeout = 10s) const;
    // Current stderr/stdout so far (for waiting on log lines).
    std::string current_err() const;
    std::string current_out() const;

private:
    void kill_everything();
    bool reap(bool block);

    const Sandbox& sandbox_;
    TendOptions options_;
    fs::path stdout_path_;
    fs::path stderr_path_;
    pid_t launcher_pid_ = -1;
    pid_t tend_pid_ = -1;
    std::optional<int> status_;
    Clock::time_point started_at_;
    Clock::time_point ended_at_;
};

// Starts tend and waits for it to exit (or to hit the deadline).
RunResult run_tend(const Sandbox& sandbox, TendOptions options = {});

// Starts tend, waits until every named file of the out dir was written (each
// missing one fails the test), then stops tend with SIGTERM.
RunResult run_until_files(const Sandbox& sandbox, const std::vector<std::string>& files,
                          TendOptions options = {});

fs::path tend_binary();

// ---------------------------------------------------------------------------
// Waiting (polls every few ms up to the timeout; true when the condition held)
//
// A "file" is waited for until it is non-empty: `echo x > f` creates f before
// writing, and a reader must never act on the empty moment in between.

bool wait_until(const std::function<bool()>& condition, Clock::duration timeout = 10s);
bool wait_for_file(const fs::path& file, Clock::duration timeout = 10s);
bool wait_for_text(const fs::path& file, std::string_view needle, Clock::duration timeout = 10s);
bool wait_for_lines(const fs::path& file, std::size_t count, Clock::duration timeout = 10s);

// Shell code that waits up to `seconds` for a file to be non-empty, polling every
// 10 ms; `path_word` is a shell word such as "$OUT/ready".
std::string sh_wait_for_file(std::string_view path_word, int seconds = 10);

// Shell code that starts `sleep 1000` in the background and returns once it
// has exec'd. Until then the child is a copy of the shell with the shell's
// traps, which would swallow a stop signal that the real `sleep` must get.
std::string sh_background_sleep();

// A service body that traps SIGTERM (writes $OUT/svc.stopped, exits 0), has a
// background child, and writes $OUT/svc.up once both are in place.
std::string sh_stoppable_service();

// ---------------------------------------------------------------------------
// Reading /proc and /etc formats

// "Key:\tvalue" lines of /proc/PID/status -> {Key: value}.
std::map<std::string, std::string> parse_proc_status(std::string_view text);
std::vector<std::string> split_words(std::string_view text);
// NUL-separated NAME=VALUE entries (/proc/PID/environ) -> {NAME: VALUE}.
std::map<std::string, std::string> parse_environ(std::string_view text);
// gids of /etc/group entries that list `user` as a member.
std::set<std::string> group_memberships(std::string_view group_file_text, std::string_view user);
// Lines of `text` that contain `needle`.
std::vector<std::string> lines_containing(std::string_view text, std::string_view needle);
bool contains(std::string_view text, std::string_view needle);
// True when some line of `log` names `path` and says something more than the
// level prefix and the path: the "path and reason" bad input must produce.
bool logs_path_with_reason(std::string_view log, std::string_view path);

// ---------------------------------------------------------------------------
// Helper modes of this binary, for use as a CMD or from a service script.
//
//   orphans N FILE  make N double-fork orphans, then wait (up to 10 s) until
//                   no zombie is left in the PID namespace; write
//                   "zombies=<left> made_ms=<t> reaped_ms=<t>" to FILE.
//   fds FILE        write this process's open fds, sorted, space-separated.
//   zombies FILE    write the number of zombies in the namespace.

fs::path self_exe();
std::vector<std::string> helper_command(std::vector<std::string> mode_and_args);
// The same as one sh-quoted string, for scripts.
std::string helper_shell_command(std::vector<std::string> mode_and_args,
                                 const fs::path& exe = self_exe());

// Skips the current test when not root (a developer's plain `ctest`); as root
// (CI) a missing unshare or tend binary FAILS the test: a skip there would
// turn the whole suite green without running it.
// (Call as: TEND_REQUIRE_NAMESPACES(); at the top of every test.)
std::optional<std::string> namespace_unavailable_reason();

// Names value-parameterised tests after their case's `name` member:
// INSTANTIATE_TEST_SUITE_P(X, Y, Values(...), ParamName{}).
struct ParamName {
    template <typename Param>
    std::string operator()(const ::testing::TestParamInfo<Param>& case_info) const {
        return std::string(case_info.param.name);
    }
};

}  // namespace tend::itest

#define TEND_REQUIRE_NAMESPACES()                                                   \
    do {                                                                            \
        if (auto tend_itest_reason = ::tend::itest::namespace_unavailable_reason()) { \
            if (::geteuid() == 0) GTEST_FAIL() << *tend_itest_reason;              \
            GTEST_SKIP() << *tend_itest_reason;                                     \
        }                                                                           \
    } while (0)
