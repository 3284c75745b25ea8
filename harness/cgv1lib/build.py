# SPDX-License-Identifier: GPL-2.0
"""Kernel configurations and builds, with the warnings and lints of our files."""

import hashlib
import json
import os
import re
import shutil
import time
from pathlib import Path

from .common import (
    BASE_DEB_VERSION, CACHE, CHECK_VARIANTS, HARNESS, HarnessError, OUT, REPO, SRC, VARIANTS, log,
    run,
)
from .setup import make_args, make_env
from .tree import overlay_files


def parse_fragment(path):
    want = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^(CONFIG_\w+)=(.*)$", line)
        if m:
            want[m.group(1)] = m.group(2)
        m = re.match(r"^# (CONFIG_\w+) is not set$", line)
        if m:
            want[m.group(1)] = "n"
    return want


def fresh_build_dir(build_dir):
    """A build directory of another base is emptied: the tarball's files carry its own
    modification times, which can be older than the objects built from the previous base,
    so make would not see that they changed."""
    stamp = build_dir / ".cgv1-base"
    if build_dir.exists() and (not stamp.exists() or stamp.read_text().strip() != BASE_DEB_VERSION):
        log(f"{build_dir}: built from another base, emptied")
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(BASE_DEB_VERSION + "\n")
    return build_dir


def configure(variant):
    build_dir = fresh_build_dir(CACHE / "build" / variant)
    frags = [HARNESS / "configs" / f for f in VARIANTS[variant]]
    kconfigs = sorted(p for p in prepare_overlay_kconfigs())
    key = hashlib.sha256()
    for f in frags + kconfigs:
        key.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes())
    key = key.hexdigest()
    stamp = build_dir / ".cgv1-config-key"
    if stamp.exists() and stamp.read_text() == key and (build_dir / ".config").exists():
        return build_dir
    log(f"configuring {variant}: tinyconfig + {' + '.join(VARIANTS[variant])}")
    build_dir.mkdir(parents=True, exist_ok=True)
    env = make_env()
    logf = OUT / variant / "config.log"
    run(make_args(build_dir) + ["tinyconfig"], env=env, logfile=logf)
    run([str(SRC / "scripts/kconfig/merge_config.sh"), "-m", "-O", str(build_dir),
         str(build_dir / ".config"), *map(str, frags)], cwd=SRC, env=env,
        logfile=OUT / variant / "merge.log")
    run(make_args(build_dir) + ["olddefconfig"], env=env, logfile=logf)
    have = {}
    for line in (build_dir / ".config").read_text().splitlines():
        m = re.match(r"^(CONFIG_\w+)=(.*)$", line)
        if m:
            have[m.group(1)] = m.group(2)
    # A later fragment overrides an earlier one, as merge_config.sh merges them.
    want = {}
    for f in frags:
        for k, v in parse_fragment(f).items():
            want[k] = (v, f.name)
    wrong = [f"{k}={v} (got {have.get(k, 'n')}) from {name}"
             for k, (v, name) in want.items() if have.get(k, "n") != v]
    if wrong:
        hint = run(make_args(build_dir) + ["rustavailable"], env=env, capture=True,
                   check=False)
        raise HarnessError(f"config {variant}: options did not take:\n  " + "\n  ".join(wrong)
                           + "\nmake rustavailable says:\n" + (hint.stdout + hint.stderr)[-2000:])
    stamp.write_text(key)
    return build_dir


def prepare_overlay_kconfigs():
    """Kconfig files of the overlay: a change to one must reconfigure."""
    return [REPO / f for f in overlay_files() if "Kconfig" in Path(f).name]


def build(variant, touch_ours=False):
    build_dir = configure(variant)
    if touch_ours:
        # Warnings are only printed when a file is compiled: recompile ours so none hides.
        for t in json.loads((CACHE / "overlay-state.json").read_text()):
            if t.endswith((".rs", ".c")) and (SRC / t).exists() and not t.startswith("tools/"):
                os.utime(SRC / t)
    log(f"building {variant} kernel (log: {OUT / variant / 'build.log'})")
    t = time.monotonic()
    target = "vmlinux" if variant in CHECK_VARIANTS else "bzImage"
    run(make_args(build_dir) + ["CLIPPY=1", f"-j{os.cpu_count() or 2}", target],
        env=make_env(), logfile=OUT / variant / "build.log")
    log(f"built {variant} in {time.monotonic() - t:.0f}s")
    return build_dir


