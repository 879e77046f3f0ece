#!/usr/bin/env python3
"""Turns the raw measurements of bench/run.sh into the markdown report.

usage: report.py DATA_DIR INIT_NAME...

Every table puts tend beside the anchors and gives each number as a ratio to
tini (the reference anchor): on a shared VM the absolute values drift, the
ratios measured in the same run much less.
"""
import glob
import json
import os
import re
import statistics
import sys

data_dir = sys.argv[1]
inits = sys.argv[2:]
REFERENCE = "tini"
K8S_VARIABLES = "200 variables"  # run.sh section 2: the Kubernetes-like environment


def read_tsv(name):
    path = os.path.join(data_dir, name)
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [line.rstrip("\n").split("\t") for line in handle if line.strip()]


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def ratio(value, reference):
    if value is None or not reference:
        return "n/a"
    return f"{value / reference:.2f}"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


meta = {}
with open(os.path.join(data_dir, "meta")) as handle:
    for line in handle:
        key, _, value = line.rstrip("\n").partition("=")
        meta[key] = value

out = []
out.append("# tend benchmark results\n")
out.append(
    f"- date: {meta.get('date')}\n"
    f"- kernel: {meta.get('kernel')}\n"
    f"- CPU: {meta.get('cpu')}, {meta.get('cores')} cores (VM)\n"
    f"- load average at the start / before the reaping benchmark: {meta.get('load_start')} / {meta.get('load_end')} "
    "(the machine is shared with other builds: absolute numbers are noisy, compare the ratios)\n"
    f"- tend: `{meta.get('tend_path')}` sha256 {meta.get('tend_sha256')}…, `{meta.get('tend_version')}`\n"
    f"- anchors (Debian): tini {meta.get('version_tini')}, dumb-init {meta.get('version_dumb-init')}, "
    f"catatonit {meta.get('version_catatonit')}, s6 {meta.get('version_s6')}; "
    f"hyperfine {meta.get('version_hyperfine')}, valgrind {meta.get('version_valgrind')}\n"
    f"- every init runs as PID 1 of its own PID namespace: `{meta.get('unshare')} INIT …`\n"
    "- ratios are to **tini** (dynamically linked, as Debian ships it); tini-static is the "
    "statically linked build of the same source, like tend\n"
)

# 1. startup ---------------------------------------------------------------
times = {}
for path in sorted(glob.glob(os.path.join(data_dir, "startup.*.json"))):
    with open(path) as handle:
        for result in json.load(handle)["results"]:
            times.setdefault(result["command"], []).extend(t * 1000 for t in result["times"])
baseline_name = next((name for name in times if name.startswith("no init")), None)
out.append("## 1. Start-up and exit: `INIT -- /bin/true` as PID 1\n")
if times and REFERENCE in times:
    baseline = statistics.mean(times[baseline_name]) if baseline_name else None
    reference = statistics.mean(times[REFERENCE])
    reference_median = statistics.median(times[REFERENCE])
    reference_overhead = reference - baseline if baseline is not None else None
    rows = []
    for name in ([baseline_name] if baseline_name else []) + [n for n in inits if n in times]:
        samples = times[name]
        mean = statistics.mean(samples)
        overhead = mean - baseline if baseline is not None and name != baseline_name else None
        rows.append([
            f"**{name}**" if name == "tend" else name,
            len(samples),
            f"{mean:.2f} ± {statistics.stdev(samples):.2f}",
            f"{statistics.median(samples):.2f}",
            f"{min(samples):.2f}",
            ratio(mean, reference) if name != baseline_name else "",
            ratio(statistics.median(samples), reference_median) if name != baseline_name else "",
            f"{overhead:+.2f}" if overhead is not None else "",
            ratio(overhead, reference_overhead) if overhead is not None else "",
        ])
    out.append(table(["init", "runs", "mean ± sd (ms)", "median (ms)", "min (ms)", "mean / tini", "median / tini",
                      "above no-init (ms)", "above no-init / tini"], rows))
    out.append(
        "\nhyperfine, `-N` (no shell), interleaved rounds; wall time of the whole "
        "`unshare … INIT -- /bin/true` (namespace creation, the init, one fork+exec of "
        "/bin/true, teardown). \"above no-init\" subtracts the same command with /bin/true as PID 1; "
        "it is the init's own cost and is small next to the noise, read it with the sd.\n")
