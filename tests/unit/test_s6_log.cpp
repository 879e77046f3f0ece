// tend's s6-log applet: the script parser, the line handling and the
// logdir rotation (fake clock), and the differential test against what
// Debian's s6-log answered (tests/data/s6-log/, made by generate.py there).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "scratch.hpp"
#include "tend/applets/s6_log.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tend::applets::s6log;

std::expected<Script, std::string> parse(std::vector<std::string> args) { return parse_command_line(args); }

// A clock the test moves: each reading is one second after the last.
struct FakeClock {
    timespec now{1796602706, 123456789};
    timespec operator()() {
        timespec reading = now;
        now.tv_sec += 1;
        return reading;
    }
};

std::string read_all(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

mode_t mode_of(const fs::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// ---- the script ------------------------------------------------------------

TEST(S6LogScript, DirectivesAndTheirDefaults) {
    auto script = parse({"-b", "--", "+^a", "-b$", "f", "n3", "s5000", "T", "./one", "t", "1", "./two", "s100", "/abs"});
    ASSERT_TRUE(script) << script.error();
    EXPECT_TRUE(script->options.blocking);
    const auto& d = script->directives;
    ASSERT_EQ(d.size(), 7u);
    EXPECT_EQ(d[0].kind, Directive::Kind::Select);
    EXPECT_EQ(d[0].text, "^a");
    EXPECT_EQ(d[1].kind, Directive::Kind::Deselect);
    EXPECT_EQ(d[2].kind, Directive::Kind::SelectUnacted);
    // n and s hold for every later logdir; T and t for the next action only.
    EXPECT_EQ(d[3].kind, Directive::Kind::Logdir);
    EXPECT_EQ(d[3].archived, 3u);
    EXPECT_EQ(d[3].max_size, 5000u);
    EXPECT_TRUE(d[3].iso8601);
    EXPECT_FALSE(d[3].tai64n);
    EXPECT_EQ(d[4].kind, Directive::Kind::Stdout);
    EXPECT_TRUE(d[4].tai64n);
    EXPECT_FALSE(d[4].iso8601);
    EXPECT_EQ(d[5].text, "./two");
    EXPECT_FALSE(d[5].tai64n);
    EXPECT_EQ(d[5].archived, 3u);
    EXPECT_EQ(d[6].max_size, 4096u);  // s100 is raised to s6-log's minimum
}

TEST(S6LogScript, DefaultsWithoutControlDirectives) {
    auto script = parse({"./dir"});
    ASSERT_TRUE(script);
    EXPECT_EQ(script->directives[0].archived, 10u);
    EXPECT_EQ(script->directives[0].max_size, 99999u);
    EXPECT_EQ(script->options.line_limit, 8192u);
    EXPECT_FALSE(script->options.protect);
}

TEST(S6LogScript, Options) {
    auto script = parse({"-p", "-d3", "-l", "100", "-v", "1"});
    ASSERT_TRUE(script) << script.error();
    EXPECT_TRUE(script->options.protect);
    EXPECT_EQ(script->options.notify_fd, 3);
    EXPECT_EQ(script->options.line_limit, 100u);
    auto clustered = parse({"-bp", "1"});
    ASSERT_TRUE(clustered);
    EXPECT_TRUE(clustered->options.blocking && clustered->options.protect);
    EXPECT_FALSE(parse({"-x", "1"}));
    EXPECT_FALSE(parse({"-d"}));
}

TEST(S6LogScript, SelectionsAfterTheLastActionAreWarnedAbout) {
    EXPECT_TRUE(parse({"1"})->warnings.empty());
    EXPECT_EQ(parse({"--", "1", "-x"})->warnings, std::vector<std::string>{"ignoring extraneous non-action directives"});
    EXPECT_EQ(parse({"1", "f"})->warnings.size(), 1u);
    EXPECT_TRUE(parse({"1", "n3", "s5000", "t"})->warnings.empty());  // as s6-log: only selections count
}

TEST(S6LogScript, UnknownDirectivesAreNamedAsS6LogNamesThem) {
    EXPECT_EQ(parse({"Z"}).error(), "unrecognized directive: Z");
    EXPECT_EQ(parse({"nx"}).error(), "unrecognized directive: nx");
    EXPECT_EQ(parse({"s"}).error(), "unrecognized directive: s");
    EXPECT_EQ(parse({"1x"}).error(), "unrecognized directive: 1x");
}

TEST(S6LogScript, WhatTendDoesNotDoIsRefusedNamingIt) {
    for (std::string directive : {"S1000", "l100", "r", "E200", "^100", "!gzip", "=/status", "?x"}) {
        auto script = parse({directive, "1"});
        ASSERT_FALSE(script) << directive;
        EXPECT_NE(script.error().find("directive " + directive + " is not supported by tend's s6-log"),
                  std::string::npos)
            << script.error();
    }
}

// ---- lines -------------------------------------------------------------------

struct Captured {
    std::string out, err;
};

Captured run(std::vector<std::string> args, const std::vector<std::string>& chunks) {
    auto script = parse(std::move(args));
    EXPECT_TRUE(script);
    Captured captured;
    FakeClock clock;
    Logger logger(
        std::move(*script), [&] { return clock(); }, [&](std::string_view s) { captured.out += s; },
        [&](std::string_view s) { captured.err += s; });
    EXPECT_TRUE(logger.open());
    for (const auto& chunk : chunks) EXPECT_TRUE(logger.feed(chunk));
    logger.finish();
    return captured;
}

TEST(S6LogLines, SelectionCarriesFromOneActionToTheNext) {
    const std::string input = "alpha\nbeta\ngamma\nalphabet\n";
    EXPECT_EQ(run({"--", "-b", "1", "+bet", "1"}, {input}).out, "alpha\nalpha\nbeta\ngamma\ngamma\nalphabet\n");
    EXPECT_EQ(run({"--", "-.*", "+(al|ga)", "1"}, {input}).out, "alpha\ngamma\nalphabet\n");  // extended, unanchored
    EXPECT_EQ(run({"1", "f", "1"}, {input}).out, input);  // f: only what no action took
    EXPECT_EQ(run({"--", "-.*", "1", "f", "2"}, {"a\nb\n"}).err, "s6-log: alert: a\ns6-log: alert: b\n");
}

TEST(S6LogLines, PartialLinesWaitAndTheLastIsDropped) {
    EXPECT_EQ(run({"1"}, {"par", "tial\nnext", ""}).out, "partial\n");
}

TEST(S6LogLines, LongLinesComeInLineLimitPieces) {
    const std::string line(20000, 'x');
    EXPECT_EQ(run({"1"}, {line + "\n"}).out,
              std::string(8192, 'x') + "\n" + std::string(8192, 'x') + "\n" + std::string(3616, 'x') + "\n");
    EXPECT_EQ(run({"-l", "0", "1"}, {line + "\n"}).out, line + "\n");
}

TEST(S6LogLines, Timestamps) {
    const timespec when{1796602706, 0x1246281d};
    EXPECT_EQ(tai64n_label(when), "@400000006b15fb771246281d");  // what s6-log wrote at that second
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    EXPECT_EQ(iso8601_stamp({0, 5}), "1970-01-01 00:00:00.000000005");
    const std::string out = run({"t", "T", "1"}, {"x\n"}).out;
    EXPECT_TRUE(std::regex_match(out, std::regex("@[0-9a-f]{24} \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{9}  x\n")))
        << out;
}

// ---- logdirs and rotation (fake clock) --------------------------------------

TEST(S6LogRotation, RotatesNamesByTheClockAndKeepsN) {
    tend::testing::ScratchDir scratch("s6-log");
    const fs::path dir = scratch.path() / "logs";
    auto script = parse({"n2", "s4096", dir.string()});
    ASSERT_TRUE(script);
    FakeClock clock;
    std::vector<timespec> readings;
    Logger logger(
        std::move(*script),
        [&] {
            readings.push_back(clock());
            return readings.back();
        },
        [](std::string_view) {}, [](std::string_view) {});
    ASSERT_TRUE(logger.open());
    EXPECT_EQ(names_in(dir), (std::vector<std::string>{"current", "lock", "state"}));
    EXPECT_EQ(mode_of(dir / "current"), 0644u);  // not finalised while written

    const std::string line = std::string(999, 'y') + "\n";  // 1000 bytes
    // 2096 bytes (4096 less s6-log's 2000) make a rotation: the third line.
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(logger.feed(line));
    EXPECT_EQ(names_in(dir).size(), 3u);
    ASSERT_TRUE(logger.feed(line));
    // The archive is named by the clock reading taken for the rotation.
    const std::string first = tai64n_label(readings.back()) + ".s";
    EXPECT_EQ(names_in(dir), (std::vector<std::string>{first, "current", "lock", "state"}));
    EXPECT_EQ(read_all(dir / first), line + line + line);
    EXPECT_EQ(mode_of(dir / first), 0744u);
    EXPECT_EQ(read_all(dir / "current"), "");

    // Two more rotations: n2 keeps the two newest archives.
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(logger.feed(line));
    auto names = names_in(dir);
    ASSERT_EQ(names.size(), 5u);
    EXPECT_GT(names[0], first);
    EXPECT_LT(names[0], names[1]);
    ASSERT_TRUE(logger.feed("tail\n"));
    logger.finish();
    EXPECT_EQ(read_all(dir / "current"), "tail\n");
    EXPECT_EQ(mode_of(dir / "current"), 0744u);  // finalised
}

TEST(S6LogRotation, NZeroKeepsNoArchive) {
    tend::testing::ScratchDir scratch("s6-log");
    const fs::path dir = scratch.path() / "logs";
    auto script = parse({"n0", dir.string()});
    ASSERT_TRUE(script);
    FakeClock clock;
    Logger logger(std::move(*script), [&] { return clock(); }, [](std::string_view) {}, [](std::string_view) {});
    ASSERT_TRUE(logger.open());
    // 14 writes of 8000 bytes: past 97999 (99999 less 2000) once, so one rotation.
    for (int i = 0; i < 14; ++i) ASSERT_TRUE(logger.feed(std::string(7999, 'z') + "\n"));
    logger.finish();
    EXPECT_EQ(names_in(dir), (std::vector<std::string>{"current", "lock", "state"}));
    EXPECT_EQ(fs::file_size(dir / "current"), 8000u);  // the rotation happened
}

TEST(S6LogRotation, AnUnfinishedCurrentIsArchivedAsU) {
    tend::testing::ScratchDir scratch("s6-log");
    const fs::path dir = scratch.path() / "logs";
    fs::create_directory(dir);
    tend::testing::write_file(dir / "current", "left by a killed logger\n", 0644);
    auto script = parse({dir.string()});
    ASSERT_TRUE(script);
    FakeClock clock;
    const std::string expected = tai64n_label(clock.now) + ".u";
    {
        Logger logger(std::move(*script), [&] { return clock(); }, [](std::string_view) {}, [](std::string_view) {});
        ASSERT_TRUE(logger.open());
        EXPECT_EQ(read_all(dir / expected), "left by a killed logger\n");
        logger.finish();
    }  // its lock is released

    // A finalised current (0744) is appended to.
    auto again = parse({dir.string()});
    Logger second(std::move(*again), [&] { return clock(); }, [](std::string_view) {}, [](std::string_view) {});
    ASSERT_TRUE(second.open());
    ASSERT_TRUE(second.feed("one\n"));
    second.finish();
    EXPECT_EQ(read_all(dir / "current"), "one\n");
}

TEST(S6LogRotation, ALockedLogdirIsRefusedNamingIt) {
    tend::testing::ScratchDir scratch("s6-log");
    const fs::path dir = scratch.path() / "logs";
    auto first = parse({dir.string()});
    auto second = parse({dir.string()});
    Logger a(std::move(*first), [] { return timespec{}; }, [](std::string_view) {}, [](std::string_view) {});
    Logger b(std::move(*second), [] { return timespec{}; }, [](std::string_view) {}, [](std::string_view) {});
    ASSERT_TRUE(a.open());
    auto refused = b.open();
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find(dir.string()), std::string::npos) << refused.error();
}

// ---- the oracle: Debian's s6-log on generated inputs ---------------------------

std::string unescape(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\' || i + 1 >= text.size()) {
            out += text[i];
            continue;
        }
        const char next = text[++i];
        if (next == 'n') out += '\n';
        else if (next == '\\') out += '\\';
        else if (next == 'x' && i + 2 < text.size()) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        }
    }
    return out;
}