def our_warnings(variant, logf=None):
    """Compiler and clippy warnings that point into files the overlay adds or patches, in
    the build log of variant (or logf). The base's own (stack frame sizes in fs/select.c,
    objtool on tinyconfig) are not counted."""
    state = json.loads((CACHE / "overlay-state.json").read_text())
    ours = {t for t in state if t.endswith((".rs", ".c", ".h"))}
    logf = logf or OUT / variant / "build.log"
    if not logf.exists():
        return []
    text = logf.read_text(errors="replace")
    found = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(?:\.\./)?(?:.*/(?:linux-source-6\.12|bs-wt)/)?([\w./-]+):\d+:\d+: "
                     r"(warning|error)",
                     line)
        if m and m.group(1) in ours:
            found.append(line)
            continue
        if re.match(r"^(warning|error)(\[\w+\])?: ", line):
            for nxt in lines[i + 1:i + 4]:
                m = re.match(r"^\s*--> (?:.*/(?:linux-source-6\.12|bs-wt)/)?([\w./-]+):\d+", nxt)
                if m:
                    if m.group(1) in ours:
                        found.append(f"{m.group(1)}: {line}")
                    break
    return found


# The core's `unsafe` blocks (rust/kernel/cgroup.rs and rust/kernel/cgroup/), doctests aside:
# at most this many, each at a boundary with C (issue 20).
CORE_UNSAFE_MAX = 85


def core_unsafe_counts():
    """The number of `unsafe {` blocks outside comments in each file of the core."""
    files = [REPO / "rust/kernel/cgroup.rs", *sorted((REPO / "rust/kernel/cgroup").rglob("*.rs"))]
    counts = {}
    for f in files:
        lines = [l for l in f.read_text().splitlines() if not l.lstrip().startswith("//")]
        counts[str(f.relative_to(REPO))] = sum(l.count("unsafe {") for l in lines)
    return counts


def rustfmt_check():
    """rustfmt --check with the kernel's .rustfmt.toml on every Rust file of the overlay."""
    files = [str(SRC / t) for t in json.loads((CACHE / "overlay-state.json").read_text())
             if t.endswith(".rs")]
    if not files:
        return []
    p = run(["/usr/bin/rustfmt", "--check", "--edition", "2021",
             "--config-path", str(SRC / ".rustfmt.toml"), *files], capture=True, check=False)
    return [] if p.returncode == 0 else [(p.stdout + p.stderr)[:4000]]


def run_build_check(variant, results):
    """Builds variant and records it (group build-V: it builds, with no warning in our files);
    returns whether it built. The check variants are only built."""
    try:
        build(variant, touch_ours=os.environ.get("CI") == "true")
    except HarnessError as e:
        results.add(f"build-{variant}", "kernel builds", False, str(e))
        return False
    results.add(f"build-{variant}", "kernel builds", True)
    warns = our_warnings(variant)
    results.add(f"build-{variant}", "no compiler/clippy warnings in our files", not warns,
                "\n".join(warns[:20]))
    return True


def rustdoc_check(variant, results):
    """`make rustdoc` in variant's built tree (about 40 seconds): no rustdoc warning in our
    files (broken or private intra-doc links). Group build-V; the log is out/V/rustdoc.log."""
    logf = OUT / variant / "rustdoc.log"
    p = run(make_args(CACHE / "build" / variant) + [f"-j{os.cpu_count() or 2}", "rustdoc"],
            env=make_env(), logfile=logf, check=False)
    warns = our_warnings(variant, logf)
    results.add(f"build-{variant}", "make rustdoc without warnings in our files",
                p.returncode == 0 and not warns,
                "\n".join(warns[:20]) or f"exit {p.returncode}; log: {logf}")


def test_variants(quick):
    """The kernels of the test command: ours, ours with the debug options, and the C
    implementation of the same base, where every kselftest must pass too."""
    return ["default"] if quick else ["default", "debug", "c"]