else:
    out.append("not measured (hyperfine failed)\n")

# 2. instructions ------------------------------------------------------------
out.append("## 2. Instructions executed by the init (`INIT -- /bin/true`)\n")
instructions = {row[0]: number(row[1]) for row in read_tsv("instructions.tsv")}
if instructions and instructions.get(REFERENCE):
    reference = instructions[REFERENCE]
    rows = [[f"**{name}**" if name == "tend" else name,
             f"{int(instructions[name]):,}" if instructions.get(name) else "n/a",
             ratio(instructions.get(name), reference)] for name in inits if name in instructions]
    # The Kubernetes-like environment: each init against tini in the same one.
    k8s_reference = instructions.get(f"{REFERENCE}, {K8S_VARIABLES}")
    for name in ("tend", REFERENCE):
        key = f"{name}, {K8S_VARIABLES}"
        if key in instructions:
            rows.append([f"**{key}**" if name == "tend" else key,
                         f"{int(instructions[key]):,}" if instructions.get(key) else "n/a",
                         ratio(instructions.get(key), k8s_reference)])
    out.append(table(["init", "instructions (user space)", "/ tini"], rows))
    out.append(
        "\n`valgrind --tool=callgrind`, one run (the count is deterministic): user-space "
        "instructions of the init process only (PID 1), from exec to exit, including the dynamic "
        "loader for dynamically linked inits; not the kernel's work and not the child. "
        f"`perf stat -e instructions` is not usable here (it reports `{meta.get('perf_instructions') or 'nothing'}`: "
        "the VM exposes no PMU), so perf is not used. The rows \"200 variables\" run with `env -i` and 200 "
        "variables like `MY_SERVICE_001_PORT_8080_TCP_ADDR=10.96.0.1`, as a Kubernetes pod gets one group per "
        "Service of its namespace; their ratio is to tini in that same environment (glibc's tunables scan, "
        "which both pay, is ~750 instructions per variable).\n")
    profile_path = os.path.join(data_dir, "tend_profile.txt")
    if os.path.exists(profile_path):
        with open(profile_path) as handle:
            # Drop the temporary binary path and cut the long C++ signatures.
            profile = "\n".join(
                re.sub(r" \[/[^\]]*\]$", "", line)[:140] for line in handle.read().splitlines()).rstrip()
        if profile:
            out.append("Where tend's instructions go (callgrind_annotate, self cost, top 10):\n")
            out.append("```\n" + profile + "\n```\n")
else:
    out.append("not measured (valgrind missing or failed)\n")

# 3. memory and size --------------------------------------------------------------
out.append("## 3. Idle memory and binary size\n")
idle = {}
for row_name, rss, pss, voluntary, involuntary in read_tsv("idle.tsv"):
    idle.setdefault(row_name, []).append(
        (number(rss), number(pss), number(voluntary), number(involuntary)))
