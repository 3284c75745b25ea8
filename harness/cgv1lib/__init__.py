# SPDX-License-Identifier: GPL-2.0
"""cgv1lib: the harness of the Rust cgroup v1 series, one module per job.

Modules, each importing only those listed before it:

- common: paths, pinned versions, kernel variants, running commands and git;
- setup: the toolchain and packages, installed when missing and checked;
- tree: the base tree from Debian's package, the overlay, savepatch and rebase;
- build: configurations and builds, the warnings and lints of our files;
- guest: the initramfs and QEMU boots;
- results: parsing KUnit, kselftests and kernel logs, the report;
- series: the mail series (generation, checks, the C fixes, build-series);
- clients: the Debian 12 client rig;
- bench: benchmarks and their tables;
- test: the test command, the demo, check-c;
- cli: the command line (harness/cgv1).
"""
