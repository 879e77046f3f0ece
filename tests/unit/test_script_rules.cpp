// s6 trees: scripts without an execute bit but with a #! line are accepted
// (with a warning) instead of refused or skipped.
#include <gtest/gtest.h>

#include <algorithm>

#include "scratch.hpp"
#include "tend/config/service_config.hpp"

namespace {

using tend::config::ScriptRules;
using tend::testing::ScratchDir;
using tend::testing::write_file;

bool any_contains(const std::vector<std::string>& lines, std::string_view part) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) { return line.find(part) != std::string::npos; });
}

TEST(ScriptRules, ServiceRunWithoutExecuteBit) {
    ScratchDir dir;
    std::filesystem::create_directories(dir.path() / "svc");
    std::filesystem::create_directories(dir.path() / "bare");
    write_file(dir.path() / "svc" / "run", "#!/bin/sh\nexec sleep 1\n", 0644);
    auto refused = tend::config::parse_service_dir(dir.path() / "svc");
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().reason.find("not executable"), std::string::npos);
    auto accepted = tend::config::parse_service_dir(dir.path() / "svc", ScriptRules{.shebang_without_exec_bit = true});
    ASSERT_TRUE(accepted) << accepted.error().message();
    EXPECT_TRUE(any_contains(accepted->warnings, "run: not executable; started through its #! line"));

    write_file(dir.path() / "bare" / "run", "exec sleep 1\n", 0644);
    EXPECT_FALSE(tend::config::parse_service_dir(dir.path() / "bare", ScriptRules{.shebang_without_exec_bit = true}))
        << "no #! line: nothing to run it with";
}

TEST(ScriptRules, ContInitScriptsWithoutExecuteBit) {
    ScratchDir dir;
    write_file(dir.path() / "10-shebang", "#!/bin/sh\ntrue\n", 0644);
    write_file(dir.path() / "20-bare", "true\n", 0644);
    write_file(dir.path() / "30-exec", "#!/bin/sh\ntrue\n", 0755);
    std::vector<std::string> warnings;
    auto plain = tend::config::list_scripts(dir.path(), warnings);
    EXPECT_EQ(plain.size(), 1u);
    warnings.clear();
    auto s6 = tend::config::list_scripts(dir.path(), warnings, ScriptRules{.shebang_without_exec_bit = true});
    ASSERT_EQ(s6.size(), 2u);
    EXPECT_EQ(s6[0].filename(), "10-shebang");
    EXPECT_EQ(s6[1].filename(), "30-exec");
    EXPECT_TRUE(any_contains(warnings, "10-shebang: not executable; run through its #! line"));
    EXPECT_TRUE(any_contains(warnings, "20-bare: not executable, skipped"));
    EXPECT_TRUE(tend::config::starts_with_shebang(dir.path() / "10-shebang"));
    EXPECT_FALSE(tend::config::starts_with_shebang(dir.path() / "20-bare"));
}

}  // namespace