std::string unhex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
}

std::string normalise(const std::string& text) {
    static const std::regex tai("@[0-9a-f]{24}");
    static const std::regex iso("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{9}");
    return std::regex_replace(std::regex_replace(text, tai, "@TAI64N"), iso, "ISO8601");
}

struct OracleCase {
    int number = 0;
    std::vector<std::string> script;
    std::vector<std::string> chunks;
    int exit = 0;
    std::string out, err;
    std::vector<std::string> files;  // "NAME MODE CONTENT" with CONTENT unescaped
};

std::vector<OracleCase> read_cases(const std::string& path) {
    std::ifstream in(path);
    std::vector<OracleCase> cases;
    std::string line;
    while (std::getline(in, line)) {
        auto rest = [&](std::size_t n) { return std::string_view(line).substr(std::min(n, line.size())); };
        if (line.starts_with("case ")) {
            cases.emplace_back();
            cases.back().number = std::stoi(line.substr(5));
        } else if (cases.empty()) {
            continue;
        } else if (line.starts_with("script ")) {
            std::string_view list = rest(7);
            for (std::size_t start = 0; start <= list.size();) {
                std::size_t comma = list.find(',', start);
                if (comma == std::string_view::npos) comma = list.size();
                cases.back().script.push_back(unhex(list.substr(start, comma - start)));
                start = comma + 1;
            }
        } else if (line.starts_with("chunk ")) {
            cases.back().chunks.push_back(unescape(rest(6)));
        } else if (line.starts_with("exit ")) {
            cases.back().exit = std::stoi(line.substr(5));
        } else if (line.starts_with("stdout")) {
            cases.back().out = unescape(rest(7));
        } else if (line.starts_with("stderr")) {
            cases.back().err = unescape(rest(7));
        } else if (line.starts_with("file ")) {
            std::string_view f = rest(5);
            const std::size_t space1 = f.find(' ');
            const std::size_t space2 = f.find(' ', space1 + 1);
            cases.back().files.push_back(std::string(f.substr(0, space2 + 1)) +
                                         unescape(space2 == std::string_view::npos ? "" : f.substr(space2 + 1)));
        }
    }
    return cases;
}

