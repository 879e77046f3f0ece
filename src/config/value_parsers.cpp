// Parsers for the one-value files of a service dir: capabilities, limits,
// umask and millisecond timeouts.
//
// Each is strict: anything that is not exactly the documented syntax is an
// error with a reason, because a silently misread limit or capability set is
// a security or availability problem that shows up much later.
#include <cap-ng.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <new>
#include <string>
#include <string_view>

#include "tend/config/file_reader.hpp"
#include "tend/config/service_config.hpp"

namespace tend::config {
namespace {

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), to_lower);
    return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && (is_blank(text.front()) || text.front() == '\n')) text.remove_prefix(1);
    while (!text.empty() && (is_blank(text.back()) || text.back() == '\n')) text.remove_suffix(1);
    return text;
}

// Splits on any character for which `is_separator` is true; drops empty pieces.
template <typename Predicate>
std::vector<std::string_view> split(std::string_view text, Predicate is_separator) {
    std::vector<std::string_view> pieces;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || is_separator(text[i])) {
            if (i > start) pieces.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    return pieces;
}

// Decimal digits only (no sign, no blanks), at most `max`.
std::expected<std::uint64_t, std::string> parse_decimal(std::string_view text, std::uint64_t max) {
    if (text.empty()) return std::unexpected(std::string("empty number"));
    std::uint64_t value = 0;
    for (char c : text) {
        if (!is_digit(c)) return std::unexpected("'" + std::string(text) + "' is not a decimal number");
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (max - digit) / 10) return std::unexpected("'" + std::string(text) + "' is too large");
        value = value * 10 + digit;
    }
    return value;
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

// --- capabilities ----------------------------------------------------------

std::expected<std::uint64_t, std::string> parse_capabilities_unguarded(std::string_view text) {
    std::uint64_t mask = 0;
    for (const std::string& line : meaningful_lines(std::string(text))) {
        const auto names = split(line, [](char c) { return is_blank(c) || c == ','; });
        for (std::string_view written : names) {
            std::string name = lower(written);
            if (name.starts_with("cap_")) name.erase(0, 4);
            // libcap-ng knows the names of the kernel it was built for; a
            // number is deliberately not accepted (unreadable in a review).
            const int capability =
                name.empty() || is_digit(name.front()) ? -1 : capng_name_to_capability(name.c_str());
            if (capability < 0) return std::unexpected("unknown capability " + in_quotes(written));
            if (capability >= 64) return std::unexpected("capability " + in_quotes(written) + " is out of range");
            mask |= std::uint64_t{1} << capability;
        }
    }
    return mask;
}

// --- limits ----------------------------------------------------------------

struct LimitName {
    std::string_view name;
    int resource;
};

constexpr LimitName kLimitNames[] = {
    {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC},     {"core", RLIMIT_CORE},
    {"as", RLIMIT_AS},         {"fsize", RLIMIT_FSIZE},     {"memlock", RLIMIT_MEMLOCK},
    {"stack", RLIMIT_STACK},   {"cpu", RLIMIT_CPU},
};

std::expected<rlim_t, std::string> parse_limit_value(std::string_view text) {
    const std::string lowered = lower(text);
    if (lowered == "unlimited" || lowered == "infinity") return RLIM_INFINITY;
    if (text.empty()) return std::unexpected(std::string("empty value"));

    std::uint64_t multiplier = 1;
    std::string_view digits = text;
    switch (to_lower(text.back())) {
        case 'k': multiplier = 1024ULL; break;
        case 'm': multiplier = 1024ULL * 1024; break;
        case 'g': multiplier = 1024ULL * 1024 * 1024; break;
        default: break;
    }
    if (multiplier != 1) digits.remove_suffix(1);
    if (digits.empty()) return std::unexpected("value " + in_quotes(text) + " has no number");

    // RLIM_INFINITY is itself a number (all ones): a finite value must stay below it.
    const std::uint64_t max_finite = static_cast<std::uint64_t>(RLIM_INFINITY) - 1;
    if (!std::all_of(digits.begin(), digits.end(), is_digit)) {
        return std::unexpected("value " + in_quotes(text) +
                               " is not a number (optionally with K, M or G), 'unlimited' or 'infinity'");
    }
    const auto number = parse_decimal(digits, max_finite);
    if (!number) return std::unexpected("value " + in_quotes(text) + " is too large");
    if (*number > max_finite / multiplier) return std::unexpected("value " + in_quotes(text) + " is too large");
    return static_cast<rlim_t>(*number * multiplier);
}

