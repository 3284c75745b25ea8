# SPDX-License-Identifier: GPL-2.0
"""Results: what each check found, parsed from KUnit, kselftests and the kernel log."""

import json
import re
import sys

from .common import OUT, SRC, run


class Results:
    def __init__(self):
        self.items = []  # (group, name, status, detail)

    def add(self, group, name, ok, detail=""):
        status = ok if isinstance(ok, str) else ("pass" if ok else "fail")
        self.items.append((group, name, status, detail))

    def counts(self):
        c = {"pass": 0, "fail": 0, "skip": 0, "known": 0}
        for _, _, s, _ in self.items:
            c[s] += 1
        return c


def parse_kunit(variant, serial_log, results, expect_suites):
    logf = OUT / variant / "serial-test.log"
    jf = OUT / variant / "kunit.json"
    p = run([sys.executable, str(SRC / "tools/testing/kunit/kunit.py"), "parse", f"--json={jf}",
             str(logf)], capture=True, check=False)
    (OUT / variant / "kunit.txt").write_text(p.stdout + p.stderr)
    try:
        data = json.loads(jf.read_text())
    except (OSError, ValueError):
        results.add("kunit", "parse", False, "kunit.py parse produced no JSON")
        return
    seen = set()

    def walk(group, prefix):
        name = group.get("name", "")
        if name:
            seen.add(name)
        for case in group.get("test_cases", []):
            st = {"PASS": "pass", "SKIP": "skip"}.get(case.get("status"), "fail")
            results.add("kunit", f"{prefix}{name}.{case.get('name')}", st)
        for sub in group.get("sub_groups", []):
            walk(sub, "")

    walk(data, "")
    for s in expect_suites:
        if s not in seen:
            results.add("kunit", f"{s} (suite)", False, "suite missing from the log")


def parse_selftests(serial_log, expected, results, group="kselftest"):
    blocks = {}
    cur = None
    for raw in serial_log.splitlines():
        line = raw.rstrip("\r")
        m = re.match(r"^cgv1-selftest-begin: (\S+)", line)
        if m:
            cur = m.group(1)
            blocks[cur] = {"lines": [], "rc": None}
            continue
        m = re.match(r"^cgv1-selftest-end: (\S+) rc=(\d+)", line)
        if m and cur:
            blocks[cur]["rc"] = int(m.group(2))
            cur = None
            continue
        if cur:
            blocks[cur]["lines"].append(line)
    for prog in expected:
        b = blocks.get(prog)
        if b is None or b["rc"] is None:
            results.add(group, prog, False, "no complete output (guest crashed or hung?)")
            continue
        plan = None
        n = 0
        failed = 0
        for line in b["lines"]:
            m = re.match(r"^1\.\.(\d+)$", line)
            if m:
                plan = int(m.group(1))
            m = re.match(r"^(not ok|ok) (\d+) (.*?)(\s+#\s*(SKIP|XFAIL).*)?$", line)
            if m:
                n += 1
                ok = m.group(1) == "ok"
                status = "skip" if m.group(5) == "SKIP" else ("pass" if ok else "fail")
                failed += status == "fail"
                results.add(group, f"{prog}.{m.group(3).strip()}", status)
        if plan is None or n != plan:
            results.add(group, f"{prog} (plan)", False, f"plan {plan}, {n} results")
        elif b["rc"] != 0 and failed == 0:
            results.add(group, f"{prog} (exit)", False, f"exit code {b['rc']}")


SPLATS = re.compile(r"(BUG: |WARNING: |Oops|Kernel panic|KASAN|UBSAN|kmemleak: \d+ new suspected"
                    r"|INFO: task .* blocked|possible (circular|recursive) locking|"
                    r"general protection fault|Call Trace:|cgv1-kmemleak: unreferenced object)")


