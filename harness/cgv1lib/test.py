# SPDX-License-Identifier: GPL-2.0
"""The test command, the demo and check-c: boots of each kernel and their checks."""

import difflib
import os
import re
import sys

from .common import CACHE, CHECK_VARIANTS, FUZZ_SEED, HarnessError, OUT, REPO, SRC, VARIANTS, log, run
from .setup import setup
from .tree import base_content, prepare
from .build import (
    CORE_UNSAFE_MAX, build, core_unsafe_counts, run_build_check, rustdoc_check, rustfmt_check,
    test_variants,
)
from .guest import boot, selftest_programs
from .results import (
    Results, SPLATS, check_kernel_log, fail_skips_on_ours, mark_c_known_bugs, parse_kunit,
    parse_selftests, report,
)
from .series import apply_c_fixes, series_check
from .clients import run_clients


def expected_kunit_suites():
    return ["rust_doctests_kernel"]


def run_variant_tests(variant, results, timeout, kunit=True, seed=FUZZ_SEED, c_fixes=False):
    """Builds and boots one kernel and records its results, each group named after the
    kernel: build-V, boot-V, kselftest-V (and KUnit, for ours)."""
    if not run_build_check(variant, results):
        return
    progs = selftest_programs()
    try:
        serial, timed_out = boot(variant, "test", timeout, echo=None,
                                 append=f"cgv1.seed={seed}")
    except HarnessError as e:
        results.add(f"boot-{variant}", "guest boots", False, str(e))
        return
    results.add(f"boot-{variant}", "guest finished within the time limit", not timed_out,
                f"killed after {timeout}s")
    check_kernel_log(variant, serial, results)
    sb = OUT / variant / "selftests-build.log"
    warnings = [line for line in (sb.read_text(errors="replace") if sb.exists() else "").splitlines()
                if re.search(r"(test_v1_\w+\.c|cgroup_v1_util\.h|kselftest_harness\.h):\d+:\d+: (warning|error)", line)]
    results.add(f"build-{variant}", "no compiler warnings in our kselftests", not warnings,
                "\n".join(warnings[:20]))
    if kunit:
        parse_kunit(variant, serial, results, expected_kunit_suites())
    parse_selftests(serial, progs, results, group=f"kselftest-{variant}")
    # With harness/c-fixes applied, the walks that find C's bugs must pass like the others.
    if variant in ("c", "c-debug") and not c_fixes:
        mark_c_known_bugs(variant, results)
    if "ours.config" in VARIANTS[variant]:
        fail_skips_on_ours(variant, results)


# The boot parameters test_v1_bootparams is run with, once more, on ours and on C.
BOOT_PARAMS = "cgroup_disable=freezer,ns cgroup_no_v1=cpuacct,named"


def run_bootparam_tests(variant, results, timeout):
    """Boots variant again with BOOT_PARAMS and runs test_v1_bootparams alone (group
    bootparams-V); the kernel was built and checked by run_variant_tests."""
    group = f"bootparams-{variant}"
    try:
        serial, timed_out = boot(variant, "test", timeout, echo=None,
                                 logfile=OUT / variant / "serial-bootparams.log",
                                 append=f"cgv1.only=test_v1_bootparams {BOOT_PARAMS}")
    except HarnessError as e:
        results.add(group, "guest boots", False, str(e))
        return
    results.add(group, "guest finished within the time limit", not timed_out,
                f"killed after {timeout}s")
    splats = [line for line in serial.splitlines() if SPLATS.search(line)]
    results.add(group, "kernel log free of BUG/WARNING/KASAN/lockdep splats", not splats,
                "\n".join(splats[:10]))
    parse_selftests(serial, ["test_v1_bootparams"], results, group=group)


def demo_checks(serial_log):
    """The demo's own checks: [(name, "ok" or "FAIL (why)")]."""
    return re.findall(r"^cgv1-demo-check: (\w+) (ok|FAIL.*?)\r?$", serial_log, re.M)


def run_demo(variant, results, timeout=300):
    """Boots variant in demo mode: the demo must run to its end, every check it makes pass,
    and the kernel log stay clean (group demo-V)."""
    group = f"demo-{variant}"
    try:
        serial, timed_out = boot(variant, "demo", timeout, echo=None)
    except HarnessError as e:
        results.add(group, "guest boots", False, str(e))
        return
    results.add(group, "the demo runs to its end", not timed_out and "cgv1-demo-done" in serial,
                f"killed after {timeout}s" if timed_out else "no cgv1-demo-done")
    splats = [line for line in serial.splitlines() if SPLATS.search(line)]
    results.add(group, "kernel log free of BUG/WARNING/KASAN/lockdep splats", not splats,
                "\n".join(splats[:10]))
    checks = demo_checks(serial)
    results.add(group, "the demo checks what it shows", len(checks) > 0, "no check ran")
    for name, verdict in checks:
        results.add(group, name, verdict == "ok", verdict)


def fuzz_transcript(variant):
    """The fuzz kselftest's transcript lines of the last test boot of variant, or None."""
    path = OUT / variant / "transcript-test.log"
    if not path.exists():
        return None
    return [line.rstrip("\r") for line in path.read_text(errors="replace").splitlines()
            if line.startswith("fz ")]