std::expected<std::vector<ResourceLimit>, std::string> parse_limits_unguarded(std::string_view text) {
    std::vector<ResourceLimit> limits;
    std::size_t line_number = 0;
    std::string_view rest = text;
    while (!rest.empty()) {
        ++line_number;
        const auto newline = rest.find('\n');
        const std::string_view line = trim(rest.substr(0, newline));
        rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
        if (line.empty() || line.front() == '#') continue;

        const std::string where = "line " + std::to_string(line_number) + ": ";
        const auto fields = split(line, is_blank);
        if (fields.size() != 2) {
            return std::unexpected(where + "expected 'NAME VALUE' or 'NAME SOFT:HARD', got " + in_quotes(line));
        }
        const std::string name = lower(fields[0]);
        const auto known = std::find_if(std::begin(kLimitNames), std::end(kLimitNames),
                                        [&](const LimitName& entry) { return entry.name == name; });
        if (known == std::end(kLimitNames)) {
            return std::unexpected(where + "unknown limit " + in_quotes(fields[0]) +
                                   " (known: nofile nproc core as fsize memlock stack cpu)");
        }
        const bool duplicate = std::any_of(limits.begin(), limits.end(),
                                           [&](const ResourceLimit& l) { return l.resource == known->resource; });
        if (duplicate) return std::unexpected(where + "limit " + in_quotes(name) + " is set twice");

        ResourceLimit limit;
        limit.resource = known->resource;
        limit.name = name;
        const std::string_view value = fields[1];
        const auto colon = value.find(':');
        if (colon == std::string_view::npos) {
            const auto both = parse_limit_value(value);
            if (!both) return std::unexpected(where + name + ": " + both.error());
            limit.soft = limit.hard = *both;
        } else {
            const auto soft = parse_limit_value(value.substr(0, colon));
            if (!soft) return std::unexpected(where + name + " soft: " + soft.error());
            const auto hard = parse_limit_value(value.substr(colon + 1));
            if (!hard) return std::unexpected(where + name + " hard: " + hard.error());
            // RLIM_INFINITY is the largest rlim_t, so an unlimited hard value
            // passes this comparison and an unlimited soft one over a finite
            // hard one fails it, as setrlimit would.
            if (*soft > *hard) {
                return std::unexpected(where + name + ": soft value " + in_quotes(value.substr(0, colon)) +
                                       " is above hard value " + in_quotes(value.substr(colon + 1)));
            }
            limit.soft = *soft;
            limit.hard = *hard;
        }
        limits.push_back(std::move(limit));
    }
    return limits;
}

template <typename Function>
auto guarded(Function function) -> decltype(function()) {
    try {
        return function();
    } catch (const std::bad_alloc&) {
        return std::unexpected(std::string("out of memory"));
    } catch (...) {
        return std::unexpected(std::string("unexpected error"));
    }
}

}  // namespace

std::expected<std::uint64_t, std::string> parse_capabilities(std::string_view text) {
    return guarded([&] { return parse_capabilities_unguarded(text); });
}

std::expected<std::vector<ResourceLimit>, std::string> parse_limits(std::string_view text) {
    return guarded([&] { return parse_limits_unguarded(text); });
}

std::expected<mode_t, std::string> parse_umask(std::string_view text) {
    return guarded([&]() -> std::expected<mode_t, std::string> {
        const std::string_view value = trim(text);
        const bool octal = std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '7'; });
        if (value.size() < 3 || value.size() > 4 || !octal) {
            return std::unexpected("umask " + in_quotes(value) + " is not 3 or 4 octal digits (e.g. 022 or 0027)");
        }
        mode_t mask = 0;
        for (char c : value) mask = static_cast<mode_t>(mask * 8 + static_cast<mode_t>(c - '0'));
        // The kernel ignores bits above 0777; a leading 1-7 is almost
        // certainly a typo, not an intent.
        if (mask > 0777) return std::unexpected("umask " + in_quotes(value) + " is above 0777");
        return mask;
    });
}

}  // namespace tend::config
