// Proves: docs/service-directory.md#bad-input, docs/testing.md#whole-trees
// The whole-tree fuzzer. Random services dirs (random bytes
// in files, huge files, FIFOs, symlink loops, directories where files belong,
// control bytes in names, entries that are no dir at all) beside one
// well-formed canary service, run by the real binary as PID 1. tend never
// crashes or hangs, the canary always runs, and no service made malformed on
// purpose ever starts.
//
// Reproducible: the seed is printed (and named in every failure);
// TEND_TREE_FUZZ_SEED=N replays it, TEND_TREE_FUZZ_ITERATIONS=N runs more
// trees (default 25, a few seconds, bounded for the test command);
// TEND_TREE_FUZZ_DEBUG=1 lists each tree and prints tend's log.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
    const char* text = std::getenv(name);
    return text != nullptr && *text != '\0' ? std::strtoull(text, nullptr, 10) : fallback;
}

// The one-value files of a service dir, each refused when it is not a readable
// regular text file.
constexpr const char* kValueFiles[] = {"user",         "umask",          "restart",    "notification-fd",
                                       "timeout-kill", "timeout-finish", "down-signal", "limits",
                                       "capabilities", "depends",        "import-env", "workdir"};

class TreeFuzzer {
public:
    explicit TreeFuzzer(std::uint64_t seed) : random_(seed) {}

    struct Malformed {
        std::string name;  // as on disk
        std::string id;    // its marker: $OUT/<id>.ran
    };

    // Fills `sandbox` with services; returns those malformed for sure.
    std::vector<Malformed> build(const Sandbox& sandbox) {
        std::vector<Malformed> malformed;
        const int count = 3 + pick(5);
        for (int i = 0; i < count; ++i) {
            const std::string id = fmt::format("s{}", i);
            const bool sure = pick(4) != 0;  // most are broken on purpose; the rest is noise
            std::string name = id + "-" + random_name();
            bool broken_name = false;
            if (sure && pick(5) == 0) {
                name.insert(name.begin() + 1 + static_cast<long>(pick(name.size() - 1)), control_byte());
                broken_name = true;
            }
            ServiceDir service = sandbox.service(name);
            service.run(fmt::format("echo ran > \"$OUT/{}.ran\"\nexec sleep 1000\n", id));
            if (sure) {
                if (!broken_name) break_for_sure(service);
                malformed.push_back({name, id});
            }
            const int noise = static_cast<int>(pick(3));
            for (int n = 0; n < noise; ++n) add_noise(service);
        }
        add_junk_entries(sandbox.services_dir());
        return malformed;
    }

private:
    std::size_t pick(std::size_t bound) { return bound == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, bound - 1)(random_); }

    char control_byte() {
        const std::size_t value = pick(33);
        return static_cast<char>(value == 32 ? 0x7f : (value == 0 ? '\n' : value));
    }

    std::string random_name() {
        static constexpr char kLetters[] = "abcdefghijklmnopqrstuvwxyz0123456789-_";
        std::string name;
        const std::size_t length = 1 + pick(12);
        for (std::size_t i = 0; i < length; ++i) name += kLetters[pick(sizeof kLetters - 1)];
        return name;
    }

    std::string random_bytes(std::size_t max) {
        std::string bytes(pick(max + 1), '\0');
        for (char& c : bytes) c = static_cast<char>(pick(256));
        return bytes;
    }

    // Something every parser refuses, in `path` (a file the parser reads).
    // An env/ value may hold NUL bytes (s6-envdir's encoding of newlines),
    // so `text_is_checked` is false there.
    void plant_refused(const fs::path& path, bool text_is_checked = true) {
        std::error_code ec;
        fs::remove_all(path, ec);
        switch (pick(text_is_checked ? 6 : 5)) {
            case 0: ASSERT_EQ(::mkfifo(path.c_str(), 0644), 0) << path; break;
            case 1: fs::create_directories(path / "sub"); break;
            case 2: fs::create_symlink(path.filename(), path); break;  // a loop
            case 3: fs::create_symlink("/nonexistent/target", path); break;
            case 4:  // huge: sparse, larger than any config file may be
                write_file(path, "");
                ASSERT_EQ(::truncate(path.c_str(), 16 << 20), 0);
                break;
            default: {  // text with a NUL byte: never a valid value
                std::string bytes = random_bytes(64);
                bytes.insert(pick(bytes.size() + 1), 1, '\0');
                write_file(path, bytes);
            }
        }
    }

    void break_for_sure(ServiceDir& service) {
        const fs::path dir = service.path();
        switch (pick(4)) {
            case 0: plant_refused(dir / "run"); break;
            case 1: ::chmod((dir / "run").c_str(), 0644); break;
            case 2: plant_refused(dir / kValueFiles[pick(std::size(kValueFiles))]); break;
            default:
                if (pick(2) == 0) {
                    plant_refused(dir / "env");
                } else {
                    fs::create_directories(dir / "env");
                    plant_refused(dir / "env" / "VALUE", false);
                }
        }
    }

    // Entries of the services dir that are not service dirs at all: a symlink
    // loop, a dangling link, a FIFO, a file, a hidden dir with a run file.
    void add_junk_entries(const fs::path& services) {
        if (pick(2) == 0) fs::create_symlink("j-loop", services / "j-loop");
        if (pick(2) == 0) fs::create_symlink("/nonexistent", services / "j-dangling");
        if (pick(2) == 0) {
            ASSERT_EQ(::mkfifo((services / "j-fifo").c_str(), 0644), 0);
        }
        if (pick(2) == 0) write_file(services / "j-file", random_bytes(100), 0755);
        if (pick(2) == 0) write_file(services / ".j-hidden" / "run", "#!/bin/sh\nexec sleep 1000\n", 0755);
    }

    // Near-valid values, so the noise reaches past the text checks into the
    // parsers. No down-signal that `sleep` survives and no long timeout: the
    // shutdown must stay quick for the hang check to mean something.
    std::string near_valid_value() {
        static constexpr const char* kValues[] = {
            "nobody", "nobody:nogroup", "65534:65534", "root", "022", "0777", "1777", "always", "never",
            "on-failure", "3", "1023", "1024", "500ms", "1s", "0", "SIGTERM", "hup", "INT", "9", "SIGKILL",
            "nofile 64", "nproc 1:2", "as 1M", "core unlimited", "chown, CAP_NET_BIND_SERVICE", "sys_admin",
            "PATH\nHOME", "~canary", "/", "/nonexistent", "..", "# comment only\n", " ", "\n\n"};
        std::string value = kValues[pick(std::size(kValues))];
        switch (pick(4)) {
            case 0: value.insert(pick(value.size() + 1), 1, static_cast<char>(0x20 + pick(95))); break;
            case 1: if (!value.empty()) value.erase(pick(value.size()), 1); break;
            default: break;
        }
        return value + (pick(2) == 0 ? "\n" : "");
    }

    // A random file gets random bytes, printable junk or a near-valid value:
    // it may or may not be valid.
    void add_noise(ServiceDir& service) {
        const std::string file = kValueFiles[pick(std::size(kValueFiles))];
        if (fs::exists(fs::symlink_status(service.path() / file))) return;  // keep the sure breakage
        std::string content;
        switch (pick(3)) {
            case 0: content = random_bytes(pick(2) == 0 ? 16 : 300); break;
            case 1:
                content = random_bytes(40);
                for (char& c : content) c = static_cast<char>(0x20 + static_cast<unsigned char>(c) % 95);
                break;
            default: content = near_valid_value();
        }
        // timeout-kill/timeout-finish noise stays short (see above).
        if (file.starts_with("timeout-")) content = std::to_string(pick(1500));
        if (file == "down-signal" && !content.empty()) content = near_valid_signal();
        service.file(file, content);
    }

    std::string near_valid_signal() {
        static constexpr const char* kSignals[] = {"SIGTERM", "TERM", "hup", "INT", "9", "SIGKILL", "SIGNOPE", "0", ""};
        return kSignals[pick(std::size(kSignals))];
    }

    std::mt19937_64 random_;
};