def compare_fuzz(results, variants):
    """test_v1_fuzz writes every answer of the kernel (errno, what a file reads back) to a
    transcript; each of our kernels' transcripts must equal the C kernel's, line by line."""
    if "c" not in variants:
        return
    theirs = fuzz_transcript("c")
    for v in variants:
        if v == "c":
            continue
        ours = fuzz_transcript(v)
        name = f"fuzz transcript of {v} equals C's"
        if not ours or not theirs:
            results.add("fuzz", name, False, f"no transcript (ours: {bool(ours)}, "
                        f"C: {bool(theirs)})")
            continue
        diff = list(difflib.unified_diff(theirs, ours, "c", v, n=0, lineterm=""))
        results.add("fuzz", name + f" ({len(theirs)} lines)", not diff, "\n".join(diff[:40]))


def docs_check(results):
    """make htmldocs of Documentation/admin-guide/cgroup-v1, where our guide is (group docs):
    Sphinx must not warn (a broken toctree entry, a malformed title or list in the guide),
    graphviz's absence aside. About 10 seconds; Debian's python3-sphinx."""
    logf = OUT / "htmldocs.log"
    p = run(["make", "-C", str(SRC), f"O={CACHE / 'build' / 'htmldocs'}",
             "SPHINXDIRS=admin-guide/cgroup-v1", "PYTHON3=/usr/bin/python3",
             "SPHINXBUILD=/usr/bin/sphinx-build", "htmldocs"], logfile=logf, check=False)
    text = logf.read_text(errors="replace")
    warnings = [line for line in text.splitlines()
                if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line) and "dot(1) not found" not in line]
    built = (CACHE / "build" / "htmldocs" / "Documentation/output/admin-guide/cgroup-v1/rust.html").exists()
    results.add("docs", "make htmldocs of admin-guide/cgroup-v1 without warnings, rust.html built",
                p.returncode == 0 and not warnings and built,
                "\n".join(warnings[:20]) or f"exit {p.returncode}; log: {logf}")


def cmd_test(args):
    results = Results()
    setup()
    prepare()
    results.add("lint", "rustfmt --check on our Rust files", not rustfmt_check(),
                "\n".join(rustfmt_check()))
    layering = run([sys.executable, str(REPO / "harness" / "check_layering.py")], capture=True,
                   check=False)
    results.add("lint", "core modules call only modules listed before them",
                layering.returncode == 0, layering.stdout + layering.stderr)
    counts = core_unsafe_counts()
    results.add("lint", f"core unsafe blocks at most {CORE_UNSAFE_MAX}",
                sum(counts.values()) <= CORE_UNSAFE_MAX,
                f"{sum(counts.values())} blocks: " + ", ".join(
                    f"{f} {n}" for f, n in sorted(counts.items(), key=lambda x: -x[1]) if n))
    series_check(results)
    docs_check(results)
    for v in test_variants(args.quick):
        run_variant_tests(v, results, timeout=args.timeout * (3 if "debug" in v else 1),
                          kunit=v in ("default", "debug"), seed=args.seed)
        if v == "default":
            run_demo(v, results)
            rustdoc_check(v, results)
    compare_fuzz(results, test_variants(args.quick))
    # After the fuzz comparison: these boots write the second serial port's file again.
    for v in test_variants(args.quick):
        if v in ("default", "c"):
            run_bootparam_tests(v, results, timeout=args.timeout)
    if not args.quick:
        for v in CHECK_VARIANTS:
            run_build_check(v, results)
        run_clients(results)
    report(results)
    return 0 if results.counts()["fail"] == 0 and results.items else 1


def cmd_check_c(args):
    """Runs our kselftests in the C implementation of the same base alone (the test command
    does it too): a test that fails there expects something the C implementation does not
    do. With --debug, in a C kernel with the debug kernel's options (c-debug), where the
    tests that need fault injection run instead of skipping."""
    setup()
    prepare()
    variant = "c-debug" if args.debug else "c"
    results = Results()
    changed = apply_c_fixes(SRC) if args.fixes else []
    if changed:
        log(f"C fixes applied to {', '.join(changed)} (harness/c-fixes)")
    try:
        run_variant_tests(variant, results, timeout=args.timeout * (3 if args.debug else 1),
                          kunit=False, c_fixes=bool(changed))
    finally:
        # The base's files back, newer than any object built from the fixed ones.
        for f in changed:
            (SRC / f).write_bytes(base_content(f))
            os.utime(SRC / f)
    report(results)
    return 0 if results.counts()["fail"] == 0 and results.items else 1


def cmd_demo(args):
    setup()
    prepare()
    build("default")
    serial, timed_out = boot("default", "demo", args.timeout, echo="demo")
    if timed_out or "cgv1-demo-done" not in serial:
        raise HarnessError("the demo did not finish; see the serial log")
    failed = [f"{n} {v}" for n, v in demo_checks(serial) if v != "ok"]
    if failed:
        raise HarnessError("demo checks failed: " + "; ".join(failed))
    return 0
