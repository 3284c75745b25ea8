# SPDX-License-Identifier: GPL-2.0
"""cgv1: the build, boot and test harness of the Rust cgroup v1 series.

Everything that is not kernel code lives here: toolchain set-up, kernel tree
preparation (base + overlay), kernel configs, builds, the QEMU guest runner,
result parsing, the mail series generator and the benchmarks.

Commands (see README.md):
  setup          install/check the toolchain (idempotent)
  prepare        unpack the base tree and lay the overlay on it
  build [V]      configure and build kernel variant V (default: default)
  demo           build, boot and run the demo in the guest
  test [--quick] the test command: lints, series checks, build and boot the default, the
                 debug and the c kernel (--quick: default only), run KUnit (ours) and every
                 kselftest in each
  series         regenerate series/ from the tree and the manifest
  series-check   check series/ is current, applies with git am, checkpatch
  build-series   build the kernel at every patch of the series (not in CI)
  bench          benchmarks: ours vs the C implementation vs no cgroups (not in CI); writes
                 out/bench/table.txt and table.json; --compare OLD.json
  bench-compare OLD NEW  the cases of two table.json files that moved beyond their spread
  check-c [--debug]  build the c kernel (c-debug: with debug.config) and run our kselftests
                 there alone
  boot V MODE    boot an already built variant (MODE: test or demo)
  savepatch P..  store edits made to upstream files in the cache's tree as P.patch
  rebase VERSION move the base to another linux-source-6.12 of the archive (6.12.N):
                 merge our *.patch onto it, update harness/versions, regenerate series/
"""

import argparse
import os
import shutil
import sys

from .common import FUZZ_SEED, HarnessError, VARIANTS, _TMPFILES, ensure_out
from .setup import setup
from .tree import cmd_rebase, cmd_savepatch, prepare
from .build import build
from .guest import boot
from .results import Results, report
from .series import build_series, cmd_series, series_check
from .clients import run_clients
from .bench import BENCH_KERNELS, bench_mem_mib, cmd_bench, cmd_bench_compare
from .test import cmd_check_c, cmd_demo, cmd_test


