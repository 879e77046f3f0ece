// execline scripts as execlineb reads them, and what execlineb would exec.
//
// s6 trees hold execline: a oneshot's `up`/`down` (s6-rc runs them with
// `execlineb -P`) and `#!/usr/bin/execlineb -S0` finish scripts. tend carries
// such a script out itself when, and only when, it can build exactly the argv
// and environment execlineb would exec (so its applets are tend's own and no
// execlineb is needed); everything else goes to a real execlineb or is
// refused naming the construct (script_plan decides which).
//
// The reader follows execlineb's lexer byte for byte (checked against
// Debian's execlineb over generated scripts: tests/data/execline/):
//   - words are separated by blanks: space, newline and every control byte
//     1..31; a NUL byte ends the script like the end of the file;
//   - `#` at the start of a word comments out the rest of the line;
//   - a backslash outside quotes takes the next byte literally (`\n` is "n");
//     at the start of a word, backslash-newline is a line continuation;
//   - "double quotes" may sit anywhere in a word; inside them a newline is
//     kept, backslash-newline is dropped, \a \b \t \n \v \f \r are control
//     bytes, \DDD (decimal, 1..3 digits), \0OOO (octal) and \0xHH (hex) are
//     the byte of that value (0 and values above 255 are syntax errors), and
//     any other escaped byte is itself; single quotes are ordinary bytes;
//   - a word that is exactly `{` opens a block and `}` closes it; a block's
//     words are written with one leading space per nesting level and end with
//     an empty (or shorter) word, which is how execline programs find them.
// `$` means nothing to the reader: with -P execlineb passes `$HOME` on as
// those five bytes; with -S/-s it substitutes positional parameters ($1,
// ${1}, $@, $#, $0), which tend leaves to execlineb.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tend::s6 {

struct ExeclineScript {
    std::vector<std::string> argv;     // empty: the script does nothing and succeeds
    bool has_block = false;            // a `{ ... }` block was opened
    bool has_dollar = false;           // some word holds a `$` (matters only with -S/-s)
    std::optional<std::string> error;  // execlineb's words: "unmatched {", "unmatched }", "syntax error"
};

// The whole file, shebang line included (for execlineb a comment). Pure.
ExeclineScript parse_execline(std::string_view script);

// execlineb's options as a shebang gives them (one argument, as the kernel
// passes the rest of the `#!` line) or as s6-rc does (-P).
struct ExeclinebOptions {
    enum class Positional {
        PushAndRename,  // no option: # 0 1.. set, older ones renamed (#:1 ...)
        Push,           // -p: # 0 1.. set in the environment
        None,           // -P
        Substitute,     // -S nmin: $1 ${1} $@ $# $0 substituted in the words
        SubstituteShift,  // -s nmin
    };
    Positional positional = Positional::PushAndRename;
    unsigned nmin = 0;
    std::optional<int> strict;  // -q 0, -w 1, -W 2: exported as EXECLINE_STRICT
};

// `args` are execlineb's arguments before the script (from a shebang: zero
// or one). The error names what execlineb would reject.
std::optional<ExeclinebOptions> parse_execlineb_options(const std::vector<std::string>& args, std::string* error);

// What execlineb would exec for `script` (its path) with `args`: the argv
// and the variables it sets or unsets in the environment, or why tend cannot
// produce exactly that itself (then a real execlineb must run it).
struct ExeclineExec {
    std::vector<std::string> argv;  // empty: exit 0 at once
    std::vector<std::pair<std::string, std::optional<std::string>>> env;  // set (value) or unset (nullopt)
};
struct ExeclineDecision {
    std::optional<ExeclineExec> exec;  // tend can do it
    std::string needs_execlineb;       // else: the construct, for messages
};
// `environment` is the environment the script would start with ("NAME=value").
ExeclineDecision carry_out_execline(const ExeclineScript& parsed, const ExeclinebOptions& options,
                                    const std::string& script, const std::vector<std::string>& args,
                                    const std::vector<std::string>& environment);

}  // namespace tend::s6
