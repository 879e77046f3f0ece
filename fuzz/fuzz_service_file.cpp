// Every file of a service dir through the real parser: the first byte picks
// the file, the rest is its content, written into a service dir beside an
// executable `run`. Covers the files parsed inside parse_service_dir
// (notification-fd, depends, restart, user, import-env, timeout-kill,
// timeout-finish, down-signal, workdir, env/ entries).
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_input.hpp"
#include "tend/config/service_config.hpp"

namespace {

constexpr const char* kFiles[] = {
    "notification-fd", "depends",     "restart",  "user",   "import-env", "timeout-kill",
    "timeout-finish",  "down-signal", "workdir",  "umask",  "limits",     "capabilities",
    "env/VALUE",
};

const std::filesystem::path& service_dir() {
    static const std::filesystem::path dir = [] {
        auto path = tend::fuzz::scratch_dir() / "svc";
        std::filesystem::create_directories(path / "env");
        std::ofstream(path / "run") << "#!/bin/sh\n";
        ::chmod((path / "run").c_str(), 0755);
        return path;
    }();
    return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string name = kFiles[data[0] % std::size(kFiles)];
    const auto content = tend::fuzz::as_text(data + 1, size - 1);
    const auto& dir = service_dir();
    const auto file = dir / name;
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
    }
    const auto config = tend::config::parse_service_dir(dir);
    if (config) {
        tend::fuzz::require(config->name == "svc", "the dir's name");
        if (config->notification_fd) {
            tend::fuzz::require(*config->notification_fd >= 3 && *config->notification_fd <= 1023, "fd 3..1023");
        }
        for (const auto& depend : config->depends) {
            tend::fuzz::require(tend::config::is_valid_service_name(depend), "depends names are valid");
        }
        if (config->user) tend::fuzz::require(tend::config::check_user_syntax(*config->user).has_value(), "user syntax");
    } else {
        tend::fuzz::require(!config.error().reason.empty(), "a refusal has a reason");
    }
    std::filesystem::remove(file);
    return 0;
}