def check_kernel_log(variant, serial_log, results):
    splats = [line for line in serial_log.splitlines() if SPLATS.search(line)]
    results.add(f"boot-{variant}", "kernel log free of BUG/WARNING/KASAN/lockdep splats",
                not splats, "\n".join(splats[:10]))
    results.add(f"boot-{variant}", "guest ran all tests and powered off",
                "cgv1-tests-done" in serial_log)


# Kselftests that fail on the C implementation because of a bug of C (6.12) that ours does
# not have, each with the reason found in C's source. They need fault injection: on the test
# command's C kernel they skip; on `check-c --debug` a failure counts as a known C bug, and a
# pass as a failure (the entry is then wrong and must go).
C_KNOWN_BUGS = {
    "test_v1_fault.fault.mount_is_all_or_nothing":
        "a mount of a new hierarchy failing before its superblock exists keeps the "
        "hierarchy: only cgroup_kill_sb() kills its root's base reference, and "
        "cgroup_do_get_tree() drops only the one cgroup1_get_tree() took (the test's first "
        "walk mounts a hierarchy without controllers, so that the one C keeps holds none; "
        "fixed by harness/c-fixes/0001)",
    "test_v1_fault.fault.remount_binding_is_all_or_nothing":
        "rebind_subsystems() only warns (\"partial failure to rebind\") when a controller's "
        "control files cannot be made, and the remount succeeds without them (fixed by "
        "harness/c-fixes/0002)",
}


def mark_c_known_bugs(variant, results):
    """Turns the failures on C listed in C_KNOWN_BUGS into known ones (see there)."""
    group = f"kselftest-{variant}"
    for i, (g, name, status, detail) in enumerate(results.items):
        if g != group or name not in C_KNOWN_BUGS:
            continue
        if status == "fail":
            results.items[i] = (g, name, "known", "known C bug: " + C_KNOWN_BUGS[name])
        elif status == "pass":
            results.items[i] = (g, name, "fail", "passes on C: drop it from C_KNOWN_BUGS")


# Kselftest programs of features that C's version 1 lacks: they skip on C (which refuses what
# they need), and must run on ours, where a skip means the feature is gone.
OURS_ONLY = {
    "test_v1_kill": "cgroup.kill (the kill mount option)",
    "test_v1_rebind": "rebinding controllers on a hierarchy with child groups",
    "test_v1_inherit": "<controller>.inherit (the inherit mount option)",
}


def fail_skips_on_ours(variant, results):
    """On our kernels, turns skips of the programs in OURS_ONLY into failures (see there)."""
    group = f"kselftest-{variant}"
    for i, (g, name, status, detail) in enumerate(results.items):
        prog = name.split(".", 1)[0]
        if g == group and prog in OURS_ONLY and status == "skip":
            results.items[i] = (g, name, "fail", f"skipped on ours: {OURS_ONLY[prog]} missing")


def report(results):
    summary = OUT / "results.txt"
    summary.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    groups = {}
    for g, n, s, d in results.items:
        groups.setdefault(g, []).append((n, s, d))
    for g, items in groups.items():
        c = {"pass": 0, "fail": 0, "skip": 0, "known": 0}
        for _, s, _ in items:
            c[s] += 1
        known = f", {c['known']} known C bugs" if c["known"] else ""
        lines.append(f"{g}: {c['pass']} passed, {c['fail']} failed, {c['skip']} skipped{known}")
        for n, s, d in items:
            if s != "pass" or g not in ("kunit",):
                lines.append(f"  {s.upper():4} {n}")
            if s in ("fail", "known") and d:
                lines.extend("       " + x for x in d.splitlines()[:30])
    summary.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    c = results.counts()
    # The last line is exactly "N passed, N failed"; skips (tests that need what a kernel
    # lacks, such as fault injection) are counted on the line before.
    if c["skip"]:
        print(f"{c['skip']} skipped")
    if c["known"]:
        print(f"{c['known']} known C bugs (harness/cgv1 C_KNOWN_BUGS)")
    print(f"{c['pass']} passed, {c['fail']} failed", flush=True)
