// logutil-newfifo and logutil-service: s6-overlay's logging helpers.
#include "tend/applets/logutil.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tend/applets/applets.hpp"
#include "tend/s6/container_env.hpp"
#include "tend/s6/keep_env.hpp"
#include "tend/applets/s6_options.hpp"
#include "tend/applets/uidgid.hpp"

namespace tend::applets {
namespace {

constexpr std::string_view kDefaultLoggingScript = "n20 s1000000 T";
constexpr uid_t kNobody = 65534;

// A program as execline's exec finds it: /command first (s6-overlay's and
// `tend compat install`'s links), then the caller's PATH.
std::optional<std::string> find_program(const std::string& name) {
    std::string path = "/command";
    if (const char* own = std::getenv("PATH")) path += std::string(":") + own;
    std::string_view rest = path;
    while (true) {
        auto colon = rest.find(':');
        std::string dir(rest.substr(0, colon));
        if (!dir.empty()) {
            std::string candidate = dir + "/" + name;
            if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        }
        if (colon == std::string_view::npos) return std::nullopt;
        rest.remove_prefix(colon + 1);
    }
}

std::optional<std::string> logging_script_value() {
    if (s6::keep_env_requested(std::getenv("S6_KEEP_ENV"))) {
        if (const char* own = std::getenv("S6_LOGGING_SCRIPT")) return std::string(own);
        return std::nullopt;
    }
    for (const char* dir : {s6::kContainerEnvironmentDir, "/var/run/s6/container_environment"}) {
        auto env = s6::read_container_environment(dir);
        if (env) return env->get("S6_LOGGING_SCRIPT");
    }
    if (const char* own = std::getenv("S6_LOGGING_SCRIPT")) return std::string(own);
    return std::nullopt;
}

}  // namespace

std::expected<NewFifo, std::string> parse_logutil_newfifo(const std::vector<std::string>& args) {
    NewFifo plan;
    auto first = parse_s6_options(
        args, "mo", [](char option) { return std::string("unknown option -") + option; },
        [&](char option, const std::string& value) -> std::string {
            if (option == 'o') {
                if (value.empty()) return "-o needs an owner";
                plan.owner = value;
                return {};
            }
            unsigned mode = 0;
            auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), mode, 8);
            if (value.empty() || error != std::errc{} || end != value.data() + value.size() || mode > 07777)
                return "-m needs an octal mode, not '" + value + "'";
            plan.mode = static_cast<mode_t>(mode);
            return {};
        });
    if (!first) return std::unexpected(first.error());
    if (*first >= args.size()) return std::unexpected(std::string("no fifo given"));
    plan.path = args[*first];
    return plan;
}

std::expected<LogutilService, std::string> parse_logutil_service(const std::vector<std::string>& args) {
    LogutilService plan;
    auto first = parse_s6_options(
        args, "f", [](char option) { return std::string("unknown option -") + option; },
        [&](char, const std::string& value) -> std::string {
            if (!value.empty()) plan.fifo = value;  // s6-overlay's: an empty -f means none
            return {};
        });
    if (!first) return std::unexpected(first.error());
    if (*first >= args.size()) return std::unexpected(std::string("no log directory given"));
    plan.logdir = args[*first];
    return plan;
}

std::vector<std::string> logging_script_words(const std::optional<std::string>& value) {
    std::string_view text = value ? std::string_view(*value) : kDefaultLoggingScript;
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find_first_of(" \t\n", start);
        if (end == std::string_view::npos) end = text.size();
        if (end > start) words.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return words;
}

std::vector<std::string> logutil_service_argv(const std::string& s6_log, const std::vector<std::string>& script,
                                              const std::string& logdir) {
    std::vector<std::string> argv{s6_log, "-b", "--"};
    argv.insert(argv.end(), script.begin(), script.end());
    argv.push_back(logdir);
    return argv;
}

int logutil_newfifo_main(int argc, char** argv) {
    auto plan = parse_logutil_newfifo(std::vector<std::string>(argv + 1, argv + argc));
    if (!plan) {
        std::fprintf(stderr, "logutil-newfifo: usage: logutil-newfifo [-m MODE] [-o OWNER] FIFO: %s\n",
                     plan.error().c_str());
        return 100;
    }
    const char* path = plan->path.c_str();
    auto owner = resolve_setuidgid(plan->owner);
    if (!owner) {
        std::fprintf(stderr, "logutil-newfifo: fatal: owner %s: %s\n", plan->owner.c_str(), owner.error().c_str());
        return 111;
    }
    struct stat old {};
    if (::lstat(path, &old) == 0) {
        if (S_ISDIR(old.st_mode)) {
            std::fprintf(stderr, "logutil-newfifo: fatal: %s is a directory; tend removes only a file or fifo there\n",
                         path);
            return 111;
        }
        if (::unlink(path) != 0) {
            std::fprintf(stderr, "logutil-newfifo: fatal: cannot remove %s: %s\n", path, std::strerror(errno));
            return 111;
        }
    }
    if (::mkfifo(path, plan->mode) != 0 || ::chmod(path, plan->mode) != 0) {  // chmod: the umask is not applied
        std::fprintf(stderr, "logutil-newfifo: fatal: cannot make the fifo %s: %s\n", path, std::strerror(errno));
        return 111;
    }
    if (::chown(path, owner->uid, owner->gid) != 0) {
        std::fprintf(stderr, "logutil-newfifo: fatal: cannot give %s to %s (uid %u): %s\n", path, plan->owner.c_str(),
                     static_cast<unsigned>(owner->uid), std::strerror(errno));
        return 111;
    }
    return 0;
}

int logutil_service_main(int argc, char** argv) {
    auto plan = parse_logutil_service(std::vector<std::string>(argv + 1, argv + argc));
    if (!plan) {
        std::fprintf(stderr, "logutil-service: usage: logutil-service [-f FIFO] LOGDIR: %s\n", plan.error().c_str());
        return 100;
    }
    if (plan->fifo) {
        // Opened without blocking (no writer yet), then read as a plain pipe.
        int fd = ::open(plan->fifo->c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            std::fprintf(stderr, "logutil-service: fatal: cannot open %s: %s\n", plan->fifo->c_str(), std::strerror(errno));
            return 111;
        }
        int flags = ::fcntl(fd, F_GETFL);
        if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 || ::dup2(fd, 0) < 0) {
            std::fprintf(stderr, "logutil-service: fatal: cannot read %s: %s\n", plan->fifo->c_str(), std::strerror(errno));
            return 111;
        }
        if (fd != 0) ::close(fd);
    }
    auto s6_log = find_program("s6-log");
    if (!s6_log) {
        std::fputs("logutil-service: fatal: s6-log is in neither /command nor PATH\n", stderr);
        return 127;
    }
    const auto script = logging_script_words(logging_script_value());
    if (::geteuid() == 0) {
        process::Credentials nobody{kNobody, kNobody, {}, std::nullopt, "/"};
        if (auto found = resolve_setuidgid("nobody")) nobody = *found;
        if (auto applied = apply_identity(nobody.uid, nobody.gid, nobody.groups); !applied) {
            std::fprintf(stderr, "logutil-service: fatal: cannot become nobody: %s\n", applied.error().c_str());
            return 111;
        }
    }
    auto words = logutil_service_argv(*s6_log, script, plan->logdir);
    std::vector<char*> program;
    for (auto& word : words) program.push_back(word.data());
    program.push_back(nullptr);
    char* empty[] = {nullptr};
    return exec_program("logutil-service", program.data(), empty);
}

}  // namespace tend::applets