// What tend's logger does with one case, in the generator's terms.
OracleCase run_like_the_oracle(const OracleCase& expected, std::string& problem) {
    OracleCase got;
    std::vector<std::string> args{"--"};  // as the generator ran it
    args.insert(args.end(), expected.script.begin(), expected.script.end());
    auto script = parse_command_line(args);
    if (!script) {
        got.exit = 100;
        got.err = "s6-log: fatal: " + script.error() + "\n";
        return got;
    }
    for (const auto& warning : script->warnings) got.err += "s6-log: warning: " + warning + "\n";
    tend::testing::ScratchDir scratch("s6-log-oracle");
    for (auto& d : script->directives)
        if (d.kind == Directive::Kind::Logdir) d.text = (scratch.path() / d.text).lexically_normal().string();
    {
        Logger logger(
            std::move(*script),
            [] {
                timespec now{};
                ::clock_gettime(CLOCK_REALTIME, &now);
                return now;
            },
            [&](std::string_view s) { got.out += s; }, [&](std::string_view s) { got.err += s; });
        if (auto opened = logger.open(); !opened) problem = opened.error();
        for (const auto& chunk : expected.chunks)
            if (auto fed = logger.feed(chunk); !fed) problem = fed.error();
        logger.finish();
    }
    got.out = normalise(got.out);
    got.err = normalise(got.err);
    for (const auto& logdir : names_in(scratch.path())) {
        const auto names = names_in(scratch.path() / logdir);
        std::vector<std::string> archived;
        for (const auto& name : names)
            if (name.size() == 27 && name[0] == '@') archived.push_back(name);
        for (const auto& name : names) {
            std::string shown = name;
            if (auto it = std::find(archived.begin(), archived.end(), name); it != archived.end())
                shown = "@" + std::to_string(it - archived.begin() + 1) + name.substr(name.size() - 2);
            const fs::path file = scratch.path() / logdir / name;
            std::ostringstream mode;
            mode << std::oct << mode_of(file);
            got.files.push_back(logdir + "/" + shown + " " + mode.str() + " " + normalise(read_all(file)));
        }
    }
    return got;
}