def main():
    ap = argparse.ArgumentParser(prog="cgv1", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("setup")
    sub.add_parser("prepare")
    b = sub.add_parser("build")
    b.add_argument("variant", nargs="?", default="default", choices=sorted(VARIANTS))
    d = sub.add_parser("demo")
    d.add_argument("--timeout", type=int, default=600)
    t = sub.add_parser("test")
    t.add_argument("--quick", action="store_true",
                   help="only the default kernel: skip the debug kernel (lockdep, KASAN, "
                   "kmemleak, fault injection) and the C kernel")
    t.add_argument("--timeout", type=int, default=900, help="guest time limit in seconds")
    t.add_argument("--seed", type=int, default=FUZZ_SEED,
                   help="test_v1_fuzz's seed (cgv1.seed= on the guests' command line)")
    bt = sub.add_parser("boot")
    bt.add_argument("variant", choices=sorted(VARIANTS))
    bt.add_argument("mode", choices=["test", "demo", "bench"])
    bt.add_argument("--timeout", type=int, default=900)
    bt.add_argument("--only", help="(test mode) run only this kselftest program")
    bt.add_argument("--append", default="",
                    help="more kernel command line, e.g. cgroup_disable=freezer")
    bt.add_argument("--seed", type=int, default=FUZZ_SEED, help="(test mode) test_v1_fuzz's seed")
    bt.add_argument("--repeat", type=int, default=1,
                    help="(test mode) run the kselftests this many times")
    bt.add_argument("--bench", default="",
                    help="(bench mode) cgv1_bench's mode: controllers, cpuset, freezer, kill, rebind or scale")
    bt.add_argument("--mem", type=int, default=None,
                    help="guest memory in MiB (default 2048; 8192 with --bench scale)")
    sp = sub.add_parser("savepatch", help="store edits of upstream files in the cache's tree")
    sp.add_argument("paths", nargs="+")
    bn = sub.add_parser("bench", help="benchmarks against the C implementation (not in CI)")
    bn.add_argument("--rounds", type=int, default=3)
    bn.add_argument("--controllers", action="store_true",
                    help="mount cpuacct and debug (default: two named hierarchies)")
    bn.add_argument("--cpuset", action="store_true",
                    help="mount cpuset and a named hierarchy, and run the cpuset cases")
    bn.add_argument("--freezer", action="store_true",
                    help="run only the freezer cases (freeze_thaw_8_busy_1cpu and "
                    "_100_busy_1cpu; with --wallclock, _4_busy and _100_busy)")
    bn.add_argument("--kill", action="store_true",
                    help="run only the cgroup.kill cases (1,000 tasks in 1 and 100 groups, "
                    "100 tasks; absent on C)")
    bn.add_argument("--rebind", action="store_true",
                    help="run only the rebinding cases (cpuacct added to and removed from "
                         "1,000 groups, with 0 and 1,000 tasks, and 100 groups with 1,000 "
                         "tasks; absent on C)")
    bn.add_argument("--scale", action="store_true",
                    help="run only the scale cases (100,000 groups, depth 1,000, 10,000 "
                    "css_sets, 100,000 threads, memory per group), in an 8 GiB guest")
    bn.add_argument("--wallclock", action="store_true",
                    help="no -icount (the freezer case does not finish under it): noisy")
    bn.add_argument("--timeout", type=int, default=1800)
    bn.add_argument("--compare", metavar="OLD.json",
                    help="after the run, print the cases that moved by more than their spread "
                    "against an earlier out/bench/table.json")
    bc = sub.add_parser("bench-compare", help="compare two out/bench/table.json files")
    bc.add_argument("old")
    bc.add_argument("new")
    bc.add_argument("--kernel", default="ours", choices=[k for k, _ in BENCH_KERNELS])
    cc = sub.add_parser("check-c", help="run our kselftests on the C implementation")
    cc.add_argument("--timeout", type=int, default=900)
    cc.add_argument("--debug", action="store_true",
                    help="in the c-debug kernel: C with debug.config (KASAN, fault injection)")
    cc.add_argument("--fixes", action="store_true",
                    help="with the fixes of harness/c-fixes applied: the C_KNOWN_BUGS walks "
                    "must then pass")
    rb = sub.add_parser("rebase", help="move the base to another linux-source-6.12 version")
    rb.add_argument("version", help="6.12.N, or a Debian version of linux-source-6.12")
    sub.add_parser("clients", help="the Debian 12 client rig alone (systemd, crun, LXC) on "
                   "ours and on C")
    sub.add_parser("series")
    sub.add_parser("series-check")
    bs = sub.add_parser("build-series")
    bs.add_argument("--only-c", action="store_true", help="only the C builds (first, last)")
    args = ap.parse_args()
    ensure_out()
    try:
        if args.cmd == "setup":
            setup()
        elif args.cmd == "prepare":
            setup()
            prepare()
        elif args.cmd == "build":
            setup()
            prepare()
            build(args.variant)
        elif args.cmd == "demo":
            return cmd_demo(args)
        elif args.cmd == "test":
            return cmd_test(args)
        elif args.cmd == "clients":
            results = Results()
            setup()
            prepare()
            run_clients(results)
            report(results)
            return 0 if results.counts()["fail"] == 0 and results.items else 1
        elif args.cmd == "boot":
            extra = (f"cgv1.only={args.only} " if args.only else "") + \
                f"cgv1.seed={args.seed} " + \
                f"cgv1.repeat={args.repeat}" + (f" cgv1.bench={args.bench}" if args.bench else "") + \
                (f" {args.append}" if args.append else "")
            boot(args.variant, args.mode, args.timeout, echo="all", append=extra,
                 mem_mib=args.mem or bench_mem_mib(args.bench if args.mode == "bench" else ""))
        elif args.cmd == "check-c":
            return cmd_check_c(args)
        elif args.cmd == "bench":
            return cmd_bench(args)
        elif args.cmd == "bench-compare":
            return cmd_bench_compare(args)
        elif args.cmd == "savepatch":
            cmd_savepatch(args.paths)
        elif args.cmd == "rebase":
            return cmd_rebase(args.version)
        elif args.cmd == "series":
            cmd_series()
        elif args.cmd == "series-check":
            r = Results()
            series_check(r)
            report(r)
            return 0 if r.counts()["fail"] == 0 else 1
        elif args.cmd == "build-series":
            setup()
            build_series(only_c=args.only_c)
        return 0
    except HarnessError as e:
        print(f"cgv1: error: {e}", file=sys.stderr)
        print("0 passed, 1 failed", flush=True) if args.cmd == "test" else None
        return 1
    finally:
        for n in _TMPFILES:
            try:
                if os.path.isdir(n):
                    shutil.rmtree(n)
                else:
                    os.unlink(n)
            except OSError:
                pass
