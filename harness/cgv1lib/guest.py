# SPDX-License-Identifier: GPL-2.0
"""The QEMU guest: the initramfs with our kselftests, and booting a kernel."""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from .common import CACHE, HARNESS, HarnessError, OUT, SRC, log, run
from .tree import overlay_files


def selftest_programs():
    """Our kselftests: tools/testing/selftests/cgroup/test_v1_*.c of the overlay."""
    return sorted(Path(f).stem for f in overlay_files()
                  if re.match(r"tools/testing/selftests/cgroup/test_v1_\w+\.c$", f))


def build_selftests(variant):
    out = CACHE / "selftests" / variant
    out.mkdir(parents=True, exist_ok=True)
    progs = selftest_programs()
    if progs:
        # Always recompiled (they are small), so that their warnings are always seen.
        for p in progs:
            if (out / p).exists():
                (out / p).unlink()
        log(f"building kselftests: {' '.join(progs)}")
        run(["make", "-C", str(SRC / "tools/testing/selftests/cgroup"), f"OUTPUT={out}",
             "USERLDFLAGS=-static", *[str(out / p) for p in progs]],
            logfile=OUT / variant / "selftests-build.log")
    return [out / p for p in progs]


def build_initramfs(variant, mode):
    stage = CACHE / "initramfs" / variant
    if stage.exists():
        shutil.rmtree(stage)
    for d in ("bin", "sbin", "proc", "sys", "dev", "tmp", "root", "etc", "kselftests",
              "usr/bin", "usr/sbin", "mnt"):
        (stage / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2("/bin/busybox", stage / "bin" / "busybox")
    shutil.copy2(HARNESS / "guest" / "init", stage / "init")
    shutil.copy2(HARNESS / "guest" / "demo.sh", stage / "demo.sh")
    os.chmod(stage / "init", 0o755)
    os.chmod(stage / "demo.sh", 0o755)
    (stage / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                          "nobody:x:65534:65534:nobody:/:/bin/sh\n")
    (stage / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    if mode == "demo":
        run(["gcc", "-static", "-O2", "-Wall", "-Werror", "-o", str(stage / "bin" / "cgv1_unshare"),
             str(HARNESS / "guest" / "cgv1_unshare.c")], logfile=OUT / variant / "demo-gcc.log")
    if mode == "bench":
        run(["gcc", "-static", "-O2", "-Wall", "-pthread", "-o", str(stage / "cgv1_bench"),
             str(HARNESS / "bench" / "cgv1_bench.c")], logfile=OUT / "bench" / "gcc.log")
    progs = build_selftests(variant) if mode == "test" else []
    for p in progs:
        shutil.copy2(p, stage / "kselftests" / p.name)
    image = CACHE / "initramfs" / f"{variant}.cpio.gz"
    files = run(["find", ".", "-mindepth", "1"], cwd=stage, capture=True).stdout
    with open(image, "wb") as f:
        cpio = subprocess.Popen(["cpio", "-o", "-H", "newc", "--owner=0:0", "--quiet"],
                                cwd=stage, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        gz = subprocess.Popen(["gzip", "-1"], stdin=cpio.stdout, stdout=f)
        cpio.stdout.close()
        cpio.communicate("\n".join(sorted(files.splitlines())).encode() + b"\n")
        gz.wait()
        if cpio.returncode or gz.returncode:
            raise HarnessError("making the initramfs failed")
    return image, [p.name for p in progs]


def boot(variant, mode, timeout, echo, logfile=None, append="", icount=True, mem_mib=2048):
    """Boots bzImage of variant under QEMU/TCG; returns (serial log text, timed out).

    Benchmarks run with -icount shift=0,sleep=off: guest time counts instructions, so the
    same loop repeats within about 1% where wall-clock time under TCG wanders by 20%.
    mem_mib is the guest's memory, half on each NUMA node (more for the scale cases)."""
    build_dir = CACHE / "build" / variant
    image, _ = build_initramfs(variant, mode)
    logfile = logfile or OUT / variant / f"serial-{mode}.log"
    logfile.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", f"{mem_mib}M", "-smp", "4",
           "-object", f"memory-backend-ram,id=m0,size={mem_mib // 2}M",
           "-object", f"memory-backend-ram,id=m1,size={mem_mib // 2}M",
           "-numa", "node,nodeid=0,cpus=0-1,memdev=m0",
           "-numa", "node,nodeid=1,cpus=2-3,memdev=m1",
           "-kernel", str(build_dir / "arch/x86/boot/bzImage"), "-initrd", str(image),
           "-append", f"console=ttyS0 panic=-1 loglevel=7 cgv1.mode={mode} {append}".strip(),
           "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot"]
    # A second serial port (the guest's ttyS1) takes the fuzz kselftest's transcript, so
    # that kernel messages on the console cannot cut into its lines.
    transcript = OUT / variant / f"transcript-{mode}.log"
    transcript.parent.mkdir(parents=True, exist_ok=True)
    if transcript.exists():
        transcript.unlink()
    cmd += ["-serial", f"file:{transcript}"]
    if mode == "bench" and icount:
        cmd += ["-icount", "shift=0,sleep=off"]
    log(f"booting {variant} ({mode}) under QEMU/TCG, serial log: {logfile}")
    timed_out = False
    start = time.monotonic()
    with open(logfile, "wb") as f:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        os.set_blocking(p.stdout.fileno(), False)
        buf = b""
        while True:
            chunk = p.stdout.read(65536)
            if chunk:
                f.write(chunk)
                f.flush()
                if echo:
                    buf += chunk
                    *lines, buf = buf.split(b"\n")
                    for line in lines:
                        s = line.decode(errors="replace").rstrip("\r")
                        if echo == "all" or s.startswith(("cgv1-demo", "# ", "$ ", "  ")) \
                                or not s.startswith("["):
                            print(s, flush=True)
            elif p.poll() is not None:
                break
            else:
                time.sleep(0.05)
            if time.monotonic() - start > timeout:
                timed_out = True
                p.kill()
                p.wait()
                break
    log(f"guest finished in {time.monotonic() - start:.0f}s" + (" (TIMED OUT)" if timed_out else ""))
    return logfile.read_text(errors="replace"), timed_out