TEST(S6LogOracle, AgreesWithDebiansS6Log) {
    const char* override_path = std::getenv("TEND_S6LOG_ANSWERS");
    const std::string path = override_path ? override_path : std::string(TEND_TEST_DATA_DIR) + "/s6-log/s6-log-answers.txt";
    const auto cases = read_cases(path);
    ASSERT_GE(cases.size(), 50u) << path;
    int disagreements = 0;
    for (const auto& expected : cases) {
        std::string problem;
        const OracleCase got = run_like_the_oracle(expected, problem);
        const bool same = got.exit == expected.exit && got.out == expected.out &&
                          got.err == expected.err && got.files == expected.files;
        if (same && problem.empty()) continue;
        if (++disagreements > 5) continue;
        std::string script;
        for (const auto& d : expected.script) script += d + " ";
        ADD_FAILURE() << "case " << expected.number << " (s6-log -- " << script << "): " << problem
                      << "\nexit " << got.exit << " vs " << expected.exit << "\nstdout same: " << (got.out == expected.out)
                      << "\nstderr: " << got.err << " vs " << expected.err << "\nfiles: " << got.files.size() << " vs "
                      << expected.files.size() << [&] {
                             std::string diff;
                             for (std::size_t i = 0; i < std::max(got.files.size(), expected.files.size()); ++i) {
                                 const std::string a = i < got.files.size() ? got.files[i].substr(0, 60) : "-";
                                 const std::string b = i < expected.files.size() ? expected.files[i].substr(0, 60) : "-";
                                 if (a != b || (i < got.files.size() && i < expected.files.size() &&
                                                got.files[i] != expected.files[i]))
                                     diff += "\n  tend: " + a + "\n  s6:   " + b;
                             }
                             return diff;
                         }();
    }
    EXPECT_EQ(disagreements, 0) << "of " << cases.size() << " cases";
}

}  // namespace
