// The small text helpers every parser uses, in one copy.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace tend::config {

// ASCII decimal digits only (no locale, no sign).
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Non-empty and decimal digits only: no sign, no blanks, no hex.
inline bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

// 'text', as messages quote what the user wrote.
inline std::string in_quotes(std::string_view text) {
    std::string result = "'";
    result.append(text);
    result += '\'';
    return result;
}

}  // namespace tend::config
