#include "tend/s6/execline.hpp"

#include <cstdint>

namespace tend::s6 {
namespace {

// The byte classes execlineb's lexer tells apart.
enum class Class {
    End,        // NUL, or the end of the file
    Blank,      // space and control bytes other than newline
    Hash,       // #
    Quote,      // "
    Newline,
    Backslash,
    Plain,
    ControlLetterHex,  // a b f: control-byte escapes that are also hex digits
    OctalDigit,        // 1..7
    DecimalOnly,       // 8 9
    Zero,              // 0
    ControlLetter,     // n r t v
    LetterX,           // x
    HexLetter,         // A-F c d e
    OpenBrace,
    CloseBrace,
};

Class classify(unsigned char c) {
    switch (c) {
        case 0: return Class::End;
        case '\n': return Class::Newline;
        case '#': return Class::Hash;
        case '"': return Class::Quote;
        case '\\': return Class::Backslash;
        case '{': return Class::OpenBrace;
        case '}': return Class::CloseBrace;
        case 'a': case 'b': case 'f': return Class::ControlLetterHex;
        case '0': return Class::Zero;
        case '8': case '9': return Class::DecimalOnly;
        case 'n': case 'r': case 't': case 'v': return Class::ControlLetter;
        case 'x': return Class::LetterX;
        case 'A': case 'B': case 'C': case 'D': case 'E': case 'F': case 'c': case 'd': case 'e':
            return Class::HexLetter;
        default: break;
    }
    if (c >= '1' && c <= '7') return Class::OctalDigit;
    if (c <= ' ') return Class::Blank;
    return Class::Plain;
}

bool is_hex(Class k) {
    return k == Class::ControlLetterHex || k == Class::OctalDigit || k == Class::DecimalOnly || k == Class::Zero ||
           k == Class::HexLetter;
}
bool is_decimal(Class k) { return k == Class::OctalDigit || k == Class::DecimalOnly || k == Class::Zero; }
bool is_octal(Class k) { return k == Class::OctalDigit || k == Class::Zero; }

char control_byte(unsigned char letter) {
    switch (letter) {
        case 'a': return '\a';
        case 'b': return '\b';
        case 't': return '\t';
        case 'n': return '\n';
        case 'v': return '\v';
        case 'f': return '\f';
        default: return '\r';
    }
}

enum class State {
    Between,         // between words
    Comment,
    AfterOpen,       // read `{` at a word's start
    AfterClose,      // read `}` at a word's start
    Word,
    EscapeAtStart,   // backslash at a word's start
    EscapeInWord,    // backslash inside a word, outside quotes
    Quoted,
    EscapeInQuote,
    AfterZero,       // "\0": octal or \0x follows
    Number,          // digits of \DDD, \0OOO, \0xHH
    AfterZeroX,      // "\0x": a hex digit must follow
};

// The lexer works like execlineb's: one buffer of NUL-terminated words, in
// which a word under construction may be cut back (block markers) or a
// numeric escape folded into its byte.
class Lexer {
public:
    explicit Lexer(std::string_view text) : text_(text) {}