sizes = {row[0]: row[1:] for row in read_tsv("size.tsv")}
memory_rows_order = inits + [name for name in idle if name not in inits]
if idle.get(REFERENCE):
    reference_rss = statistics.median(r[0] for r in idle[REFERENCE])
    reference_pss = statistics.median(r[1] for r in idle[REFERENCE])
    reference_size = number(sizes[REFERENCE][1]) if REFERENCE in sizes else None
    static_reference_size = number(sizes["tini-static"][1]) if "tini-static" in sizes else None
    rows = []
    for name in memory_rows_order:
        if name not in idle:
            continue
        rss = statistics.median(r[0] for r in idle[name])
        pss = statistics.median(r[1] for r in idle[name])
        binary_key = name.split(",")[0]
        size = sizes.get(binary_key)
        stripped = number(size[1]) if size else None
        rows.append([
            f"**{name}**" if name.startswith("tend") else name,
            f"{rss:.0f}", ratio(rss, reference_rss), f"{pss:.0f}", ratio(pss, reference_pss),
            f"{stripped / 1024:.0f}" if stripped else "", ratio(stripped, reference_size) if stripped else "",
            ratio(stripped, static_reference_size) if stripped else "",
            f"{size[2]}" + (f" ({size[3]})" if size and size[3] != "-" else "") if size else "",
        ])
    if "s6-supervise" in sizes:
        size = sizes["s6-supervise"]
        rows.append(["(s6-supervise, one per service)", "", "", "", "",
                     f"{number(size[1]) / 1024:.0f}", ratio(number(size[1]), reference_size),
                     ratio(number(size[1]), static_reference_size),
                     f"{size[2]} ({size[3]})" if size[3] != "-" else size[2]])
    out.append(table(["init", "RSS (KiB)", "RSS / tini", "PSS (KiB)", "PSS / tini",
                      "stripped binary (KiB)", "size / tini", "size / tini-static",
                      "linkage (needs)"], rows))
    out.append(
        "\nRSS and PSS from `/proc/PID/smaps_rollup` of the init process, 1 s after its CMD "
        "(`sleep 10`) started, median of the repetitions. PSS divides shared pages (libc) among the "
        "processes mapping them, so dynamically linked inits look smaller in PSS than in RSS. The "
        "stripped size is `strip -o` of the installed binary (a dynamic one also needs its shared "
        "libraries, libc ≈ 2 MiB, which other processes share). The s6-svscan row is its own "
        "process only; s6 adds one s6-supervise process per service.\n")
else:
    out.append("not measured\n")

# 4. wakeups --------------------------------------------------------------------
out.append(f"## 4. Wakeups at idle ({meta.get('idle_seconds')} s, CMD `sleep 10`)\n")
if idle:
    rows = []
    for name in memory_rows_order:
        if name not in idle:
            continue
        voluntary = [r[2] for r in idle[name]]
        involuntary = [r[3] for r in idle[name]]
        rows.append([f"**{name}**" if name.startswith("tend") else name,
                     " ".join(f"{v:.0f}" for v in voluntary),
                     " ".join(f"{v:.0f}" for v in involuntary),
                     f"{max(voluntary) / float(meta.get('idle_seconds', 1)):.2f}"])
    out.append(table(["init", "voluntary switches (each repetition)", "involuntary",
                      "worst wakeups / s"], rows))
    out.append(
        "\nDifference of `voluntary_ctxt_switches` / `nonvoluntary_ctxt_switches` summed over "
        "`/proc/PID/task/*/status` of the init, measured over the idle window. 0 means the init "
        "never ran. tini wakes once a second by design (its `sigtimedwait` has a 1 s timeout); "
        "a ratio to tini is meaningless when tini's count is the only non-zero one, so none is given.\n")

# 5. shutdown ------------------------------------------------------------------
out.append("## 5. Shutdown latency: SIGTERM to the init until the namespace is gone\n")
shutdown = {}
failures = {}
for case, name, milliseconds, _status in read_tsv("shutdown.tsv"):
    value = number(milliseconds)
    if value is None:
        failures[(case, name)] = failures.get((case, name), 0) + 1
    else:
        shutdown.setdefault((case, name), []).append(value)
