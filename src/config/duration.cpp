#include "tend/config/duration.hpp"

#include <cstdio>

#include <array>
#include <cstdint>

namespace tend::config {
namespace {

struct Unit {
    std::string_view suffix;
    std::int64_t milliseconds;
};

// "ms" before "m" and "s": the longest suffix that matches wins.
constexpr std::array<Unit, 4> kUnits{{{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}}};

std::string with_forms(std::string_view reason) {
    std::string out(reason);
    out += "; ";
    out += kDurationForms;
    return out;
}

}  // namespace

std::expected<std::chrono::milliseconds, std::string> parse_duration(std::string_view text) {
    if (text.empty()) return std::unexpected(with_forms("empty"));

    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0) return std::unexpected(with_forms("not a duration"));

    const std::string_view suffix = text.substr(digits);
    std::int64_t unit = 1;  // a bare number is milliseconds (s6)
    if (!suffix.empty()) {
        unit = 0;
        for (const Unit& known : kUnits) {
            if (suffix == known.suffix) unit = known.milliseconds;
        }
        if (unit == 0) return std::unexpected(with_forms("not a duration"));
    }

    // Stop as soon as the value passes the limit: no overflow on long inputs.
    const std::int64_t limit = kMaxDuration.count();
    std::int64_t value = 0;
    for (char c : text.substr(0, digits)) {
        value = value * 10 + (c - '0');
        if (value * unit > limit) return std::unexpected(std::string("more than 24h"));
    }
    return std::chrono::milliseconds(value * unit);
}

std::string describe_duration(std::chrono::milliseconds duration) {
    const std::int64_t ms = duration.count();
    if (ms == 0) return "0";
    if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + " h";
    if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + " min";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
    return std::to_string(ms) + " ms";
}

std::string human_duration(std::chrono::milliseconds duration) {
    long long ms = duration.count();
    if (ms < 0) ms = 0;
    auto two = [](long long big, const char* big_unit, long long small, const char* small_unit) {
        return std::to_string(big) + " " + big_unit + " " + std::to_string(small) + " " + small_unit;
    };
    if (ms < 1000) return std::to_string(ms) + " ms";
    if (ms < 60'000) {
        char text[16];
        std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms) / 1000.0);
        return text;
    }
    const long long s = ms / 1000;
    if (s < 3600) return two(s / 60, "min", s % 60, "s");
    if (s < 86400) return two(s / 3600, "h", s % 3600 / 60, "min");
    return two(s / 86400, "d", s % 86400 / 3600, "h");
}

}  // namespace tend::config
