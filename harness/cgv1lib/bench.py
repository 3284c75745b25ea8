# SPDX-License-Identifier: GPL-2.0
"""Benchmarks: ours against the C implementation and no cgroups, and their tables."""

import json
import re
import time
from pathlib import Path

from .common import OUT, REPO, log, run
from .setup import setup
from .tree import prepare
from .build import build
from .guest import boot


BENCH_KERNELS = [("ours", "default"), ("C", "c"), ("none", "none")]


def cmd_bench(args):
    """Runs harness/bench/cgv1_bench in our kernel, the C one and a no-cgroup one."""
    setup()
    prepare()
    for _, v in BENCH_KERNELS:
        build(v)
    samples = {}  # (case, kernel) -> [ns per op]
    notes = {}
    order = []
    for r in range(args.rounds):
        kernels = BENCH_KERNELS if r % 2 == 0 else list(reversed(BENCH_KERNELS))
        for label, v in kernels:
            serial, timed_out = boot(v, "bench", args.timeout, echo=None,
                                     logfile=OUT / "bench" / f"serial-{v}-{r}.log",
                                     append=f"cgv1.bench={bench_mode(args)}" if bench_mode(args)
                                     else "", icount=not args.wallclock,
                                     mem_mib=bench_mem_mib(bench_mode(args)))
            if timed_out or "bench-done" not in serial:
                log(f"{label}: benchmark did not finish (round {r}); see the serial log")
            for line in serial.splitlines():
                m = re.match(r"^bench (\S+) (absent|-?\d+)(?: (.*))?$", line.strip())
                if not m:
                    continue
                case = m.group(1)
                if case not in order:
                    order.append(case)
                if m.group(2) == "absent":
                    notes[(case, label)] = "absent"
                else:
                    samples.setdefault((case, label), []).append(int(m.group(2)))
    table = bench_table(order, samples, notes, args.rounds)
    if args.wallclock:
        table = table.replace("QEMU TCG -icount shift=0,sleep=off", "QEMU TCG, wall-clock time")
    table += "hierarchies: " + {
        "controllers": "cpuacct and debug",
        "cpuset": "cpuset (clone_children) and a named one, plus the cpuset cases",
        "freezer": "freezer alone, 8 and 100 busy tasks on one CPU",
        "freezerall": "freezer alone, 4 and 100 busy tasks (wall-clock time)",
        "kill": "one named one with the kill option (none,name=benchkill,kill)",
        "rebind": "one named one (none,name=benchrebind) and cpuacct, added and removed",
        "scale": f"one named one without controllers (none,name=scale), "
                 f"{bench_mem_mib('scale') // 1024} GiB guest",
    }.get(bench_mode(args), "two named ones without controllers (none,name=bench1/2)") + "\n"
    (OUT / "bench").mkdir(parents=True, exist_ok=True)
    head = run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO, capture=True,
               check=False).stdout.strip()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    table = f"commit {head or '?'}, {stamp}\n" + table
    (OUT / "bench" / "table.txt").write_text(table)
    data = bench_json(order, samples, notes, args, head, stamp)
    (OUT / "bench" / "table.json").write_text(json.dumps(data, indent=1) + "\n")
    print(table)
    log(f"table: {OUT / 'bench' / 'table.txt'}, {OUT / 'bench' / 'table.json'}")
    if args.compare:
        old = json.loads(Path(args.compare).read_text())
        print(bench_compare(old, data))
    return 0


def bench_json(order, samples, notes, args, head, stamp):
    """The benchmark's results, for a script (bench --compare): every sample of every case
    in every kernel, with the run's conditions."""
    cases = {}
    for case in order:
        cases[case] = {}
        for label, _ in BENCH_KERNELS:
            xs = samples.get((case, label))
            cases[case][label] = sorted(xs) if xs else notes.get((case, label), "absent")
    return {"commit": head, "date": stamp, "mode": bench_mode(args) or "default",
            "rounds": args.rounds, "icount": not args.wallclock, "cases": cases}