if shutdown:
    cases = []
    for case, _ in shutdown:
        if case not in cases:
            cases.append(case)
    rows = []
    for case in cases:
        names = [name for (c, name) in shutdown if c == case]
        reference_name = REFERENCE if (case, REFERENCE) in shutdown else ("s6-svscan" if (case, "s6-svscan") in shutdown else None)
        reference = statistics.median(shutdown[(case, reference_name)]) if reference_name else None
        for name in names:
            samples = sorted(shutdown[(case, name)])
            median = statistics.median(samples)
            p90 = samples[min(len(samples) - 1, int(round(0.9 * (len(samples) - 1))))]
            rows.append([case, f"**{name}**" if name == "tend" else name, len(samples),
                         f"{median:.1f}", f"{samples[0]:.1f}", f"{p90:.1f}",
                         f"{ratio(median, reference)} (to {reference_name})" if reference_name and name != reference_name else "",
                         failures.get((case, name), 0)])
    out.append(table(["case", "init", "runs", "median (ms)", "min (ms)", "p90 (ms)", "median ratio",
                      "timeouts"], rows))
    out.append(
        "\nTime from `kill -TERM` on the init (from the parent namespace) until `unshare` has "
        "reaped it (bash `$EPOCHREALTIME`, no fork in the measured window), i.e. the CMD and/or "
        "service stopped, the init exited, and the kernel tore the namespace down. The service is "
        "`#!/bin/sh` + `exec sleep 1000`, which dies on SIGTERM at once (cooperative). tini, "
        "dumb-init and catatonit do not supervise services, so the service cases compare tend with "
        "s6-svscan (s6 2.11: SIGTERM = `s6-svscanctl -t`, stop every service, wait, exit), the closest "
        "anchor; tend additionally does its final kill(-1) and reap pass.\n")
else:
    out.append("not measured\n")

# 6. reaping --------------------------------------------------------------------
out.append(f"## 6. Reaping {meta.get('orphans')} double-fork orphans\n")
reap = {}
for mode, name, total, tail in read_tsv("reap.tsv"):
    reap.setdefault((mode, name), []).append((number(total) / 1000, number(tail) / 1000))
if reap:
    def median_of(mode, name, index):
        samples = reap.get((mode, name))
        return statistics.median(s[index] for s in samples) if samples else None

    def min_of(mode, name, index):
        samples = reap.get((mode, name))
        return min(s[index] for s in samples) if samples else None

    rows = []
    for name in inits:
        if ("burst", name) not in reap and ("stream", name) not in reap:
            continue
        burst = median_of("burst", name, 1)
        burst_min = min_of("burst", name, 1)
        stream_total = median_of("stream", name, 0)
        stream_tail = median_of("stream", name, 1)
        runs = len(reap.get(("burst", name), []))
        rows.append([
            f"**{name}**" if name == "tend" else name, runs,
            f"{burst:.1f}" if burst is not None else "n/a",
            ratio(burst, median_of("burst", REFERENCE, 1)),
            f"{burst_min:.1f}" if burst_min is not None else "n/a",
            ratio(burst_min, min_of("burst", REFERENCE, 1)),
            f"{1000 * burst / int(meta.get('orphans', 1)):.1f}" if burst is not None else "n/a",
            f"{stream_total:.0f}" if stream_total is not None else "n/a",
            ratio(stream_total, median_of("stream", REFERENCE, 0)),
            f"{stream_tail:.2f}" if stream_tail is not None else "n/a",
        ])
    out.append(table(["init", "runs", "burst: all reaped (ms, median)", "burst / tini",
                      "burst min (ms)", "min / tini",
                      "burst per orphan (µs)", "stream: create + reap (ms)", "stream / tini",
                      "stream: reaped after last created (ms)"], rows))
    out.append(
        "\nThe CMD is `bench/orphans.c` (compiled at bench time). **burst**: it creates the orphans "
        "(each grandchild blocks on a pipe, its parent exits, so it is reparented to PID 1), then "
        "closes the pipe: all of them exit at once and the time runs until PID 1 has none of them "
        "left in `/proc/1/task/*/children`, i.e. has waited for every one (this includes the "
        "kernel's cost of the exits, equal for every init). **stream**: orphans exit as soon as "
        "they are created; the total is dominated by their creation, the tail shows whether the "
        "init keeps up. Orphans are made with `clone(CLONE_VM)` because `fork()` costs 2-4 ms on "
        "this VM.\n")
else:
    out.append("not measured\n")

# 7. services ---------------------------------------------------------------------
SERVICES = int(meta.get("services", 100))
MANY = int(meta.get("many_services", 1000))
kinds = meta.get("service_kinds", "").split()
services = {}
for kind, count, started_us, rss, pss, processes in read_tsv("services.tsv"):
    services.setdefault((kind, int(count)), []).append(
        (number(started_us) / 1000, number(rss), number(pss), int(processes)))


