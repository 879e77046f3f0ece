// A fake core::ProcessOps for supervisor tests, and the helpers those tests
// share: it records spawns and signals instead of forking, keeps a set of
// live process groups the test edits, and keeps the write end of each
// service's notification pipe so a test can report readiness.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tend/core/supervisor.hpp"

namespace tend::test {

class FakeProcessOps final : public core::ProcessOps {
public:
    FakeProcessOps() = default;
    FakeProcessOps(const FakeProcessOps&) = delete;
    FakeProcessOps& operator=(const FakeProcessOps&) = delete;
    ~FakeProcessOps() override {
        for (auto& [name, fd] : notify_fds) ::close(fd);
    }

    // The service's name is its directory's: <root>/<name>/run.
    std::expected<pid_t, process::SpawnFailure> spawn(const process::SpawnPlan& plan) override {
        pid_t pid = next_pid++;
        std::string name = std::filesystem::path(plan.executable).parent_path().filename().string();
        spawned.push_back(name);
        pids[name] = pid;
        alive.insert(pid);
        plans[name] = plan;
        if (plan.notification_fd >= 0) notify_fds[name] = ::fcntl(plan.notification_fd, F_DUPFD_CLOEXEC, 3);
        return pid;
    }
    void signal_group(pid_t pgid, int signo, const process::IdentityChange*) override {
        if (fail_next_signal) {
            fail_next_signal = false;
            throw std::runtime_error("injected failure");
        }
        signals.push_back({pgid, signo});
    }
    bool group_alive(pid_t pgid) override { return alive.contains(pgid); }

    // How many times the service was spawned.
    std::size_t count(const std::string& name) const {
        return static_cast<std::size_t>(std::count(spawned.begin(), spawned.end(), name));
    }

    pid_t next_pid = 100;
    std::vector<std::string> spawned;
    std::map<std::string, pid_t> pids;
    std::map<std::string, process::SpawnPlan> plans;
    std::set<pid_t> alive;
    std::map<std::string, int> notify_fds;  // closed by the destructor
    std::vector<std::pair<pid_t, int>> signals;
    bool fail_next_signal = false;  // the next signal_group throws (failure policy test)
};

// Writes <root>/<name>/run (an executable shell script) and the given files,
// which may be in subdirectories of the service directory.
inline void write_service(const std::filesystem::path& root, const std::string& name,
                          const std::map<std::string, std::string>& files = {}) {
    namespace fs = std::filesystem;
    fs::create_directories(root / name);
    std::ofstream(root / name / "run") << "#!/bin/sh\n";
    fs::permissions(root / name / "run", fs::perms::owner_all);
    for (const auto& [file, content] : files) {
        fs::create_directories((root / name / file).parent_path());
        std::ofstream(root / name / file) << content;
    }
}

// The supervisor's record of the service; throws if there is none.
inline const core::ServiceRecord& find_record(const core::Supervisor& supervisor, const std::string& name) {
    for (const auto& r : supervisor.services())
        if (r.name == name) return r;
    throw std::runtime_error("no service " + name);
}

}  // namespace tend::test
