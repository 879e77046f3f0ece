// Shared helpers of the libFuzzer targets: the input as a string_view, and a
// check that turns a broken invariant into a crash libFuzzer reports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <unistd.h>

namespace tend::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// What a broken invariant does: abort under libFuzzer (which keeps the input
// as a crash); the g++ replay in tests/unit records a test failure instead.
inline void (*on_broken_invariant)(const char* what) = [](const char* what) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
};

// An invariant of the parser under test.
inline void require(bool condition, const char* what) {
    if (!condition) on_broken_invariant(what);
}

// A directory of this process for targets that parse files, removed at exit.
inline const std::filesystem::path& scratch_dir() {
    struct Scratch {
        std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("tend-fuzz." + std::to_string(::getpid()));
        Scratch() { std::filesystem::create_directories(path); }
        ~Scratch() {
            std::error_code ignored;
            std::filesystem::remove_all(path, ignored);
        }
    };
    static const Scratch scratch;
    return scratch.path;
}

}  // namespace tend::fuzz
