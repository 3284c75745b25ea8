# SPDX-License-Identifier: GPL-2.0
"""Set-up: the pinned toolchain and packages, installed when missing and checked."""

import os
import re
import shutil
from pathlib import Path

from .common import (
    APT_PACKAGES, BASE_PACKAGE, BASE_TARBALL, BASE_VERSION, BINDGEN_VERSION, HarnessError,
    LLVM_BIN, OUT, PINS, RUSTC_VERSION, RUST_LIB_SRC, SRC, TOOLS, log, run,
)


def installed_versions(names):
    """{name: version} of the Debian packages among names that are installed."""
    q = run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev} ${Version}\n", *names],
            capture=True, check=False)
    have = {}
    for line in q.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].startswith("ii"):
            have[parts[0]] = parts[2]
    return have


def archive_versions(name):
    """The versions of a Debian package that the archive offers, newest first."""
    p = run(["apt-cache", "madison", name], capture=True, check=False)
    return [line.split("|")[1].strip() for line in p.stdout.splitlines() if line.count("|") >= 2]


def exact_dependencies(name, version, seen):
    """name=version and, recursively, each package it needs at exactly one version
    ("libllvm19 (= 1:19.1.7-3~deb12u1)"): installing clang-19 at an older version than the
    one installed must take its libraries down with it, or apt refuses."""
    if name in seen:
        return
    seen[name] = version
    p = run(["apt-cache", "show", f"{name}={version}"], capture=True, check=False)
    for line in p.stdout.splitlines():
        if line.startswith(("Depends:", "Pre-Depends:")):
            for dep in line.split(":", 1)[1].split(","):
                m = re.match(r"^\s*([\w.+-]+)(?::\w+)?\s*\(=\s*([^)\s]+)\)", dep)
                if m:
                    exact_dependencies(m.group(1), m.group(2), seen)
        if not line.strip():
            break


def print_versions(have):
    log("pinned versions (harness/versions):")
    for name, (version, source) in PINS.items():
        now = have.get(name, "-")
        print(f"    {name:18} {version:26} {source:5}  installed: {now}", flush=True)


def rebase_hint():
    return (f"to move the base to a version the archive offers: harness/cgv1 rebase VERSION "
            f"(e.g. {BASE_VERSION.rsplit('.', 1)[0]}.N)")


