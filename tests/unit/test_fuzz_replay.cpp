// Replays the fuzz inputs in the g++ suite: every seed of fuzz/corpus/<target>/
// and every past crash in fuzz/regressions/<target>/ goes through the very code
// of the libFuzzer target (fuzz/<target>.cpp, compiled here with g++), whose
// invariants become test failures. So a crash once found stays fixed even
// where clang-16 is not installed.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

// Each target defines LLVMFuzzerTestOneInput; here each gets its own name.
#define LLVMFuzzerTestOneInput fuzz_capabilities_input
#include "../../fuzz/fuzz_capabilities.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_control_commands_input
#include "../../fuzz/fuzz_control_commands.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_control_protocol_input
#include "../../fuzz/fuzz_control_protocol.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_duration_input
#include "../../fuzz/fuzz_duration.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_envdir_value_input
#include "../../fuzz/fuzz_envdir_value.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_limits_input
#include "../../fuzz/fuzz_limits.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_line_splitter_input
#include "../../fuzz/fuzz_line_splitter.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_ready_when_input
#include "../../fuzz/fuzz_ready_when.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_s6_env_input
#include "../../fuzz/fuzz_s6_env.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_s6_log_input
#include "../../fuzz/fuzz_s6_log.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_s6rc_input
#include "../../fuzz/fuzz_s6rc.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_schedule_input
#include "../../fuzz/fuzz_schedule.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_service_file_input
#include "../../fuzz/fuzz_service_file.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_service_name_input
#include "../../fuzz/fuzz_service_name.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_setuidgid_input
#include "../../fuzz/fuzz_setuidgid.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_shebang_input
#include "../../fuzz/fuzz_shebang.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_signal_input
#include "../../fuzz/fuzz_signal.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_time_zone_input
#include "../../fuzz/fuzz_time_zone.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_umask_input
#include "../../fuzz/fuzz_umask.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_user_database_input
#include "../../fuzz/fuzz_user_database.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_user_spec_input
#include "../../fuzz/fuzz_user_spec.cpp"
#undef LLVMFuzzerTestOneInput

namespace {

namespace fs = std::filesystem;
using Target = int (*)(const std::uint8_t*, std::size_t);

struct ReplayCase {
    const char* name;
    Target target;
};

// __FILE__ is relative to the build dir when ccache rewrites paths; the test
// binary lives in that build dir.
fs::path fuzz_dir() {
    fs::path source = fs::path(__FILE__).parent_path();
    if (source.is_relative()) {
        std::error_code ec;
        source = fs::canonical("/proc/self/exe", ec).parent_path() / source;
    }
    return (source / ".." / ".." / "fuzz").lexically_normal();
}

const fs::path kFuzzDir = fuzz_dir();

std::vector<fs::path> inputs_of(const std::string& target) {
    std::vector<fs::path> files;
    for (const char* kind : {"corpus", "regressions"}) {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(kFuzzDir / kind / target, ec))
            if (entry.is_regular_file()) files.push_back(entry.path());
    }
    return files;
}

std::string current_input;

class FuzzReplay : public ::testing::TestWithParam<ReplayCase> {};

TEST_P(FuzzReplay, EverySeedAndPastCrashKeepsTheTargetsInvariants) {
    tend::fuzz::on_broken_invariant = [](const char* what) {
        ADD_FAILURE() << "invariant broken: " << what << " (input " << current_input << ")";
    };
    const auto files = inputs_of(GetParam().name);
    EXPECT_FALSE(files.empty()) << "no corpus for " << GetParam().name << " in " << kFuzzDir;
    for (const auto& file : files) {
        current_input = file.string();
        std::ifstream in(file, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        GetParam().target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
}

INSTANTIATE_TEST_SUITE_P(
    Targets, FuzzReplay,
    ::testing::Values(ReplayCase{"fuzz_capabilities", fuzz_capabilities_input},
                      ReplayCase{"fuzz_control_commands", fuzz_control_commands_input},
                      ReplayCase{"fuzz_control_protocol", fuzz_control_protocol_input},
                      ReplayCase{"fuzz_duration", fuzz_duration_input},
                      ReplayCase{"fuzz_envdir_value", fuzz_envdir_value_input},
                      ReplayCase{"fuzz_limits", fuzz_limits_input},
                      ReplayCase{"fuzz_line_splitter", fuzz_line_splitter_input},
                      ReplayCase{"fuzz_ready_when", fuzz_ready_when_input},
                      ReplayCase{"fuzz_s6_env", fuzz_s6_env_input},
                      ReplayCase{"fuzz_s6_log", fuzz_s6_log_input},
                      ReplayCase{"fuzz_s6rc", fuzz_s6rc_input},
                      ReplayCase{"fuzz_schedule", fuzz_schedule_input},
                      ReplayCase{"fuzz_service_file", fuzz_service_file_input},
                      ReplayCase{"fuzz_service_name", fuzz_service_name_input},
                      ReplayCase{"fuzz_setuidgid", fuzz_setuidgid_input},
                      ReplayCase{"fuzz_shebang", fuzz_shebang_input},
                      ReplayCase{"fuzz_signal", fuzz_signal_input},
                      ReplayCase{"fuzz_time_zone", fuzz_time_zone_input},
                      ReplayCase{"fuzz_umask", fuzz_umask_input},
                      ReplayCase{"fuzz_user_database", fuzz_user_database_input},
                      ReplayCase{"fuzz_user_spec", fuzz_user_spec_input}),
    [](const auto& case_info) { return std::string(case_info.param.name); });

}  // namespace
