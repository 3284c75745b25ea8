# SPDX-License-Identifier: GPL-2.0
"""Paths, pinned versions, kernel variants, and running commands: what every module uses."""

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path


REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "harness"
CACHE = Path(os.environ.get("CGV1_CACHE") or
             Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cgroup-v1-rust")
OUT = Path(os.environ.get("CGV1_OUT") or REPO / "out")
# test_v1_fuzz's seed in the test command (--seed for another): fixed, so that CI is
# reproducible; other seeds are explored by hand.
FUZZ_SEED = 1

VERSIONS_FILE = HARNESS / "versions"


def read_versions():
    """harness/versions: {name: (version, source)}, in the file's order."""
    pins = {}
    for n, line in enumerate(VERSIONS_FILE.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 3 or parts[2] not in ("apt", "cargo"):
            raise SystemExit(f"cgv1: error: {VERSIONS_FILE}:{n}: want NAME VERSION apt|cargo")
        pins[parts[0]] = (parts[1], parts[2])
    return pins


PINS = read_versions()
BASE_PACKAGE = "linux-source-6.12"
BASE_DEB_VERSION = PINS[BASE_PACKAGE][0]
# Debian's 6.12.117-1~deb12u1 holds Linux 6.12.117.
BASE_VERSION = BASE_DEB_VERSION.split("-")[0]
BASE_TARBALL = Path("/usr/src/linux-source-6.12.tar.xz")
SRC = CACHE / "src" / "linux-source-6.12"
TOOLS = CACHE / "tools"
BINDGEN_VERSION = PINS["bindgen-cli"][0]
# rustc-web 1.96.0+dfsg1-1~deb12u2 is rustc 1.96.0, its library sources in rustc-1.96.0/.
RUSTC_FULL = re.match(r"^(?:\d+:)?(\d+\.\d+\.\d+)", PINS["rustc-web"][0]).group(1)
RUSTC_VERSION = RUSTC_FULL.rsplit(".", 1)[0]
RUST_LIB_SRC = f"/usr/src/rustc-{RUSTC_FULL}/library"
LLVM_BIN = "/usr/lib/llvm-19/bin"

# Packages installed when missing, at whatever version the archive has: none of them
# decides what the build produces.
APT_PACKAGES = [
    "qemu-system-x86", "busybox-static",
    "bc", "flex", "bison", "libelf-dev", "libssl-dev", "cpio", "make", "gcc", "libc6-dev",
    "python3", "perl", "patch", "git", "kmod", "xz-utils",
    # make htmldocs of the guide's directory (docs_check).
    "python3-sphinx",
]

# Files of this repository that are not part of the kernel overlay.
NOT_OVERLAY_PREFIXES = (".ci/", "harness/", "series/", "out/")
NOT_OVERLAY_FILES = {"README.md"}

# Kernel variants: config fragments merged onto tinyconfig, in order.
VARIANTS = {
    "default": ["base.config", "ours.config"],
    "debug": ["base.config", "ours.config", "debug.config"],
    # The C implementation: every kselftest must pass there too (the test command runs them);
    # also the benchmark reference (harness/cgv1 bench), with no cgroups as the floor.
    "c": ["base.config", "c-cgroups.config"],
    "none": ["base.config", "no-cgroups.config"],
    # The C implementation with the debug kernel's options (KASAN, lockdep, kmemleak, fault
    # injection): `check-c --debug`, to see the kselftests that need them pass on C.
    "c-debug": ["base.config", "c-cgroups.config", "debug.config"],
    # Build checks, never booted: configurations every CONFIG_RUST user may have, where the
    # kernel crate with our abstractions and our controllers must still build (vmlinux, so
    # that a missing C symbol fails at link time). RUST=y with RUST_CGROUPS=n is the `c`
    # kernel (and `none`), built by the test command already.
    # The client rig (issue 21): what Debian 12's systemd, crun and LXC need, on ours and on C.
    "clients": ["base.config", "ours.config", "clients.config"],
    "c-clients": ["base.config", "c-cgroups.config", "clients.config"],
    "check-up": ["base.config", "ours.config", "check-up.config"],
    "check-offstack": ["base.config", "ours.config", "check-offstack.config"],
}

# The build checks of the test command (see VARIANTS).
CHECK_VARIANTS = ["check-up", "check-offstack"]

# Fixed identity and dates make the base commit and the series reproducible.
GIT_IDENT = {
    "GIT_AUTHOR_NAME": "cgv1 harness", "GIT_AUTHOR_EMAIL": "harness@cgv1.invalid",
    "GIT_COMMITTER_NAME": "cgv1 harness", "GIT_COMMITTER_EMAIL": "harness@cgv1.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}

T0 = time.monotonic()


class HarnessError(Exception):
    pass


def ensure_out():
    """out/ holds logs; it ignores itself, so the repository needs no top-level .gitignore
    (a path the base tree has too)."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / ".gitignore").write_text("*\n")


def log(msg):
    print(f"[cgv1 {time.monotonic() - T0:7.1f}s] {msg}", flush=True)


def run(cmd, cwd=None, env=None, check=True, capture=False, logfile=None, timeout=None):
    """Runs a command; with logfile, its output goes there and its tail is shown on failure."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    if logfile:
        logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(logfile, "w") as f:
            p = subprocess.run(cmd, cwd=cwd, env=full_env, stdout=f, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=timeout)
        if check and p.returncode != 0:
            tail = logfile.read_text(errors="replace").splitlines()[-40:]
            raise HarnessError(f"{' '.join(map(str, cmd))} failed (exit {p.returncode}); "
                               f"log: {logfile}\n" + "\n".join(tail))
        return p
    p = subprocess.run(cmd, cwd=cwd, env=full_env, text=True, stdin=subprocess.DEVNULL,
                       capture_output=capture, timeout=timeout)
    if check and p.returncode != 0:
        detail = (p.stderr or "") if capture else ""
        raise HarnessError(f"{' '.join(map(str, cmd))} failed (exit {p.returncode})\n{detail}")
    return p


def git(*args, cwd=SRC, capture=True, check=True, env=None):
    e = dict(GIT_IDENT)
    if env:
        e.update(env)
    return run(["git", "-c", "core.abbrev=12", "-c", "gc.auto=0", *args], cwd=cwd,
               capture=capture, check=check, env=e)


_TMPFILES = []


def _tmpfile(text):
    fd, name = tempfile.mkstemp(prefix="cgv1-msg-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    _TMPFILES.append(name)
    return name