def service_median(kind, count, index):
    samples = services.get((kind, count))
    return statistics.median(s[index] for s in samples) if samples else None


LABEL = {"tend": "**tend**", "tend-busy": "**tend**", "forkexec": "fork+exec loop (`stamp forkexec`)", "s6-svscan": "s6-svscan + s6-supervise",
         "runsvdir": "runsvdir + runsv", "supervisord": "supervisord", "tini": "tini"}
out.append(f"## 7. Services: {SERVICES} started until all run, and the memory of the supervision tree\n")
if services:
    limit = service_median("forkexec", SERVICES, 0)
    tend_start = service_median("tend", SERVICES, 0)
    rows = []
    for kind in kinds:
        samples = services.get((kind, SERVICES))
        if not samples:
            continue
        times_ms = sorted(s[0] for s in samples)
        median = statistics.median(times_ms)
        rows.append([LABEL.get(kind, kind), len(times_ms), f"{median:.1f}", f"{times_ms[0]:.1f}", f"{times_ms[-1]:.1f}",
                     ratio(median, limit), ratio(tend_start, median) if kind != "tend" else ""])
    out.append(table(["supervisor (PID 1)", "runs", "median (ms)", "min (ms)", "max (ms)", "/ fork+exec loop",
                      "tend / this"], rows))
    out.append(
        f"\nFrom the exec of the supervisor (as PID 1 of a new PID namespace) until the last of {SERVICES} "
        "services has started: every service is the same run script, `#!/bin/sh` + `exec stamp service DIR NAME`, "
        "which writes CLOCK_MONOTONIC to its own file and waits; `stamp t0 FILE` execs into the supervisor after "
        "writing the start time. The fork+exec loop is a C program (`bench/stamp.c`, `forkexec`) that only forks and "
        "execs the same run scripts, in their directories, and reaps: the floor for any supervisor. Interleaved runs; "
        "the VM's fork+exec costs milliseconds, so most of every number is the kernel's and /bin/sh's.\n")

    reference_rss = service_median("tini", 1, 1)
    rows = []
    order = [("tini", 1)] + [(k, 10) for k in kinds if k != "forkexec"] + [("tend-busy", 10)] + \
            [(k, SERVICES) for k in kinds if k != "forkexec"] + [("tend", MANY)]
    for kind, count in order:
        if (kind, count) not in services:
            continue
        rss = service_median(kind, count, 1)
        pss = service_median(kind, count, 2)
        processes = service_median(kind, count, 3)
        what = "1 child (`stamp service`)" if kind == "tini" else f"{count} services"
        if kind == "tend-busy":
            what = f"{count} services, after `tend ctl restart` of one and `tend ctl status`"
        rows.append([LABEL.get(kind, kind), what, f"{processes:.0f}", f"{rss:.0f}", ratio(rss, reference_rss), f"{pss:.0f}"])
    out.append(table(["supervisor", "running", "its processes", "RSS (KiB)", "RSS / tini with 1 child", "PSS (KiB)"], rows))
    growth = None
    if ("tend", 10) in services and ("tend", MANY) in services:
        growth = (service_median("tend", MANY, 1) - service_median("tend", 10, 1)) * 1024 / (MANY - 10)
        out.append(f"\ntend's RSS grows by **{growth:,.0f} bytes per service** from 10 to {MANY} services "
                   "(median RSS difference / number of services added).\n")
    out.append(
        "\nRSS and PSS summed over the supervisor's own processes (the init and every descendant that is not a "
        "service: s6-supervise and runsv are one per service), from `/proc/PID/smaps_rollup` 1 s after the last "
        "service started, median of the repetitions. The services themselves are not counted for anyone. "
        "supervisord is a Python program; its RSS includes the interpreter.\n")
else:
    out.append("not measured\n")

