#!/usr/bin/env python3
r"""Differential test data for tend's s6-log applet: asks Debian's s6-log.

Generates logging scripts (selection `+re`/`-re`/`f`, `nN`, `sN`, `t`, `T`,
actions `1` and logdirs) and inputs, runs the real `s6-log` on each in a
fresh directory, feeding the input in chunks (each one write of at most
4096 bytes, the next written only once s6-log has read the last, so every
read of s6-log is one chunk), and writes what it did:

    case N
    script HEX,HEX,...        the directives (argv after `--`)
    chunk TEXT                one per write to s6-log's stdin
    exit CODE
    stdout TEXT               timestamps written as @TAI64N and ISO8601
    stderr TEXT               its messages, and the lines of `2` (normalised)
    file NAME MODE TEXT       each file of each logdir (d1/current ...),
                              archived files renamed @1.s, @2.s ... oldest
                              first; contents normalised as stdout
    end

TEXT is the bytes with `\\` for a backslash, `\n` for a newline and `\xHH`
for any other byte outside printable ASCII.

The committed answers (s6-log-answers.txt) are checked by the unit test
S6LogOracle.* without any s6-log: it feeds the same chunks to tend's logger
(one feed per chunk) and compares, timestamps by their format only.

    tests/data/s6-log/generate.py --seed 1 --count 80 > tests/data/s6-log/s6-log-answers.txt

Needs: s6-log (Debian package s6).
"""
import argparse
import fcntl
import os
import random
import re
import select
import shutil
import subprocess
import sys
import tempfile
import termios
import time

TAI = re.compile(rb"@[0-9a-f]{24}")
ISO = re.compile(rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}")
ARCHIVE = re.compile(r"^@[0-9a-f]{24}\.[su]$")

REGEXES = ["a", "^b", "(al|ga)", "ma$", "[0-9]", "x{2}", "^$", "o+p", "\\.", "[[:upper:]]", "e|z"]
WORDS = ["alpha", "beta", "gamma", "delta", "zeta", "oops", "xx", "Mixed", "42", "a.b", "", "ma", "bb"]


def text(data: bytes) -> str:
    """Printable ASCII as it is; backslash, newline and other bytes escaped."""
    out = []
    for byte in data:
        if byte == 0x5C:
            out.append("\\\\")
        elif byte == 0x0A:
            out.append("\\n")
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append("\\x%02x" % byte)
    return "".join(out)


def normalise(data: bytes) -> bytes:
    return ISO.sub(b"ISO8601", TAI.sub(b"@TAI64N", data))


def random_script(rng):
    script = []
    logdirs = 0
    for _ in range(rng.randint(1, 7)):
        kind = rng.random()
        if kind < 0.3:
            script.append(rng.choice("+-") + rng.choice(REGEXES))
        elif kind < 0.35:
            script.append("f")
        elif kind < 0.45:
            script.append("n%d" % rng.randint(0, 3))
        elif kind < 0.55:
            script.append("s%d" % rng.choice([100, 4096, 5000, 6000, 99999]))
        elif kind < 0.65:
            script.append(rng.choice("tT"))
        elif kind < 0.8 or logdirs >= 2:
            script.append("1")
        elif kind < 0.85:
            script.append("2")
        else:
            logdirs += 1
            script.append("./d%d" % logdirs)
    if not any(d == "1" or d.startswith("./") for d in script):
        script.append(rng.choice(["1", "./d9"]))
    return script


def random_line(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(0, 12))]
    return " ".join(words)


def random_chunks(rng):
    chunks = []
    total_target = rng.choice([200, 1500, 2500, 5000])
    total = 0
    while total < total_target:
        lines = [random_line(rng) for _ in range(rng.randint(1, 60))]
        chunk = "".join(line + "\n" for line in lines).encode()
        while len(chunk) > 4096:  # one atomic write each
            cut = chunk.rfind(b"\n", 0, 4096) + 1 or 4096
            chunks.append(chunk[:cut])
            chunk = chunk[cut:]
        if chunk:
            chunks.append(chunk)
        total += len(chunk)
    if rng.random() < 0.2:
        chunks.append(b"a last line without its newline")
    return chunks


def pipe_pending(fd):
    import array
    buf = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, buf)
    return buf[0]


def run_case(script, chunks):
    work = tempfile.mkdtemp(prefix="s6log-oracle-")
    try:
        proc = subprocess.Popen(["s6-log", "--"] + script, cwd=work, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out_parts, err_parts = [], []
        def pump(timeout):
            ready, _, _ = select.select([proc.stdout, proc.stderr], [], [], timeout)
            for stream in ready:
                data = os.read(stream.fileno(), 65536)
                (out_parts if stream is proc.stdout else err_parts).append(data)
        fd = proc.stdin.fileno()
        for chunk in chunks:
            if proc.poll() is not None:
                break
            os.write(fd, chunk)
            deadline = time.time() + 10
            while pipe_pending(fd) > 0 and time.time() < deadline:
                pump(0.005)
            pump(0.01)
        proc.stdin.close()
        while True:
            ready, _, _ = select.select([proc.stdout, proc.stderr], [], [], 10)
            if not ready:
                break
            done = True
            for stream in ready:
                data = os.read(stream.fileno(), 65536)
                if data:
                    done = False
                    (out_parts if stream is proc.stdout else err_parts).append(data)
            if done:
                break
        code = proc.wait()
        files = []
        for logdir in sorted(os.listdir(work)):
            path = os.path.join(work, logdir)
            if not os.path.isdir(path):
                continue
            names = sorted(os.listdir(path))
            archived = [n for n in names if ARCHIVE.match(n)]
            for name in names:
                shown = name
                if name in archived:
                    shown = "@%d%s" % (archived.index(name) + 1, name[-2:])
                with open(os.path.join(path, name), "rb") as f:
                    content = normalise(f.read())
                mode = os.stat(os.path.join(path, name)).st_mode & 0o7777
                files.append((logdir + "/" + shown, mode, content))
        return code, normalise(b"".join(out_parts)), b"".join(err_parts), files
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    fixed = [
        (["1"], [b"x\ny"]),
        (["Z", "1"], [b"x\n"]),
        (["nx", "1"], [b"x\n"]),
        (["t", "T", "1", "T", "t", "1", "1"], [b"one\ntwo\n"]),
        (["-b", "1", "+bet", "1"], [b"alpha\nbeta\ngamma\nalphabet\n"]),
        (["-x", "-a", "1", "f", "1", "1"], [b"alpha\nbeta\ngamma\nalphabet\n"]),
        (["n2", "s4096", "./d1", "n1", "./d2"], [(b"%04d " % i) + b"y" * 995 + b"\n" for i in range(12)]),
        (["s5000", "./d1"], [(b"%04d " % i) + b"y" * 125 + b"\n" for i in range(60)]),
        (["1", "./d1"], [b"L" * 4000, b"L" * 4000, b"L" * 500 + b"\nnext\n"]),  # a line longer than 8192
    ]
    cases = fixed + [(random_script(rng), random_chunks(rng)) for _ in range(args.count)]
    for number, (script, chunks) in enumerate(cases):
        code, out, err, files = run_case(script, chunks)
        print("case %d" % number)
        print("script " + ",".join(d.encode().hex() for d in script))
        for chunk in chunks:
            print("chunk " + text(chunk))
        print("exit %d" % code)
        print("stdout " + text(out))
        print("stderr " + text(normalise(err)))
        for name, mode, content in files:
            print("file %s %o %s" % (name, mode, text(content)))
        print("end")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