    ExeclineScript run() {
        ExeclineScript result;
        for (std::size_t i = 0;; ++i) {
            const unsigned char c = i < text_.size() ? static_cast<unsigned char>(text_[i]) : 0;
            if (!step(c, classify(c))) break;
        }
        if (error_) {
            result.error = error_;
            return result;
        }
        if (levels_ != 0) {
            result.error = "unmatched {";
            return result;
        }
        result.has_block = opened_block_;
        std::size_t start = 0;
        for (std::size_t word = 0; word < words_; ++word) {
            std::size_t end = buffer_.find('\0', start);
            result.argv.push_back(buffer_.substr(start, end - start));
            if (result.argv.back().find('$') != std::string::npos) result.has_dollar = true;
            start = end + 1;
        }
        return result;
    }

private:
    // False when the script ends (done or error_ set).
    bool step(unsigned char c, Class k) {
        switch (state_) {
            case State::Between:
                switch (k) {
                    case Class::End: return false;
                    case Class::Blank: case Class::Newline: return true;
                    case Class::Hash: state_ = State::Comment; return true;
                    case Class::Quote: indent(); state_ = State::Quoted; return true;
                    case Class::Backslash: state_ = State::EscapeAtStart; return true;
                    case Class::OpenBrace: indent(); append(c); state_ = State::AfterOpen; return true;
                    case Class::CloseBrace: indent(); append(c); state_ = State::AfterClose; return true;
                    default: indent(); append(c); state_ = State::Word; return true;
                }
            case State::Comment:
                if (k == Class::End) return false;
                if (k == Class::Newline) state_ = State::Between;
                return true;
            case State::AfterOpen:
                switch (k) {
                    case Class::End: return fail("syntax error");
                    case Class::Blank: case Class::Newline:
                        // The word was the indentation and `{`: it becomes a level.
                        ++levels_;
                        buffer_.resize(buffer_.size() - levels_);
                        opened_block_ = true;
                        state_ = State::Between;
                        return true;
                    case Class::Quote: state_ = State::Quoted; return true;
                    case Class::Backslash: state_ = State::EscapeAtStart; return true;
                    default: append(c); state_ = State::Word; return true;
                }
            case State::AfterClose:
                switch (k) {
                    case Class::End: case Class::Blank: case Class::Newline:
                        // `}` and one space go: the block's end marker is the
                        // outer level's indentation alone.
                        if (levels_ == 0) return fail("unmatched }");
                        --levels_;
                        buffer_.resize(buffer_.size() - 2);
                        end_word();
                        state_ = State::Between;
                        return k != Class::End;
                    case Class::Quote: state_ = State::Quoted; return true;
                    case Class::Backslash: state_ = State::EscapeAtStart; return true;
                    default: append(c); state_ = State::Word; return true;
                }
            case State::Word:
                switch (k) {
                    case Class::End: end_word(); return false;
                    case Class::Blank: case Class::Newline: end_word(); state_ = State::Between; return true;
                    case Class::Quote: state_ = State::Quoted; return true;
                    case Class::Backslash: state_ = State::EscapeInWord; return true;
                    default: append(c); return true;
                }
            case State::EscapeAtStart:
                // execlineb indents here again, even after a `{` or `}`
                // already started the word; a trailing backslash is dropped.
                if (k == Class::End) return false;
                if (k == Class::Newline) {
                    state_ = State::Between;
                    return true;
                }
                indent();
                append(c);
                state_ = State::Word;
                return true;
            case State::EscapeInWord:
                if (k == Class::End) return fail("syntax error");
                append(c);
                state_ = State::Word;
                return true;
            case State::Quoted:
                switch (k) {
                    case Class::End: return fail("syntax error");
                    case Class::Quote: state_ = State::Word; return true;
                    case Class::Backslash: state_ = State::EscapeInQuote; return true;
                    default: append(c); return true;
                }
            case State::EscapeInQuote:
                switch (k) {
                    case Class::End: return fail("syntax error");
                    case Class::Newline: state_ = State::Quoted; return true;
                    case Class::ControlLetterHex: case Class::ControlLetter:
                        buffer_.push_back(control_byte(c));
                        state_ = State::Quoted;
                        return true;
                    case Class::OctalDigit: case Class::DecimalOnly:
                        start_number(10, 3);
                        append(c);
                        state_ = State::Number;
                        return true;
                    case Class::Zero: state_ = State::AfterZero; return true;
                    default: append(c); state_ = State::Quoted; return true;
                }
            case State::AfterZero:
                if (is_octal(k)) {
                    start_number(8, 3);
                    append(c);
                    state_ = State::Number;
                    return true;
                }
                if (k == Class::LetterX) {
                    state_ = State::AfterZeroX;
                    return true;
                }
                return fail("syntax error");
            case State::AfterZeroX:
                if (!is_hex(k)) return fail("syntax error");
                start_number(16, 2);
                append(c);
                state_ = State::Number;
                return true;
            case State::Number: {
                const bool digit = base_ == 8 ? is_octal(k) : base_ == 10 ? is_decimal(k) : is_hex(k);
                if (digit && digits_ < max_digits_) {
                    append(c);
                    ++digits_;
                    return true;
                }
                if (!fold_number()) return fail("syntax error");
                // The byte after the number is read as inside the quotes.
                switch (k) {
                    case Class::End: end_word(); return false;
                    case Class::Quote: state_ = State::Word; return true;
                    case Class::Backslash: state_ = State::EscapeInQuote; return true;
                    default: append(c); state_ = State::Quoted; return true;
                }
            }
        }
        return false;
    }

    void indent() { buffer_.append(levels_, ' '); }
    void append(unsigned char c) { buffer_.push_back(static_cast<char>(c)); }
    void end_word() {
        buffer_.push_back('\0');
        ++words_;
    }
    bool fail(const char* what) {
        error_ = what;
        return false;
    }
    void start_number(int base, int max_digits) {
        mark_ = buffer_.size();
        base_ = base;
        digits_ = 1;
        max_digits_ = max_digits;
    }
    // The digits since mark_ become one byte; 0 and values above 255 are errors.
    bool fold_number() {
        std::uint64_t value = 0;
        for (std::size_t i = mark_; i < buffer_.size(); ++i) {
            const char d = buffer_[i];
            const int v = d >= '0' && d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10;
            value = value * static_cast<std::uint64_t>(base_) + static_cast<std::uint64_t>(v);
        }
        if (value == 0 || value > 0xff) return false;
        buffer_.resize(mark_);
        buffer_.push_back(static_cast<char>(value));
        return true;
    }