# 8. restart -------------------------------------------------------------------
out.append("## 8. Restart of a crashed service: from its exit to the new exec, without the backoff\n")
restart_latencies = []
if os.path.exists(os.path.join(data_dir, "restart.log")):
    events = {}
    name = None
    with open(os.path.join(data_dir, "restart.log")) as handle:
        for line in handle:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "#":
                name = parts[1]
                events[name] = []
            elif name is not None and len(parts) == 2:
                events[name].append((parts[0], int(parts[1])))
    for name, sequence in events.items():
        exits = [t for kind, t in sequence if kind == "exit"]
        starts = [t for kind, t in sequence if kind == "start"]
        for k, exit_time in enumerate(exits):  # restart k+1 follows exit k
            if k + 1 < len(starts):
                backoff_ns = 100_000_000 * 2 ** k
                restart_latencies.append((starts[k + 1] - exit_time - backoff_ns) / 1000)
if restart_latencies:
    latencies = sorted(restart_latencies)
    p90 = latencies[min(len(latencies) - 1, int(round(0.9 * (len(latencies) - 1))))]
    def floor_of(name):
        path = os.path.join(data_dir, name)
        if not os.path.exists(path):
            return None
        with open(path) as handle:
            samples = [number(line) for line in handle if number(line)]
        return statistics.median(samples) / 1000 if samples else None

    floor = floor_of("spawn.txt")
    sleep_floor = floor_of("spawn_sleep.txt")
    supervisor_floor = floor_of("supervise.txt")
    out.append(table(["restarts", "median (µs)", "min (µs)", "p90 (µs)", "max (µs)",
                      "floor, back to back (µs)", "floor, woken by a timer (µs)", "median / woken floor",
                      "a C supervisor (µs)", "median / C supervisor"],
                     [[len(latencies), f"{statistics.median(latencies):.0f}", f"{latencies[0]:.0f}", f"{p90:.0f}",
                       f"{latencies[-1]:.0f}", f"{floor:.0f}" if floor else "n/a",
                       f"{sleep_floor:.0f}" if sleep_floor else "n/a",
                       ratio(statistics.median(latencies), sleep_floor),
                       f"{supervisor_floor:.0f}" if supervisor_floor else "n/a",
                       ratio(statistics.median(latencies), supervisor_floor)]]))
    out.append(
        "\nThe services' `run` is `bench/stamp.c` itself (no shell): each life writes CLOCK_MONOTONIC at its first "
        "instruction and again just before `_exit(1)`. Latency = next start - exit - tend's backoff for that restart "
        "(100 ms, 200 ms, 400 ms ... README \"Restart backoff\"), i.e. the kernel's exit and SIGCHLD, tend's reap, "
        "the timer's lateness (tend keeps its deadlines to the microsecond: the timer is set for the moment tend "
        "saw the exit + the backoff), tend's spawn (clone with CLONE_VM | CLONE_VFORK, as posix_spawn; no page "
        "tables copied) and the exec. The fork+exec floor is `stamp spawn 101` (bench/stamp.c), as PID 1 of its own "
        "namespace: the median time from before fork() to the first instruction of the same static program in a "
        "minimal C parent, median of 3 x 101 back to back; \"woken by a timer\" is `stamp spawn 31 100`: the parent "
        "first sleeps until a deadline 100 ms ahead (clock_nanosleep) and the time runs from that deadline, which is "
        "what a restart after the backoff is (3 x 31). \"A C supervisor\" is `stamp supervise 31 100` (3 runs): the "
        "smallest supervisor of one crashing program, measured exactly as tend is here: it waits for the exit "
        "(waitpid), sleeps 100 ms from the moment it saw it, forks and execs the program again; latency = next "
        "start - exit - 100 ms, so it pays the wake-up for the exit as tend does. The services run 3 + 23 i ms each, so that restarts of "
        "different services do not coincide. s6-supervise and runsv wait at least 1 s between two starts of a "
        "service and supervisord's backoff is in seconds too, so they have no row: their delay is not removable.\n")
else:
    out.append("not measured\n")

# 9. throughput -------------------------------------------------------------------
out.append("## 9. Output throughput through tend (`bench/throughput.sh`)\n")
throughput_path = os.path.join(data_dir, "throughput.md")
if os.path.exists(throughput_path) and os.path.getsize(throughput_path) > 0:
    with open(throughput_path) as handle:
        out.append(handle.read().rstrip() + "\n")
