// What integration tests read about processes and tend's log: capability
// masks and rlimits from /proc/PID/status and /proc/PID/limits, CPU time
// from /proc/PID/stat, flat JSON log lines, the reporting scripts, and the
// order file that services append markers to.
//
// Design: header-only on top of harness.hpp. It adds those readers and the
// one pattern they all use: start tend, wait until services have reported
// what they got, then stop tend with SIGTERM. Reports are written to a
// temporary name and renamed, so a report that exists is complete.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "harness.hpp"

namespace tend::itest::readers {

// ---------------------------------------------------------------------------
// Capabilities as /proc/PID/status shows them

inline constexpr int kCapChown = 0;
inline constexpr int kCapDacOverride = 1;
inline constexpr int kCapKill = 5;
inline constexpr int kCapNetBindService = 10;
inline constexpr int kCapNetRaw = 13;
inline constexpr int kCapSysAdmin = 21;
inline constexpr int kCapMknod = 27;

constexpr std::uint64_t cap_bit(int cap) { return std::uint64_t{1} << cap; }

// The five sets, in the order the issue names them.
struct CapSets {
    std::uint64_t effective = 0;
    std::uint64_t permitted = 0;
    std::uint64_t inheritable = 0;
    std::uint64_t bounding = 0;
    std::uint64_t ambient = 0;
};

// "%016x", as the kernel prints masks: assertion messages compare like /proc.
inline std::string hex_mask(std::uint64_t mask) { return fmt::format("{:016x}", mask); }

inline std::optional<std::uint64_t> parse_hex_mask(const std::string& text) {
    if (text.empty() || text.size() > 16) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        int digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else
            return std::nullopt;
        value = value << 4 | static_cast<std::uint64_t>(digit);
    }
    return value;
}

// nullopt when any of the five lines is missing or malformed.
inline std::optional<CapSets> cap_sets_from_status(std::string_view status_text) {
    const auto fields = parse_proc_status(status_text);
    auto mask = [&](const char* key) -> std::optional<std::uint64_t> {
        auto it = fields.find(key);
        if (it == fields.end()) return std::nullopt;
        return parse_hex_mask(it->second);
    };
    auto eff = mask("CapEff"), prm = mask("CapPrm"), inh = mask("CapInh"), bnd = mask("CapBnd"),
         amb = mask("CapAmb");
    if (!eff || !prm || !inh || !bnd || !amb) return std::nullopt;
    return CapSets{*eff, *prm, *inh, *bnd, *amb};
}

// Each of the five sets compared with its expected mask, in hex.
inline void expect_cap_sets(const CapSets& got, const CapSets& want) {
    EXPECT_EQ(hex_mask(got.effective), hex_mask(want.effective)) << "CapEff";
    EXPECT_EQ(hex_mask(got.permitted), hex_mask(want.permitted)) << "CapPrm";
    EXPECT_EQ(hex_mask(got.inheritable), hex_mask(want.inheritable)) << "CapInh";
    EXPECT_EQ(hex_mask(got.bounding), hex_mask(want.bounding)) << "CapBnd";
    EXPECT_EQ(hex_mask(got.ambient), hex_mask(want.ambient)) << "CapAmb";
}

inline CapSets all_five(std::uint64_t mask) { return {mask, mask, mask, mask, mask}; }

// ---------------------------------------------------------------------------
// /proc/PID/limits

struct LimitPair {
    std::string soft;
    std::string hard;
    friend bool operator==(const LimitPair&, const LimitPair&) = default;
    friend void PrintTo(const LimitPair& pair, std::ostream* os) {
        *os << pair.soft << ":" << pair.hard;
    }
};

// "Max open files            1000                 2000                 files"
// -> {"Max open files": {"1000", "2000"}}. The name ends at the first run of
// two blanks; the header line is skipped.
inline std::map<std::string, LimitPair> parse_proc_limits(std::string_view text) {
    std::map<std::string, LimitPair> limits;
    for (const auto& line : lines_containing(text, "Max ")) {
        std::size_t gap = line.find("  ");
        if (gap == std::string::npos) continue;
        auto words = split_words(std::string_view(line).substr(gap));
        if (words.size() < 2) continue;
        limits[line.substr(0, gap)] = {words[0], words[1]};
    }
    return limits;
}

// ---------------------------------------------------------------------------
// JSON log lines

