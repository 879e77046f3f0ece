// The fixture the supervisor tests share: a temporary services directory,
// a real EventLoop, fake clocks and a FakeProcessOps, and the supervisor over
// them. Tests derive from it and add what their subject needs.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "fake_clock.hpp"
#include "fake_process_ops.hpp"
#include "tend/core/control_bridge.hpp"
#include "tend/core/supervisor.hpp"

namespace tend::test {

class SupervisorFixture : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/tend-supervisor-XXXXXX";
        root = ::mkdtemp(pattern);
        loop.emplace(std::move(*sys::EventLoop::create()));
        options.services_dir = root;
    }
    void TearDown() override { std::filesystem::remove_all(root); }

    void service(const std::string& name, std::map<std::string, std::string> files = {}) {
        write_service(root, name, files);
    }
    // What the supervisor is given; a test may change it before load().
    core::SupervisorContext context() {
        core::SupervisorContext context;
        context.options = &options;
        context.container_env = &env;
        context.own_credentials = process::current_credentials();
        return context;
    }
    // A new supervisor over `root`, its services loaded, none started.
    core::Supervisor& load(const core::SupervisorContext& context) {
        supervisor = std::make_unique<core::Supervisor>(*loop, clock, ops, context);
        supervisor->load(root);
        return *supervisor;
    }
    // The service's main process exits with `wait_status`; its group is empty.
    void exit_service(const std::string& name, int wait_status) {
        pid_t pid = ops.pids.at(name);
        ops.alive.erase(pid);
        EXPECT_TRUE(supervisor->on_child_exit(pid, wait_status));
    }
    const core::ServiceRecord& record(const std::string& name) { return find_record(*supervisor, name); }
    // `tend ctl` on the supervisor: what it does and the line it answers.
    core::ControlBridge ctl() { return core::ControlBridge(*supervisor, clock); }

    std::filesystem::path root;
    std::optional<sys::EventLoop> loop;
    core::FakeClock clock;
    core::FakeWallClock wall;  // given to the supervisor only by tests that set context().wall_clock
    FakeProcessOps ops;
    config::Options options;
    process::Environment env;
    std::unique_ptr<core::Supervisor> supervisor;
};

}  // namespace tend::test
