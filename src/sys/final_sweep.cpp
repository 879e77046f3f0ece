#include "tend/sys/final_sweep.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

#include "tend/sys/reaper.hpp"

namespace tend::sys {
namespace {

// /proc/<pid>/status is a few KiB; anything longer is cut, which keeps the
// lines we need (State and Uid come first).
std::string read_small_file(const std::filesystem::path& path) {
    std::string content;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return content;
    char buffer[4096];
    while (content.size() < 64 * 1024) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        content.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return content;
}

// The value of "Key:\t..." in a status text, or an empty view.
std::string_view field(std::string_view text, std::string_view key) {
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(at, end - at);
        if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
            std::string_view value = line.substr(key.size() + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
            return value;
        }
        at = end + 1;
    }
    return {};
}

template <typename Number>
bool parse_number(std::string_view text, Number& out) {
    if (text.empty()) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<ProcessEntry> parse_process_status(pid_t pid, std::string_view status_text) {
    std::string_view state = field(status_text, "State");
    std::string_view uids = field(status_text, "Uid");
    if (state.empty() || uids.empty()) return std::nullopt;
    std::size_t end = uids.find_first_of(" \t");
    ProcessEntry entry;
    entry.pid = pid;
    if (!parse_number(uids.substr(0, end), entry.real_uid)) return std::nullopt;
    entry.zombie = state.front() == 'Z' || state.front() == 'X';
    return entry;
}

std::map<uid_t, std::vector<pid_t>> group_by_real_uid(const std::vector<ProcessEntry>& entries, pid_t self) {
    std::map<uid_t, std::vector<pid_t>> groups;
    for (const auto& entry : entries) {
        if (entry.zombie || entry.pid == self || entry.pid <= 0) continue;
        groups[entry.real_uid].push_back(entry.pid);
    }
    return groups;
}

std::vector<ProcessEntry> read_processes(const std::filesystem::path& proc_root, const std::vector<pid_t>* pids) {
    std::vector<pid_t> listed;
    if (pids == nullptr) {
        DIR* dir = ::opendir(proc_root.c_str());
        if (dir != nullptr) {
            while (dirent* entry = ::readdir(dir)) {
                pid_t pid = 0;
                if (parse_number(std::string_view(entry->d_name), pid) && pid > 0) listed.push_back(pid);
            }
            ::closedir(dir);
        }
        pids = &listed;
    }
    std::vector<ProcessEntry> result;
    result.reserve(pids->size());
    for (pid_t pid : *pids) {
        auto entry = parse_process_status(pid, read_small_file(proc_root / std::to_string(pid) / "status"));
        if (entry) result.push_back(*entry);
    }
    return result;
}

std::vector<ProcessEntry> remaining_processes(bool is_pid1) {
    std::vector<ProcessEntry> entries;
    if (is_pid1) {
        entries = read_processes("/proc", nullptr);
    } else {
        std::vector<pid_t> descendants = list_descendants();
        entries = read_processes("/proc", &descendants);
    }
    const pid_t self = ::getpid();
    std::erase_if(entries, [self](const ProcessEntry& e) { return e.zombie || e.pid == self; });
    return entries;
}

SweepReport sweep(const std::vector<int>& signals, bool is_pid1) {
    SweepReport report;
    // First what tend may do itself; collect the processes it may not signal.
    std::vector<ProcessEntry> refused;
    if (is_pid1) {
        // ESRCH from kill(-1) means the namespace holds no process but tend
        // (zombies count as processes). That is the common end of a
        // shutdown: then neither the other signals (each kill(-1) walks
        // every process of the host) nor a scan of /proc are needed.
        if (signals.empty() || (::kill(-1, signals.front()) != 0 && errno == ESRCH)) return report;
        for (std::size_t i = 1; i < signals.size(); ++i) ::kill(-1, signals[i]);
        // kill(-1) returned 0 whatever it skipped: ask per process.
        for (const auto& entry : remaining_processes(true))
            if (::kill(entry.pid, 0) != 0 && errno == EPERM) refused.push_back(entry);
    } else {
        std::vector<pid_t> denied;
        for (pid_t pid : list_descendants()) {
            bool permitted = true;
            for (int signo : signals) {
                if (::kill(pid, signo) != 0 && errno == EPERM) permitted = false;
            }
            if (permitted) ++report.direct; else denied.push_back(pid);
        }
        refused = read_processes("/proc", &denied);
    }
    for (auto& [uid, pids] : group_by_real_uid(refused, ::getpid())) report.refused.push_back({uid, std::move(pids)});
    return report;
}

}  // namespace tend::sys
