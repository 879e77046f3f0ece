// tend's execline reader against execlineb itself: the answers a real
// execlineb gave over generated scripts (tests/data/execline/, made by
// generate.py there) must be exactly what tend produces, plus the cases
// s6 trees depend on, spelled out.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tend/s6/execline.hpp"

namespace {

using namespace tend::s6;
using Strings = std::vector<std::string>;

std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

std::string to_hex(std::string_view bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

std::string join_hex(const Strings& words) {
    std::string out;
    for (std::size_t i = 0; i < words.size(); ++i) out += (i ? "," : "") + to_hex(words[i]);
    return out;
}

// What tend says in the answer file's words (see generate.py).
std::string tend_answer(char mode, const std::string& body) {
    const std::string script = mode == 'N' ? body : "printer " + body;
    ExeclineScript parsed = parse_execline(script);
    if (parsed.error) {
        std::string what = *parsed.error;
        for (char& c : what)
            if (c == ' ') c = '-';
        return "error " + what;
    }
    if (mode == 'N') return parsed.argv.empty() ? "empty" : "nonempty";
    auto words_of = [](const Strings& argv) {
        Strings words(argv.begin() + 1, argv.end());
        return "words " + std::to_string(words.size()) + ":" + join_hex(words);
    };
    // Blocks are compared too: tend hands them to execlineb to run, but the
    // words must be the same.
    parsed.has_block = false;
    ExeclinebOptions options;
    Strings args;
    if (mode == 'P') options.positional = ExeclinebOptions::Positional::None;
    if (mode == 'S') options = {ExeclinebOptions::Positional::Substitute, 0, {}};
    if (mode == 'p') options.positional = ExeclinebOptions::Positional::Push;
    if (mode != 'P') args = {"one", "two"};
    ExeclineDecision decision = carry_out_execline(parsed, options, "SCRIPT", args, {"PATH=/nonexistent"});
    if (!decision.exec) return "execlineb needed: " + decision.needs_execlineb;
    std::string answer = words_of(decision.exec->argv);
    if (mode == 'p') {
        Strings env;
        for (const auto& [name, value] : decision.exec->env)
            if (value) env.push_back(name + "=" + *value);
        answer += " env " + join_hex(env);
    }
    return answer;
}

std::string answers_file() {
    if (const char* other = std::getenv("TEND_EXECLINE_ANSWERS")) return other;
    return std::string(TEND_TEST_DATA_DIR) + "/execline/execlineb-answers.txt";
}

TEST(ExeclineOracle, EveryRecordedAnswerOfExeclinebIsTendsToo) {
    std::ifstream in(answers_file());
    ASSERT_TRUE(in) << "cannot read " << answers_file();
    std::string line;
    int cases = 0, disagreements = 0, substituted = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        std::string mode, hex;
        fields >> mode >> hex;
        std::string expected;
        std::getline(fields, expected);
        expected.erase(0, expected.find_first_not_of(' '));
        const std::string body = hex == "-" ? std::string() : from_hex(hex);
        std::string got = tend_answer(mode[0], body);
        if (mode == "S" && got.starts_with("execlineb needed")) {
            // A `$` with -S: execlineb substitutes, tend hands it over.
            ++substituted;
            continue;
        }
        ++cases;
        if (got != expected) {
            ++disagreements;
            ADD_FAILURE() << "script (hex) " << hex << " mode " << mode << "\n  execlineb: " << expected
                          << "\n  tend:      " << got;
        }
    }
    // The committed file holds thousands; a fresh one from generate.py may be small.
    EXPECT_GT(cases, std::getenv("TEND_EXECLINE_ANSWERS") ? 0 : 1000) << "too few answers in " << answers_file();
    EXPECT_EQ(disagreements, 0);
    RecordProperty("cases", cases);
    RecordProperty("handed_to_execlineb", substituted);
}

// ---- the cases s6 trees depend on, spelled out ---------------------------

TEST(Execline, AFileOfCommentsIsEmptyAndSucceeds) {
    auto parsed = parse_execline("# This file doesn't do anything, it just signals that services can start\n");
    EXPECT_FALSE(parsed.error);
    EXPECT_TRUE(parsed.argv.empty());
    auto decision = carry_out_execline(parsed, {ExeclinebOptions::Positional::None, 0, {}}, "up", {}, {});
    ASSERT_TRUE(decision.exec);
    EXPECT_TRUE(decision.exec->argv.empty());
}

TEST(Execline, QuotesEscapesAndSingleQuotesAsExeclinebReadsThem) {
    auto parsed = parse_execline("#!/usr/bin/execlineb -P\necho \"a b\\tc\" d\\ e 'x y' \"\\0x41\\101\\0101\" # c\n");
    ASSERT_FALSE(parsed.error);
    EXPECT_EQ(parsed.argv, (Strings{"echo", "a b\tc", "d e", "'x", "y'", "AeA"}));
    EXPECT_FALSE(parsed.has_block);
}

TEST(Execline, DollarIsPlainWithCapitalPAndHandedOverWithS) {
    auto parsed = parse_execline("echo $HOME ${X}\n");
    ASSERT_FALSE(parsed.error);
    EXPECT_TRUE(parsed.has_dollar);
    auto plain = carry_out_execline(parsed, {ExeclinebOptions::Positional::None, 0, {}}, "s", {}, {});
    ASSERT_TRUE(plain.exec);
    EXPECT_EQ(plain.exec->argv, (Strings{"echo", "$HOME", "${X}"}));
    auto substituted = carry_out_execline(parsed, {ExeclinebOptions::Positional::Substitute, 0, {}}, "s", {"1"}, {});
    EXPECT_FALSE(substituted.exec);
    EXPECT_NE(substituted.needs_execlineb.find("$"), std::string::npos);
}

TEST(Execline, BlocksAreWrittenAsExeclinebWritesThemAndHandedOver) {
    auto parsed = parse_execline("foreground { echo { a } } halt");
    ASSERT_FALSE(parsed.error);
    EXPECT_EQ(parsed.argv, (Strings{"foreground", " echo", "  a", " ", "", "halt"}));
    EXPECT_TRUE(parsed.has_block);
    auto decision = carry_out_execline(parsed, {}, "s", {}, {});
    EXPECT_FALSE(decision.exec);
    EXPECT_NE(decision.needs_execlineb.find("block"), std::string::npos);
}

TEST(Execline, ErrorsAreExeclinebs) {
    EXPECT_EQ(parse_execline("a }").error, "unmatched }");
    EXPECT_EQ(parse_execline("a { b").error, "unmatched {");
    EXPECT_EQ(parse_execline("echo \"open").error, "syntax error");
    EXPECT_EQ(parse_execline("echo \"\\0x00\"").error, "syntax error");
    EXPECT_EQ(parse_execline("echo \"\\256\"").error, "syntax error");
}

TEST(Execline, NulEndsTheScript) {
    auto parsed = parse_execline(std::string("a b\0c d", 7));
    EXPECT_EQ(parsed.argv, (Strings{"a", "b"}));
}

TEST(Execline, PushModesSetPositionalVariables) {
    auto parsed = parse_execline("prog x");
    auto push = carry_out_execline(parsed, {ExeclinebOptions::Positional::Push, 0, {}}, "/s/finish", {"0", "15"}, {});
    ASSERT_TRUE(push.exec);
    using Env = std::vector<std::pair<std::string, std::optional<std::string>>>;
    EXPECT_EQ(push.exec->env, (Env{{"#", "2"}, {"0", "/s/finish"}, {"1", "0"}, {"2", "15"}}));
    // No option renames positional variables already there: execlineb's job.
    auto renamed = carry_out_execline(parsed, {}, "/s/finish", {}, {"1=old"});
    EXPECT_FALSE(renamed.exec);
    auto strict = carry_out_execline(parsed, {ExeclinebOptions::Positional::None, 0, 2}, "s", {}, {});
    ASSERT_TRUE(strict.exec);
    EXPECT_EQ(strict.exec->env, (Env{{"EXECLINE_STRICT", "2"}}));
}

TEST(Execline, ShebangOptionsAsExeclinebTakesThem) {
    std::string error;
    auto s0 = parse_execlineb_options({"-S0"}, &error);
    ASSERT_TRUE(s0);
    EXPECT_EQ(s0->positional, ExeclinebOptions::Positional::Substitute);
    EXPECT_EQ(s0->nmin, 0u);
    auto capital = parse_execlineb_options({"-P"}, &error);
    ASSERT_TRUE(capital);
    EXPECT_EQ(capital->positional, ExeclinebOptions::Positional::None);
    auto none = parse_execlineb_options({}, &error);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->positional, ExeclinebOptions::Positional::PushAndRename);
    // The kernel gives `-P -W` as one argument: execlineb rejects the blank.
    EXPECT_FALSE(parse_execlineb_options({"-P -W"}, &error));
    EXPECT_NE(error.find("unknown option"), std::string::npos) << error;
    EXPECT_FALSE(parse_execlineb_options({"-c"}, &error));
}

}  // namespace
