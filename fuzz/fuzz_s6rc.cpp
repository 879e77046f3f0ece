// s6-overlay v3 trees: the input is split on NUL bytes into the contents of a
// fixed set of files of an s6-rc.d tree (a segment that is absent removes its
// file), then load_s6rc reads the tree. It never throws; every definition it
// keeps is one of the tree's dirs; a longrun depends only on longruns of the
// plan; errors and warnings are messages.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "fuzz_input.hpp"
#include "tend/s6/s6rc.hpp"

namespace {

namespace fs = std::filesystem;

constexpr const char* kTreeFiles[] = {
    "s6-rc.d/user/contents",  "s6-rc.d/a/type",         "s6-rc.d/a/dependencies", "s6-rc.d/b/type",
    "s6-rc.d/b/dependencies", "s6-rc.d/b/up",           "s6-rc.d/c/type",         "s6-rc.d/c/contents",
    "s6-rc.d/c/dependencies", "s6-rc.d/user/type",      "user-bundles.d/user/contents",
};

const fs::path& overlay_dir() {
    static const fs::path dir = [] {
        auto path = tend::fuzz::scratch_dir() / "s6-overlay";
        for (const char* service : {"user", "a", "b", "c"}) fs::create_directories(path / "s6-rc.d" / service);
        fs::create_directories(path / "user-bundles.d" / "user");
        std::ofstream(path / "s6-rc.d" / "a" / "run") << "#!/bin/sh\n";
        ::chmod((path / "s6-rc.d" / "a" / "run").c_str(), 0755);
        return path;
    }();
    return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = tend::fuzz::as_text(data, size);
    const auto& dir = overlay_dir();
    std::size_t start = 0;
    for (const char* name : kTreeFiles) {
        const auto file = dir / name;
        std::error_code ignored;
        if (start > text.size()) {
            fs::remove(file, ignored);
            continue;
        }
        std::size_t end = text.find('\0', start);
        if (end == std::string_view::npos) end = text.size();
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(text.data() + start, static_cast<std::streamsize>(end - start));
        start = end + 1;
    }
    const auto plan = tend::s6::load_s6rc(dir);
    tend::fuzz::require(plan.present, "the tree is there");
    std::set<std::string> longruns;
    for (const auto& longrun : plan.longruns) {
        tend::fuzz::require(longrun.dir.parent_path() == dir / "s6-rc.d", "a longrun is a dir of the tree");
        tend::fuzz::require(longruns.insert(longrun.name).second, "a longrun once");
    }
    for (const auto& longrun : plan.longruns) {
        for (const auto& depend : longrun.depends) {
            tend::fuzz::require(longruns.contains(depend), "a longrun depends on longruns of the plan");
        }
    }
    std::set<std::string> oneshots;
    for (const auto& oneshot : plan.oneshots) {
        tend::fuzz::require(oneshots.insert(oneshot.name).second, "a oneshot once");
        tend::fuzz::require(!longruns.contains(oneshot.name), "a oneshot is no longrun");
    }
    for (const auto& message : plan.errors) tend::fuzz::require(!message.empty(), "errors say something");
    for (const auto& message : plan.warnings) tend::fuzz::require(!message.empty(), "warnings say something");
    return 0;
}