else:
    out.append("not measured (THROUGHPUT=0, or throughput.sh failed)\n")

# targets (issue 11) -------------------------------------------------------------------
targets = []


def verdict(ok):
    return "met" if ok else "**missed**"


tend_size = number(sizes["tend"][1]) if "tend" in sizes else None
if tend_size:
    targets.append(["release binary, stripped, static", "<= 1.5 MB", f"{tend_size / 1e6:.2f} MB ({tend_size:,.0f} bytes)",
                    verdict(tend_size <= 1_500_000)])
if instructions.get("tend") and instructions.get(REFERENCE):
    r = instructions["tend"] / instructions[REFERENCE]
    targets.append(["start-up instructions, `tend -- /bin/true` / tini", "<= 2x", f"{r:.2f}x", verdict(r <= 2)])
k8s_tend = instructions.get(f"tend, {K8S_VARIABLES}")
k8s_tini = instructions.get(f"{REFERENCE}, {K8S_VARIABLES}")
if k8s_tend and k8s_tini:
    targets.append(["start-up instructions with 200 Kubernetes-style variables / tini", "reported",
                    f"{k8s_tend / k8s_tini:.2f}x ({k8s_tend:,.0f} / {k8s_tini:,.0f})", ""])
if services:
    tend10 = service_median("tend", 10, 1)
    tini1 = service_median("tini", 1, 1)
    if tend10 and tini1:
        targets.append(["RSS, tend with 10 services / tini with 1 child", "<= 1x",
                        f"{tend10 / tini1:.2f}x ({tend10:.0f} / {tini1:.0f} KiB)", verdict(tend10 <= tini1)])
    busy10 = service_median("tend-busy", 10, 1)
    if busy10 and tini1:
        # Reported beside the target, not as one: the target is the idle
        # supervisor, as issue 11 measured it; this is what tend's loop maps
        # again of the code it released after start-up.
        targets.append(["RSS, the same after a restart and a control request / tini with 1 child", "reported",
                        f"{busy10 / tini1:.2f}x ({busy10:.0f} / {tini1:.0f} KiB)", ""])
    many = service_median("tend", MANY, 1)
    if many:
        targets.append([f"RSS, tend with {MANY} services", "< 4 MB", f"{many / 1024:.2f} MiB ({many:.0f} KiB)",
                        verdict(many * 1024 < 4_000_000)])
    if growth is not None:
        targets.append(["RSS growth per service (10 -> %d)" % MANY, "reported", f"{growth:,.0f} bytes", ""])
    limit = service_median("forkexec", SERVICES, 0)
    tend_start = service_median("tend", SERVICES, 0)
    if limit and tend_start:
        targets.append([f"{SERVICES} services started, tend / fork+exec loop", "<= 1.2x", f"{tend_start / limit:.2f}x",
                        verdict(tend_start <= 1.2 * limit)])
    for anchor in ("s6-svscan", "runsvdir"):
        other = service_median(anchor, SERVICES, 0)
        if other and tend_start:
            targets.append([f"{SERVICES} services started, tend / {anchor}", "< 1x", f"{tend_start / other:.2f}x",
                            verdict(tend_start < other)])
if restart_latencies:
    median = statistics.median(restart_latencies)
    measured = f"{median / 1000:.2f} ms"
    if supervisor_floor:
        measured += f" (the smallest C supervisor: {supervisor_floor / 1000:.2f} ms)"
    targets.append(["restart, exit to new exec without backoff, median", "< 1 ms", measured, verdict(median < 1000)])
if targets:
    summary = ["## Targets (issue 11), this run\n", table(["target", "wanted", "measured", ""], targets),
               "\nEach ratio is taken against anchors measured in the same run; the sections below give the "
               "method and the raw numbers. Where a target is missed, bench/README.md says why.\n"]
    out[2:2] = summary

out.append(
    "\nReproduce, from the repository root: `make release && sudo bench/run.sh` (see bench/README.md). "
    "Numbers are from one run on a shared 2-core VM.")
print("\n".join(out))