// A flat JSON object whose values are strings or plain numbers -> {key: value}
// (strings unescaped; \uXXXX decoded for the BMP). nullopt for anything else,
// including trailing bytes: strict enough to catch unescaped quotes or
// control bytes in a message, small enough to read in one go.
inline std::optional<std::map<std::string, std::string>> parse_flat_json_object(std::string_view text) {
    std::size_t at = 0;
    auto skip_blanks = [&] {
        while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
    };
    auto take = [&](char c) {
        skip_blanks();
        if (at < text.size() && text[at] == c) {
            ++at;
            return true;
        }
        return false;
    };
    auto append_utf8 = [](std::string& out, unsigned code) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        }
    };
    auto string_value = [&]() -> std::optional<std::string> {
        if (!take('"')) return std::nullopt;
        std::string value;
        while (at < text.size()) {
            const auto c = static_cast<unsigned char>(text[at++]);
            if (c == '"') return value;
            if (c < 0x20) return std::nullopt;  // control bytes must be escaped
            if (c != '\\') {
                value += static_cast<char>(c);
                continue;
            }
            if (at >= text.size()) return std::nullopt;
            const char escape = text[at++];
            switch (escape) {
                case '"': value += '"'; break;
                case '\\': value += '\\'; break;
                case '/': value += '/'; break;
                case 'b': value += '\b'; break;
                case 'f': value += '\f'; break;
                case 'n': value += '\n'; break;
                case 'r': value += '\r'; break;
                case 't': value += '\t'; break;
                case 'u': {
                    if (at + 4 > text.size()) return std::nullopt;
                    unsigned code = 0;
                    for (int i = 0; i < 4; ++i) {
                        const char h = text[at++];
                        code <<= 4;
                        if (h >= '0' && h <= '9') code |= static_cast<unsigned>(h - '0');
                        else if (h >= 'a' && h <= 'f') code |= static_cast<unsigned>(h - 'a' + 10);
                        else if (h >= 'A' && h <= 'F') code |= static_cast<unsigned>(h - 'A' + 10);
                        else return std::nullopt;
                    }
                    append_utf8(value, code);
                    break;
                }
                default: return std::nullopt;
            }
        }
        return std::nullopt;
    };
    auto number_value = [&]() -> std::optional<std::string> {
        skip_blanks();
        std::size_t start = at;
        if (at < text.size() && text[at] == '-') ++at;
        while (at < text.size() && ((text[at] >= '0' && text[at] <= '9') || text[at] == '.')) ++at;
        if (at == start) return std::nullopt;
        return std::string(text.substr(start, at - start));
    };

    std::map<std::string, std::string> object;
    if (!take('{')) return std::nullopt;
    if (!take('}')) {
        do {
            auto key = string_value();
            if (!key || !take(':')) return std::nullopt;
            skip_blanks();
            auto value = at < text.size() && text[at] == '"' ? string_value() : number_value();
            if (!value || !object.emplace(*key, *value).second) return std::nullopt;
        } while (take(','));
        if (!take('}')) return std::nullopt;
    }
    skip_blanks();
    if (at != text.size()) return std::nullopt;
    return object;
}

// ---------------------------------------------------------------------------
// Scripts and runs

// Shell lines copying `source` (a file of the service, e.g. /proc/$$/status)
// to $OUT/<report> atomically.
inline std::string sh_report(std::string_view source, std::string_view report) {
    return fmt::format("cat {0} > \"$OUT/{1}.tmp\" && mv \"$OUT/{1}.tmp\" \"$OUT/{1}\"\n", source,
                       report);
}

// A run script body: report /proc/$$/status (and optionally more), then stay up.
inline std::string reporting_run(std::string_view report_name) {
    return sh_report("/proc/$$/status", report_name) + "exec sleep 1000\n";
}

// tend's own /proc/PID/status, read on the host, to compare a service with.
inline std::string tend_status(TendProcess& tend) {
    pid_t pid = tend.tend_pid();
    if (pid <= 0) return {};
    return read_file(fmt::format("/proc/{}/status", pid));
}

// Waits until tend's stdout so far contains `needle`.
inline bool wait_for_out(const TendProcess& tend, std::string_view needle, Clock::duration timeout = 10s) {
    return wait_until([&] { return contains(tend.current_out(), needle); }, timeout);
}

// CPU time (user + system) a process has used so far, from /proc/PID/stat;
// nullopt when it is gone.
inline std::optional<std::chrono::milliseconds> cpu_time(pid_t pid) {
    const std::string stat = read_file(fmt::format("/proc/{}/stat", pid));
    // "pid (comm) state ..." : comm may hold blanks, fields count from the last ')'.
    const std::size_t paren = stat.rfind(')');
    if (paren == std::string::npos) return std::nullopt;
    const auto fields = split_words(std::string_view(stat).substr(paren + 1));
    // fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    if (fields.size() < 13) return std::nullopt;
    const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
    const long long ticks = std::stoll(fields[11]) + std::stoll(fields[12]);
    return std::chrono::milliseconds(ticks * 1000 / (ticks_per_second > 0 ? ticks_per_second : 100));
}

// Lines of tend's stderr at error level that mention `needle`.
inline std::vector<std::string> error_lines_about(std::string_view log, std::string_view needle) {
    std::vector<std::string> found;
    for (auto& line : lines_containing(log, needle))
        if (contains(line, "error")) found.push_back(line);
    return found;
}

// Absolute path of a program, or "" when it is not installed.
inline std::string find_program(std::string_view name) {
    for (const char* dir : {"/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
        std::string path = fmt::format("{}/{}", dir, name);
        if (::access(path.c_str(), X_OK) == 0) return path;
    }
    return {};
}

// The order file: services append markers with mark(); tests read it with
// lines_of and compare positions.
// "echo <marker> >> $OUT/order"
inline std::string mark(std::string_view marker) { return fmt::format("echo {} >> \"$OUT/order\"\n", marker); }

// Position of `marker` in the order file's lines, or -1.
inline long position(const std::vector<std::string>& order, std::string_view marker) {
    auto it = std::find(order.begin(), order.end(), marker);
    return it == order.end() ? -1 : static_cast<long>(it - order.begin());
}

// The lines on one line, for a failure message.
inline std::string joined(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) text += line + " ";
    return text;
}

}  // namespace tend::itest::readers