    std::string_view text_;
    std::string buffer_;
    std::size_t words_ = 0;
    std::size_t levels_ = 0;
    bool opened_block_ = false;
    State state_ = State::Between;
    std::size_t mark_ = 0;
    int base_ = 10;
    int digits_ = 0;
    int max_digits_ = 3;
    std::optional<std::string> error_;
};

bool parse_unsigned(std::string_view text, unsigned& out) {
    if (text.empty() || text.size() > 9) return false;
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    out = value;
    return true;
}

std::optional<std::string> value_in(const std::vector<std::string>& environment, std::string_view name) {
    for (const auto& entry : environment)
        if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=')
            return entry.substr(name.size() + 1);
    return std::nullopt;
}

}  // namespace

ExeclineScript parse_execline(std::string_view script) { return Lexer(script).run(); }

std::optional<ExeclinebOptions> parse_execlineb_options(const std::vector<std::string>& args, std::string* error) {
    ExeclinebOptions options;
    auto refuse = [&](std::string why) -> std::optional<ExeclinebOptions> {
        if (error) *error = std::move(why);
        return std::nullopt;
    };
    for (std::size_t a = 0; a < args.size(); ++a) {
        const std::string& arg = args[a];
        if (arg == "--") {
            if (a + 1 != args.size()) return refuse("arguments after -- before the script");
            break;
        }
        if (arg.size() < 2 || arg[0] != '-') return refuse("'" + arg + "' is not an option");
        for (std::size_t i = 1; i < arg.size(); ++i) {
            switch (arg[i]) {
                case 'p': options.positional = ExeclinebOptions::Positional::Push; break;
                case 'P': options.positional = ExeclinebOptions::Positional::None; break;
                case 'q': options.strict = 0; break;
                case 'w': options.strict = 1; break;
                case 'W': options.strict = 2; break;
                case 'e': break;
                case 'S':
                case 's': {
                    // The number is the rest of this argument, else the next one.
                    std::string_view number = std::string_view(arg).substr(i + 1);
                    if (number.empty()) {
                        if (a + 1 >= args.size()) return refuse(std::string("-") + arg[i] + " without a number");
                        number = args[++a];
                    }
                    if (!parse_unsigned(number, options.nmin))
                        return refuse(std::string("-") + arg[i] + " needs a number, not '" + std::string(number) + "'");
                    options.positional = arg[i] == 'S' ? ExeclinebOptions::Positional::Substitute
                                                       : ExeclinebOptions::Positional::SubstituteShift;
                    i = arg.size();
                    break;
                }
                case 'c': return refuse("-c (a command line instead of the script)");
                default: return refuse(std::string("unknown option -") + arg[i]);
            }
        }
    }
    return options;
}

ExeclineDecision carry_out_execline(const ExeclineScript& parsed, const ExeclinebOptions& options,
                                    const std::string& script, const std::vector<std::string>& args,
                                    const std::vector<std::string>& environment) {
    ExeclineDecision decision;
    if (parsed.error) {
        decision.needs_execlineb = "a syntax execlineb rejects (" + *parsed.error + ")";
        return decision;
    }
    if (parsed.has_block) {
        decision.needs_execlineb = "a { } block (execline's own programs run it)";
        return decision;
    }
    ExeclineExec exec;
    using P = ExeclinebOptions::Positional;
    // EXECLINE_STRICT: set from -q/-w/-W, else execlineb checks the one it got.
    std::optional<int> strict = options.strict;
    if (strict) {
        exec.env.emplace_back("EXECLINE_STRICT",
                              *strict ? std::optional<std::string>(std::to_string(*strict)) : std::nullopt);
    } else if (auto inherited = value_in(environment, "EXECLINE_STRICT")) {
        unsigned value = 0;
        if (!parse_unsigned(*inherited, value)) {
            decision.needs_execlineb = "an EXECLINE_STRICT value that is not a number";
            return decision;
        }
        strict = static_cast<int>(value);
    }
    switch (options.positional) {
        case P::None: break;
        case P::Substitute:
        case P::SubstituteShift:
            if (parsed.has_dollar) {
                decision.needs_execlineb = "positional parameters ($) with -S/-s";
                return decision;
            }
            if (args.size() < options.nmin && strict.value_or(-1) != 0) {
                decision.needs_execlineb = "fewer arguments than -S/-s asks for";
                return decision;
            }
            break;
        case P::PushAndRename:
            for (const auto& entry : environment)
                if (!entry.empty() && (entry[0] == '#' || (entry[0] >= '0' && entry[0] <= '9'))) {
                    decision.needs_execlineb = "positional variables already in the environment (" +
                                               entry.substr(0, entry.find('=')) + ")";
                    return decision;
                }
            [[fallthrough]];
        case P::Push:
            exec.env.emplace_back("#", std::to_string(args.size()));
            exec.env.emplace_back("0", script);
            for (std::size_t i = 0; i < args.size(); ++i) exec.env.emplace_back(std::to_string(i + 1), args[i]);
            break;
    }
    exec.argv = parsed.argv;
    if (exec.argv.empty()) exec.env.clear();  // execlineb exits 0 before it touches anything
    decision.exec = std::move(exec);
    return decision;
}

}  // namespace tend::s6