def setup():
    """Installs the pinned versions of harness/versions and what else is missing; checks."""
    apt_pins = {n: v for n, (v, src) in PINS.items() if src == "apt"}
    have = installed_versions(list(apt_pins) + APT_PACKAGES)
    wrong = {n: v for n, v in apt_pins.items() if have.get(n) != v}
    missing = [p for p in APT_PACKAGES if p not in have]
    if wrong or missing:
        if os.geteuid() != 0:
            raise HarnessError("not root: install these packages first: " + " ".join(
                [f"{n}={v}" for n, v in wrong.items()] + missing))
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        log("apt-get update")
        run(["apt-get", "update"], env=env, logfile=OUT / "setup" / "apt-update.log")
        gone = []
        for n, v in wrong.items():
            offered = archive_versions(n)
            if v not in offered:
                gone.append(f"{n} {v} is not in the archive, which offers: "
                            f"{', '.join(offered) or 'nothing'}")
        if gone:
            hints = []
            if any(g.startswith(BASE_PACKAGE + " ") for g in gone):
                hints.append(rebase_hint())
            if any(not g.startswith(BASE_PACKAGE + " ") for g in gone):
                hints.append("to pin another toolchain version: edit harness/versions, then "
                             "run harness/cgv1 test")
            raise HarnessError("a pinned version is gone from the archive:\n  " +
                               "\n  ".join(gone) + "\n" + "\n".join(hints))
        want = {}
        for n, v in wrong.items():
            exact_dependencies(n, v, want)
        # The libraries pinned packages need exactly: only those not already right.
        have_deps = installed_versions(list(want))
        items = [f"{n}={v}" for n, v in want.items() if have_deps.get(n) != v]
        log(f"installing Debian packages: {' '.join(items + missing)}")
        run(["apt-get", "install", "-y", "--no-install-recommends", "--allow-downgrades",
             *items, *missing], env=env, logfile=OUT / "setup" / "apt-install.log")
        have = installed_versions(list(apt_pins) + APT_PACKAGES)
        still = [f"{n} is {have.get(n, 'not installed')}, want {v}"
                 for n, v in apt_pins.items() if have.get(n) != v]
        if still:
            raise HarnessError("apt-get did not install the pinned versions:\n  " +
                               "\n  ".join(still))

    bindgen = TOOLS / "bin" / "bindgen"
    got = run([str(bindgen), "--version"], capture=True, check=False).stdout.strip() \
        if bindgen.exists() else ""
    if got != f"bindgen {BINDGEN_VERSION}":
        cargo = shutil.which("cargo")
        if not cargo:
            raise HarnessError("cargo is missing: it is needed once to build bindgen-cli "
                               f"{BINDGEN_VERSION} (install Debian's cargo or rustup)")
        log(f"building bindgen-cli {BINDGEN_VERSION} into {TOOLS}")
        run([cargo, "install", "--locked", "--force", "bindgen-cli", "--version", BINDGEN_VERSION,
             "--root", str(TOOLS)], env={"LIBCLANG_PATH": f"{LLVM_BIN}/../lib"},
            logfile=OUT / "setup" / "bindgen.log")
    have["bindgen-cli"] = BINDGEN_VERSION if bindgen.exists() else "-"
    print_versions(have)

    problems = []

    def expect(cmd, pattern, what):
        try:
            out = run(cmd, capture=True, check=False)
            text = (out.stdout or "") + (out.stderr or "")
        except FileNotFoundError:
            text = ""
        if not re.search(pattern, text):
            problems.append(f"{what}: expected /{pattern}/ from {' '.join(cmd)}, got "
                            f"{text.strip()[:80]!r}")

    expect(["/usr/bin/rustc", "--version"], r"^rustc " + re.escape(RUSTC_VERSION) + r"\.", "rustc")
    expect(["/usr/bin/clippy-driver", "--version"], r"clippy", "clippy-driver")
    expect(["/usr/bin/rustfmt", "--version"], r"rustfmt", "rustfmt")
    expect([f"{LLVM_BIN}/clang", "--version"], r"clang version 19\.", "clang-19")
    expect([f"{LLVM_BIN}/ld.lld", "--version"], r"LLD 19\.", "lld-19")
    expect([str(bindgen), "--version"], r"^bindgen " + re.escape(BINDGEN_VERSION), "bindgen-cli")
    expect(["qemu-system-x86_64", "--version"], r"QEMU emulator", "qemu-system-x86")
    expect(["/bin/busybox"], r"BusyBox", "busybox-static")
    if not Path(RUST_LIB_SRC, "core", "src", "lib.rs").exists():
        problems.append(f"rust-web-src: {RUST_LIB_SRC} is missing")
    if not BASE_TARBALL.exists():
        problems.append(f"linux-source-6.12: {BASE_TARBALL} is missing")
    if problems:
        raise HarnessError("toolchain check failed:\n  " + "\n  ".join(problems))


def make_env():
    path = f"{LLVM_BIN}:/usr/bin:/bin:/usr/sbin:/sbin:" + os.environ.get("PATH", "")
    return {"PATH": path, "LIBCLANG_PATH": f"{LLVM_BIN}/../lib"}


def make_args(build_dir, src=SRC):
    return ["make", "-C", str(src), f"O={build_dir}", "LLVM=1",
            "RUSTC=/usr/bin/rustc", "RUSTDOC=/usr/bin/rustdoc", "RUSTFMT=/usr/bin/rustfmt",
            "CLIPPY_DRIVER=/usr/bin/clippy-driver", "HOSTRUSTC=/usr/bin/rustc",
            f"BINDGEN={TOOLS / 'bin' / 'bindgen'}", f"RUST_LIB_SRC={RUST_LIB_SRC}"]
