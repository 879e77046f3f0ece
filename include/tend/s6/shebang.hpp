// Reading a script's `#!` line the way the kernel does, and the s6-overlay
// interpreters tend stands in for.
//
// s6-overlay scripts start with `#!/usr/bin/with-contenv sh` (v2),
// `#!/command/with-contenv bash` (v3) or `#!/usr/bin/execlineb -S0`. Images
// that switch to tend may have none of these programs, so tend recognises the
// forms itself when it starts run, finish and cont-init files
// (docs/s6-overlay.md). Everything here is pure: no file access.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tend::s6 {

// `#!INTERPRETER [ARGUMENT]` as the kernel splits it: the interpreter is the
// first blank-separated word, the rest of the line (trimmed) is one optional
// argument. `words` splits that argument on blanks as well, which is what
// with-contenv does with it (`with-contenv /bin/bash -e`).
struct Shebang {
    std::string interpreter;
    std::optional<std::string> argument;
    std::vector<std::string> words;  // the argument split on blanks
};

// The first line of a file (without '\n'), or nothing when it does not start
// with "#!" or names no interpreter. A '\r' before the newline is dropped.
std::optional<Shebang> parse_shebang(std::string_view first_bytes);

enum class InterpreterKind { Other, WithContenv, Execlineb };

// By basename: `/usr/bin/with-contenv`, `/command/with-contenv`, a bare
// `with-contenv`; likewise `execlineb`.
InterpreterKind classify_interpreter(std::string_view interpreter);

// The script's text after its first line.
std::string_view after_first_line(std::string_view content);

}  // namespace tend::s6
