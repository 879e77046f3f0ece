// with-contenv and printcontenv: the container environment as s6-overlay
// keeps it, in /run/s6/container_environment.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tend/applets/applets.hpp"
#include "tend/s6/container_env.hpp"
#include "tend/s6/keep_env.hpp"

namespace tend::applets {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The dir first (what cont-init scripts may have added to), then PID 1's own
// environment, which only root (or tend's uid) may read.
std::expected<process::Environment, std::string> load_container_environment() {
    std::string reasons;
    for (const char* dir : {s6::kContainerEnvironmentDir, "/var/run/s6/container_environment"}) {
        auto env = s6::read_container_environment(dir);
        if (env) return env;
        reasons += env.error() + "; ";
    }
    auto env = s6::read_pid1_environment();
    if (env) return env;
    return std::unexpected(reasons + env.error());
}

}  // namespace

int with_contenv_main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs("with-contenv: usage: with-contenv PROG [ARGS...]\n", stderr);
        return 100;
    }
    if (s6::keep_env_requested(std::getenv("S6_KEEP_ENV"))) return exec_program("with-contenv", argv + 1, nullptr);
    auto env = load_container_environment();
    if (!env) {
        std::fprintf(stderr, "with-contenv: fatal: cannot read the container environment: %s\n",
                     env.error().c_str());
        return 111;
    }
    // The explicit applet gives PATH plus the container environment (docs/s6-overlay.md).
    if (!env->contains("PATH")) {
        const char* caller_path = std::getenv("PATH");
        env->set("PATH", caller_path != nullptr ? caller_path : kDefaultPath);
    }
    std::vector<std::string> strings = env->to_strings();
    std::vector<char*> envp;
    for (auto& entry : strings) envp.push_back(entry.data());
    envp.push_back(nullptr);
    return exec_program("with-contenv", argv + 1, envp.data());
}

int printcontenv_main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs("printcontenv: fatal: too few arguments\n", stderr);
        return 100;
    }
    std::optional<std::string> value;
    if (s6::keep_env_requested(std::getenv("S6_KEEP_ENV"))) {
        if (const char* own = std::getenv(argv[1])) value = own;
    } else if (auto env = load_container_environment()) {
        value = env->get(argv[1]);
    }
    if (!value) return 1;
    std::fwrite(value->data(), 1, value->size(), stdout);
    std::fputc('\n', stdout);
    return std::fflush(stdout) == 0 ? 0 : 111;
}

}  // namespace tend::applets
