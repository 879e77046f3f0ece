#!/usr/bin/env python3
"""Differential test data for tend's execline reader: asks a real execlineb.

Generates random execline scripts biased towards the lexer's corners (quotes,
escapes, numeric escapes, braces, comments, NUL and control bytes, `$`), runs
each with the real `execlineb` exec'ing a tiny argv/env printer, and writes
one line per script with what execlineb did:

    MODE HEXBODY ANSWER

MODE  P  the file is "PRINTER " + body, run with `execlineb -P`;
         ANSWER is `words N:HEX,HEX,...` (the N words after the printer) or
         `error WHAT` (execlineb's message, blanks as '-').
      N  the file is the body alone (no printer), run with `execlineb -P`
         and PATH pointing nowhere: ANSWER is `empty` (exit 0, nothing run),
         `nonempty` (it tried to exec a first word) or `error WHAT`.
      S  as P with `execlineb -S0 FILE one two`: the argv after substitution.
      p  as P with `execlineb -p FILE one two`: ANSWER adds ` env HEX,...`,
         the variables #, 0, 1, 2, 3 as NAME=VALUE (0's value is SCRIPT).

The committed answers (execlineb-answers.txt) are checked by the unit test
ExeclineOracle.* without any execlineb. To look for new disagreements, write
a fresh file with another seed and point the unit test at it:

    tests/data/execline/generate.py --seed 7 --count 3000 > /tmp/answers.txt
    TEND_EXECLINE_ANSWERS=/tmp/answers.txt build/tend_unit_tests --gtest_filter='ExeclineOracle.*'

Needs: execlineb (Debian package execline), a C compiler.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

PRINTER_C = r"""
#include <stdio.h>
#include <stdlib.h>
static void hex(const char *s) { for (; *s; s++) printf("%02x", (unsigned char)*s); }
int main(int argc, char **argv) {
    printf("words %d:", argc - 1);
    for (int i = 1; i < argc; i++) { if (i > 1) putchar(','); hex(argv[i]); }
    if (getenv("TEND_PRINT_ENV")) {
        static const char *names[] = {"#", "0", "1", "2", "3"};
        int first = 1;
        printf(" env ");
        for (int i = 0; i < 5; i++) {
            const char *v = getenv(names[i]);
            if (!v) continue;
            if (!first) putchar(',');
            first = 0;
            hex(names[i]); printf("3d");
            if (i == 1) hex("SCRIPT"); else hex(v);
        }
    }
    putchar('\n');
    return 0;
}
"""

# Pieces a script is made of, weighted towards what the lexer treats specially.
PIECES = (
    [" ", " ", "\t", "\n", "\n", "\r", "\x01", "\x1f", "\x00", "\x7f", "\x80", "\xff"]
    + ["#", "#", '"', "\\", "\\", "\\", "{", "{", "}", "}", "'", "$", "${", "@"]
    + ["0", "1", "7", "8", "9", "x", "a", "b", "f", "n", "r", "t", "v", "c", "E", "F", "G", "z", "q"]
    + ["word", "ab", "x41", "\\0x41", "\\0x4", "\\101", "\\0101", "\\0", "\\00", "\\999", "\\255",
       "\\256", "\\0377", "\\0400", "\\0xff", "\\0xFF", "\\0x0g", '"a b"', "{ ", " }", " { x } ", "\\\n", '\\"']
)


# Inside double quotes: where the escapes mean something.
QUOTED = (
    ["\\0x41", "\\0x4", "\\0xff", "\\0xFf", "\\0xg", "\\0x", "\\101", "\\1", "\\12", "\\255", "\\256",
     "\\999", "\\0101", "\\0377", "\\0400", "\\08", "\\00", "\\0", "\\a", "\\b", "\\t", "\\n", "\\v",
     "\\f", "\\r", "\\x", "\\q", "\\\\", '\\"', "\\\n", "\\ ", "\\#", "\\{", "\\$"]
    + [" ", "\n", "\t", "#", "{", "}", "'", "$", "$1", "${1}", "$@", "0", "7", "8", "9", "a", "F", "x", "z"]
)


def random_quoted(rng):
    inner = "".join(rng.choice(QUOTED) for _ in range(rng.choice([0, 1, 2, 3, 5])))
    return '"' + inner + ('"' if rng.random() < 0.93 else "")


def random_body(rng):
    n = rng.choice([0, 1, 2, 3, 5, 8, 12, 20, 30])
    out = []
    for _ in range(n):
        out.append(random_quoted(rng) if rng.random() < 0.25 else rng.choice(PIECES))
    return "".join(out).encode("latin-1")


def answer(proc):
    if proc.returncode == 0 and proc.stdout.startswith(b"words"):
        return proc.stdout.decode().strip()
    err = proc.stderr.decode("latin-1")
    for what in ("unmatched }", "unmatched {", "syntax error"):
        if what in err:
            return "error " + what.replace(" ", "-")
    if proc.returncode == 0 and not proc.stdout:
        return "empty"
    if "unable to exec" in err:
        return "nonempty"
    raise SystemExit("unexpected execlineb result: rc=%d out=%r err=%r" % (proc.returncode, proc.stdout, err))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--execlineb", default="/usr/lib/execline/bin/execlineb")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "execline"],
                             capture_output=True, text=True).stdout or "unknown"
    with tempfile.TemporaryDirectory() as tmp:
        printer = os.path.join(tmp, "printer")
        with open(printer + ".c", "w") as f:
            f.write(PRINTER_C)
        subprocess.run(["cc", "-O", "-o", printer, printer + ".c"], check=True)
        script = os.path.join(tmp, "script")
        print("# execlineb's answers (execline %s), made by generate.py --seed %d --count %d"
              % (version, args.seed, args.count))
        fixed = [b"", b"# only a comment\n", b"# This file doesn't do anything\n# another\n", b"\n\n  \t\n",
                 b"#!/usr/bin/execlineb -P\n", b"\\\n", b"{\n}\n", b"}"]
        cases = [("N", body) for body in fixed]
        for i in range(args.count):
            body = random_body(rng)
            mode = rng.choice("PPPPPPNNSp")
            cases.append((mode, body))
        for mode, body in cases:
            env = {"PATH": "/nonexistent"}
            if mode == "N":
                content, argv = body, [args.execlineb, "-P", script]
            else:
                content = printer.encode() + b" " + body
                flag = {"P": ["-P"], "S": ["-S0"], "p": ["-p"]}[mode]
                argv = [args.execlineb] + flag + [script] + ([] if mode == "P" else ["one", "two"])
                if mode == "p":
                    env["TEND_PRINT_ENV"] = "1"
            with open(script, "wb") as f:
                f.write(content)
            proc = subprocess.run(argv, env=env, capture_output=True, timeout=10)
            print("%s %s %s" % (mode, body.hex() or "-", answer(proc)))


if __name__ == "__main__":
    sys.exit(main())
