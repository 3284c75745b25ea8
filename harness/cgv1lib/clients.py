# SPDX-License-Identifier: GPL-2.0
"""The client rig: Debian 12 with systemd, crun, LXC and cgroup-tools on ours and on C."""

import re
import time

from .common import CACHE, HARNESS, HarnessError, OUT, log, run
from .build import run_build_check
from .results import SPLATS


CLIENTS = HARNESS / "clients"


def client_cases(serial_log):
    """The client rig's cases from a console log: {name: "ok" or "FAIL why"}."""
    return {m.group(1): m.group(2) for m in
            re.finditer(r"^cgv1-case: (\S+) (ok|FAIL.*?)\r?$", serial_log, re.M)}


def run_clients(results, timeout=1500):
    """The client rig (issue 21): a Debian 12 root filesystem (harness/clients/mkrootfs.sh,
    cached) booted with systemd as PID 1 in cgroup-v1 legacy mode on ours and on C, running
    systemd, cgroup-tools, crun, LXC and getdelays cases (harness/clients/cases.sh). Group
    clients: every case that passes on C passes on ours. Consoles in out/<variant>/clients.log,
    the comparison in out/clients.txt."""
    group = "clients"
    rootfs_dir = CACHE / "clients"
    try:
        t = time.monotonic()
        run(["bash", str(CLIENTS / "mkrootfs.sh"), str(rootfs_dir)],
            logfile=OUT / "clients-rootfs.log")
        log(f"client root filesystem ready in {time.monotonic() - t:.0f}s")
    except HarnessError as e:
        results.add(group, "the Debian 12 root filesystem is built", False, str(e))
        return
    rootfs = next((p for p in sorted(rootfs_dir.glob("rootfs.cpio*"))), None)
    results.add(group, "the Debian 12 root filesystem is built", rootfs is not None,
                f"no rootfs.cpio* in {rootfs_dir}")
    if rootfs is None:
        return
    cases = {}
    for v in ("c-clients", "clients"):
        if not run_build_check(v, results):
            return
        logf = OUT / v / "clients.log"
        t = time.monotonic()
        log(f"booting {v} with systemd (console: {logf})")
        p = run(["bash", str(CLIENTS / "run.sh"), str(CACHE / "build" / v / "arch/x86/boot/bzImage"),
                 str(rootfs), str(logf)], check=False, capture=True,
                env={"CGV1_CLIENTS_TIMEOUT": str(timeout)})
        log(f"{v}: guest finished in {time.monotonic() - t:.0f}s")
        serial = logf.read_text(errors="replace") if logf.exists() else ""
        results.add(group, f"{v}: systemd boots and the cases run to their end",
                    p.returncode == 0, (p.stdout or "")[-2000:])
        splats = [line for line in serial.splitlines() if SPLATS.search(line)]
        results.add(group, f"{v}: kernel log free of BUG/WARNING/KASAN/lockdep splats",
                    not splats, "\n".join(splats[:10]))
        cases[v] = client_cases(serial)
    c, ours = cases.get("c-clients", {}), cases.get("clients", {})
    results.add(group, "cases ran on C", bool(c), "no case line on C's console")
    table = [f"{'case':40} {'C':24} ours"]
    for name in sorted(set(c) | set(ours)):
        cv, ov = c.get(name, "absent"), ours.get(name, "absent")
        table.append(f"{name:40} {cv[:24]:24} {ov}")
        if cv == "ok":
            results.add(group, f"{name} (passes on C)", ov == "ok", f"ours: {ov}")
        elif ov == "ok":
            results.add(group, f"{name} (fails on C: {cv[:40]})", True)
    (OUT / "clients.txt").write_text("\n".join(table) + "\n")