def bench_compare(old, new, kernel="ours"):
    """The cases whose median in `kernel` moved by more than their spread (max - min, the
    larger of the two runs') between two bench_json() results: the regression check."""
    def stats(xs):
        xs = sorted(xs)
        n = len(xs)
        med = xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
        return med, xs[-1] - xs[0]

    lines = [f"compared with {old.get('commit', '?')} ({old.get('date', '?')}, "
             f"mode {old.get('mode', '?')}), kernel {kernel}: cases that moved by more than "
             "their spread"]
    moved = 0
    for case, kernels in new.get("cases", {}).items():
        a = old.get("cases", {}).get(case, {}).get(kernel)
        b = kernels.get(kernel)
        if not isinstance(a, list) or not isinstance(b, list) or not a or not b:
            continue
        (ma, sa), (mb, sb) = stats(a), stats(b)
        if abs(mb - ma) > max(sa, sb) and ma:
            moved += 1
            word = "slower" if mb > ma else "faster"
            lines.append(f"  {case:32} {ma:>14,.0f} -> {mb:>14,.0f}  x{mb / ma:.2f} {word}")
    if not moved:
        lines.append("  none")
    return "\n".join(lines) + "\n"


def cmd_bench_compare(args):
    """Compares two table.json files of harness/cgv1 bench, without running anything."""
    old = json.loads(Path(args.old).read_text())
    new = json.loads(Path(args.new).read_text())
    print(bench_compare(old, new, args.kernel), end="")
    return 0


def bench_mode(args):
    """The benchmark's mode (cgv1.bench= on the guest's command line): "controllers"
    (cpuacct and debug), "cpuset" (cpuset, and the cpuset cases) or "" (two named
    hierarchies); "kill" the cgroup.kill cases alone; "rebind" the rebinding cases alone; "freezer" runs the freezer cases of 8 and 100 busy tasks on one CPU alone, on a fresh
    boot ("freezerall", with --wallclock: 4 and 100); "scale" the
    scale cases alone (100,000 groups, depth 1,000, 10,000 css_sets, 100,000 threads)."""
    return "cpuset" if args.cpuset else "controllers" if args.controllers else \
        ("freezerall" if args.wallclock else "freezer") if args.freezer else \
        "scale" if args.scale else "kill" if args.kill else \
        "rebind" if args.rebind else ""


def bench_mem_mib(mode):
    """Guest memory for a benchmark mode: 100,000 threads next to 110,000 groups do not
    fit in the usual 2 GiB."""
    return 8192 if mode == "scale" else 2048


def bench_table(order, samples, notes, rounds):
    def median(xs):
        xs = sorted(xs)
        n = len(xs)
        return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2

    def cell(case, label):
        xs = samples.get((case, label))
        if not xs:
            return None, notes.get((case, label), "absent")
        med = median(xs)
        spread = (max(xs) - min(xs)) / med * 100 if med else 0
        return med, f"{med:,.0f} ±{spread:.1f}%"

    head = ["case (ns/op, median, spread)", "ours", "C", "none", "ours/C",
            "ours-none", "C-none"]
    rows = [head]
    for case in order:
        vals = {k: cell(case, k) for k, _ in BENCH_KERNELS}
        o, c, n = vals["ours"][0], vals["C"][0], vals["none"][0]
        ratio = f"{o / c:.2f}" if o is not None and c else "-"
        over_o = f"{(o - n) / n * 100:+.0f}%" if o and n else "-"
        over_c = f"{(c - n) / n * 100:+.0f}%" if c and n else "-"
        rows.append([case, vals["ours"][1], vals["C"][1], vals["none"][1], ratio,
                     over_o, over_c])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in
                       enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append(f"{rounds} rounds, kernels alternating; QEMU TCG -icount shift=0,sleep=off; "
                 "spread = (max-min)/median")
    if any(case.startswith("mem_") for case in order):
        lines.append("mem_* rows: bytes per group or css_set (Slab: or Percpu: of /proc/meminfo, "
                     "caches dropped), not ns/op")
    return "\n".join(lines) + "\n"