// How a name appears in tend's text log (control bytes escaped).
std::string as_logged(std::string_view name) {
    std::string out;
    for (char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (byte < 0x20 || byte == 0x7f) out += fmt::format("\\x{:02x}", byte);
        else out += c;
    }
    return out;
}

TEST(TreeFuzz, RandomServiceDirsNeverCrashTendAndTheCanaryRuns) {
    TEND_REQUIRE_NAMESPACES();
    const std::uint64_t seed = env_number("TEND_TREE_FUZZ_SEED", std::random_device{}());
    const std::uint64_t iterations = env_number("TEND_TREE_FUZZ_ITERATIONS", 25);
    std::cout << "tree fuzz seed: " << seed << " (replay: TEND_TREE_FUZZ_SEED=" << seed << ")" << std::endl;
    RecordProperty("tree_fuzz_seed", std::to_string(seed));
    SCOPED_TRACE(fmt::format("TEND_TREE_FUZZ_SEED={}", seed));

    TreeFuzzer fuzzer(seed);
    for (std::uint64_t iteration = 0; iteration < iterations; ++iteration) {
        SCOPED_TRACE(fmt::format("tree {}", iteration));
        Sandbox sandbox;
        const auto malformed = fuzzer.build(sandbox);
        // '~' sorts after every generated name, so the canary starts last.
        sandbox.service("~canary").run("echo up > \"$OUT/canary\"\nexec sleep 1000\n");

        if (std::getenv("TEND_TREE_FUZZ_DEBUG")) {
            [[maybe_unused]] int listed = std::system(("ls -laR " + shell_quote(sandbox.services_dir().string())).c_str());
        }
        TendProcess tend(sandbox, TendOptions{.args = {"--services-grace", "1s", "--kill-grace", "1s"}});
        ASSERT_TRUE(wait_for_file(sandbox.out("canary"))) << "the canary never ran\n" << tend.current_err();
        ASSERT_TRUE(tend.running()) << tend.current_err();
        ASSERT_TRUE(tend.signal(SIGTERM));
        const RunResult result = tend.wait();
        EXPECT_FALSE(result.timed_out) << "tend hung\n" << result.diagnostics();
        EXPECT_EQ(result.exit_code, 0) << result.diagnostics();
        for (const auto& service : malformed) {
            const std::string logged = as_logged(service.name);
            EXPECT_FALSE(file_exists(sandbox.out(service.id + ".ran"))) << logged << " ran\n" << result.err;
            EXPECT_FALSE(contains(result.err, "service " + logged + ": started")) << logged << " started\n"
                                                                                  << result.err;
        }
        if (std::getenv("TEND_TREE_FUZZ_DEBUG")) std::cout << malformed.size() << " malformed\n" << result.err;
        if (HasFailure()) return;
    }
}

}  // namespace
}  // namespace tend::itest
