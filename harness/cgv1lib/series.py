# SPDX-License-Identifier: GPL-2.0
"""The mail series: generated from the manifest, checked (git am, checkpatch, module
order), the C fixes, and building the kernel at every patch."""

import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

from .common import (
    BASE_DEB_VERSION, BASE_PACKAGE, BASE_VERSION, CACHE, HARNESS, HarnessError, OUT, REPO, SRC,
    VARIANTS, _TMPFILES, _tmpfile, git, log, run,
)
from .setup import make_args, make_env
from .tree import (
    apply_patch_text, base_content, git_apply, overlay_contents, overlay_files, patch_target,
    prepare, prepare_base,
)
from .build import CORE_UNSAFE_MAX, core_unsafe_counts, fresh_build_dir, our_warnings


MANIFEST = REPO / "series" / "manifest"


def parse_manifest():
    """Parses series/manifest: stanzas of 'Key: value' with ' '-indented continuations.

    Files: lists the overlay files a patch brings. 'PATH.patch:REGEX' brings only the lines
    of an upstream file's diff that match REGEX; 'PATH:REGEX' on a file of ours brings only
    its blocks whose first line matches (see partial_file()). The last listing of every file
    must be unfiltered. MAINTAINERS.patch is not listed: its F: lines follow the files (see
    staged_maintainers).
    """
    stanzas = []
    cur = {}
    key = None
    for line in MANIFEST.read_text().splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                stanzas.append(cur)
            cur, key = {}, None
            continue
        if line.startswith(" "):
            if key is None:
                raise HarnessError(f"manifest: continuation without a key: {line!r}")
            body = line[1:]
            cur[key] += ("\n" if cur[key] else "") + ("" if body == "." else body)
            continue
        m = re.match(r"^([\w-]+):\s*(.*)$", line)
        if not m:
            raise HarnessError(f"manifest: bad line {line!r}")
        key = m.group(1).lower()
        cur[key] = m.group(2)
    if cur:
        stanzas.append(cur)
    if not stanzas or "cover-subject" not in stanzas[0]:
        raise HarnessError("manifest: the first stanza must hold Cover-Subject and Cover")
    head, patches = stanzas[0], stanzas[1:]
    last = {}
    for i, p in enumerate(patches):
        if "subject" not in p or "files" not in p or "message" not in p:
            raise HarnessError(f"manifest: a patch needs Subject, Files, Message: {p}")
        entries = []
        for item in p["files"].split():
            path, _, regex = item.partition(":")
            if path in last and last[path][1] is None:
                raise HarnessError(f"manifest: {path} listed after its unfiltered listing")
            last[path] = (i, regex or None)
            entries.append((path, regex or None))
        p["files"] = entries
    overlay = set(overlay_files()) - {"MAINTAINERS.patch"}
    missing = sorted(overlay - set(last))
    extra = sorted(set(last) - overlay)
    partial = sorted(f for f, (_, regex) in last.items() if regex is not None)
    if missing or extra or partial:
        raise HarnessError(f"manifest: not listed {missing}, not in the overlay {extra}, "
                           f"never brought whole {partial}")
    return head, patches


def partial_patch(text, filters):
    """The part of a unified diff whose changed lines match one of the regexes in filters:
    other '+' lines are dropped and other '-' lines become context."""
    out = []
    offset = 0
    hunk = None

    def flush():
        nonlocal offset
        if hunk is None:
            return
        old_start, body = hunk
        if not any(x[:1] in ("+", "-") for x in body):
            return
        old_n = sum(1 for x in body if x[:1] in (" ", "-"))
        new_n = sum(1 for x in body if x[:1] in (" ", "+"))
        out.append(f"@@ -{old_start},{old_n} +{old_start + offset},{new_n} @@\n")
        out.extend(body)
        offset += new_n - old_n

    for line in text.splitlines(keepends=True):
        m = re.match(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@", line)
        if m:
            flush()
            hunk = (int(m.group(1)), [])
            continue
        if hunk is None or line.startswith("\\"):
            (out if hunk is None else hunk[1]).append(line)
            continue
        keep = any(re.search(f, line[1:]) for f in filters)
        if line.startswith("+") and not keep:
            continue
        if line.startswith("-") and not keep:
            line = " " + line[1:]
        hunk[1].append(line)
    flush()
    return "".join(out)


def partial_file(path, data, filters):
    """Part of a file of ours, so that a patch can bring part of it: the lines that one of the
    filters selects, in the file's order.

    - REGEX: the blocks whose first line matches. A block starts at a line that is neither
      blank nor indented (a Kconfig entry, a Rust item) and runs up to the next; in a .rst
      file, a block is a section: it starts at a section title (at its overline, if any).
    - <REGEX: the lines before the first line that matches (the first part of a file that a
      later patch completes)."""
    lines = data.decode().splitlines(keepends=True)
    n = len(lines)
    under = re.compile(r"^([=\-~^*#])\1+\s*$")

    def is_title(i):
        return i + 1 < n and bool(lines[i].strip()) and not under.match(lines[i]) and \
            under.match(lines[i + 1]) is not None

    def starts_block(i):
        if not path.endswith(".rst"):
            return bool(lines[i].strip()) and not lines[i][0].isspace()
        if is_title(i):
            return not (i > 0 and under.match(lines[i - 1]))
        return under.match(lines[i]) is not None and is_title(i + 1) and i + 2 < n

    keep = [False] * n
    blocks = []
    for i in range(n):
        if not blocks or starts_block(i):
            blocks.append([])
        blocks[-1].append(i)
    for f in filters:
        if f.startswith("<"):
            for i in range(n):
                if re.search(f[1:], lines[i].rstrip("\n")):
                    break
                keep[i] = True
            continue
        for b in blocks:
            if re.search(f, lines[b[0]].rstrip("\n")):
                for i in b:
                    keep[i] = True
    out = "".join(line for i, line in enumerate(lines) if keep[i])
    # A part ends where the next part's first item begins: no blank lines at its end.
    return (out.rstrip("\n") + "\n" if out.strip() else "").encode()


def staged_maintainers(full, present):
    """MAINTAINERS as of a patch: our entry's F: lines that match no file present yet are
    dropped, so the entry grows with the series and each patch that adds files updates it."""
    base = base_content("MAINTAINERS").decode().splitlines(keepends=True)
    base_set = set(base)
    out = []
    for line in full.decode().splitlines(keepends=True):
        m = re.match(r"^F:\t(\S+)\s*$", line)
        if m and line not in base_set:
            pat = m.group(1)
            if pat.endswith("/"):
                hit = any(p.startswith(pat) for p in present)
            else:
                hit = any(fnmatch.fnmatch(p, pat) for p in present)
            if not hit:
                continue
        out.append(line)
    return "".join(out).encode()


def worktree(name):
    wt = CACHE / name
    # A worktree of an earlier base (the base was unpacked again since) is made anew.
    fresh = (wt / ".git").exists() and git("rev-parse", "--git-common-dir", cwd=wt,
                                            check=False).returncode == 0 and \
        Path(wt, git("rev-parse", "--git-common-dir", cwd=wt).stdout.strip()).resolve() == \
        (SRC / ".git").resolve()
    if not fresh:
        if wt.exists():
            shutil.rmtree(wt)
        git("worktree", "prune")
        log(f"creating worktree {wt}")
        git("worktree", "add", "-f", "--detach", str(wt), "base")
    else:
        git("checkout", "-q", "-f", "--detach", "base", cwd=wt)
        git("clean", "-q", "-fdx", cwd=wt)
    return wt


def manifest_identity(head):
    """The manifest's Author: as "Name <email>" and as git's environment."""
    author = head.get("author", "")
    m = re.match(r"^(.*?)\s*<(.*)>$", author)
    if not m:
        raise HarnessError("manifest: Author: Name <email> is required in the first stanza")
    return author, {"GIT_AUTHOR_NAME": m.group(1), "GIT_AUTHOR_EMAIL": m.group(2),
                    "GIT_COMMITTER_NAME": m.group(1), "GIT_COMMITTER_EMAIL": m.group(2)}


def generate_series(dest):
    prepare_base()
    head, patches = parse_manifest()
    contents = overlay_contents()
    wt = worktree("series-wt")
    author, ident = manifest_identity(head)
    present_now = []
    filters = {}
    for p in patches:
        for f, regex in p["files"]:
            if not f.endswith(".patch"):
                present_now.append(f)
                dst = wt / f
                dst.parent.mkdir(parents=True, exist_ok=True)
                filters.setdefault(f, []).append(regex)
                if None in filters[f]:
                    dst.write_bytes(contents[f])
                else:
                    dst.write_bytes(partial_file(f, contents[f], filters[f]))
                if (REPO / f).stat().st_mode & 0o111:
                    os.chmod(dst, 0o755)
                continue
            target = patch_target(f)
            filters.setdefault(target, []).append(regex)
            if None in filters[target]:
                data = contents[target]
            else:
                part = partial_patch((REPO / f).read_text(), filters[target])
                data = apply_patch_text(f, part, target, base_content(target))
            (wt / target).write_bytes(data)
        if "MAINTAINERS" in contents:
            (wt / "MAINTAINERS").write_bytes(
                staged_maintainers(contents["MAINTAINERS"], present_now))
        git("add", "-A", "-f", ".", cwd=wt)  # Debian's top-level .gitignore ignores all
        msg = p["subject"] + "\n\n" + p["message"].rstrip() + "\n\n" + \
            f"Signed-off-by: {author}\n"
        git("commit", "-q", "--no-verify", "-F", _tmpfile(msg), cwd=wt, env=ident)
    # The last commit must leave the whole overlay in place.
    for target, data in contents.items():
        if (wt / target).read_bytes() != data:
            raise HarnessError(f"series: {target} differs from the overlay after the last patch")
    with tempfile.TemporaryDirectory() as tmp:
        git("format-patch", "-q", "--cover-letter", "--no-signature", "--zero-commit",
            "--base=base", "--subject-prefix=" + head.get("subject-prefix", "PATCH"),
            "-o", tmp, "base..HEAD", cwd=wt, env=ident)
        record = build_record_text(sorted(f for f in Path(tmp).iterdir()
                                          if not f.name.startswith("0000-")))
        for f in sorted(Path(tmp).iterdir()):
            text = f.read_text()
            if f.name.startswith("0000-"):
                text = text.replace("*** SUBJECT HERE ***", head["cover-subject"])
                base_line = textwrap.fill(
                    f"Based on Linux {BASE_VERSION} as Debian 12 ships it ({BASE_PACKAGE} "
                    f"{BASE_DEB_VERSION}), unpacked and committed as the base-commit named "
                    "below.", width=72)
                text = text.replace("*** BLURB HERE ***",
                                    head.get("cover", "").rstrip() + "\n\n" +
                                    record + "\n\n" +
                                    unsafe_table() + "\n\n" + base_line)
            dest.mkdir(parents=True, exist_ok=True)
            (dest / f.name).write_text(text)


def series_hashes(mails):
    """The hashes build-series records: of the mails up to each one, in order, without their
    "[PATCH n/N]" (which changes with the number of patches)."""
    h = hashlib.sha256()
    out = []
    for m in mails:
        h.update(re.sub(rb"^Subject: \[[^\]]*\]", b"Subject:", m.read_bytes(), flags=re.M))
        out.append(h.hexdigest())
    return out


def build_record_text(mails):
    """The cover letter's paragraph on harness/build-series.json: when, at which commit, how
    many patches built, and whether the record is of exactly these patches."""
    if not SERIES_RECORD.exists():
        return "Every patch building has not been checked (harness/cgv1 build-series)."
    r = json.loads(SERIES_RECORD.read_text())
    same = r.get("series_hash") == (series_hashes(mails) or [None])[-1]
    warns = sum(r.get("warnings", {}).values())
    text = (f"Every patch builds: harness/cgv1 build-series built the kernel at "
            f"{r['built']} of {r['patches']} patches with the default configuration (ours "
            f"and the controllers built in, KUnit doctests on) and with the C implementation "
            f"(CONFIG_CGROUPS=y) at patches {r['c_built_at'][0]} and {r['c_built_at'][1]}, on "
            f"{r['date']} at {r['commit']}, {round(r['seconds_total'] / 60)} minutes of "
            f"building on 2 cores, with {warns or 'no'} compiler warning"
            f"{'' if warns == 1 else 's'} from our code"
            + ("." if same else "; the patches changed since (see the changelog)."))
    return textwrap.fill(text, width=72)


def unsafe_table():
    """The cover letter's count of `unsafe {` blocks (doctests aside) in the Rust files the
    series adds: the core, per file, then the abstractions and the controllers."""
    def count(f):
        lines = [l for l in f.read_text().splitlines() if not l.lstrip().startswith("//")]
        return sum(l.count("unsafe {") for l in lines)
    core = core_unsafe_counts()
    ours = [f for f in overlay_files() if f.endswith(".rs")]
    rows = [(f, n) for f, n in sorted(core.items(), key=lambda x: (-x[1], x[0])) if n]
    other = sorted(((f, count(REPO / f)) for f in ours if f not in core), key=lambda x: (-x[1], x[0]))
    out = [textwrap.fill(f"Unsafe blocks (doctests aside): the core has {sum(core.values())} "
                         f"(at most {CORE_UNSAFE_MAX}, checked by the test command), at the "
                         "boundary with C or on C's lists, each with its SAFETY comment:",
                         width=72), ""]
    out += [f"  {n:4}  {f}" for f, n in rows]
    out += ["", "The abstractions, and the controllers (which have none):", ""]
    out += [f"  {n:4}  {f}" for f, n in other]
    return "\n".join(out)


def series_patches(d):
    return sorted(p for p in d.glob("*.patch"))


C_FIXES = HARNESS / "c-fixes"


def c_fix_files():
    """harness/c-fixes/*.patch: fixes of the C implementation found by our tests, each a
    'Subject:' line, the message, '---' and a diff against the base."""
    return sorted(C_FIXES.glob("*.patch")) if C_FIXES.is_dir() else []


def split_c_fix(path):
    text = path.read_text()
    head, sep, diff = text.partition("\n---\n")
    m = re.match(r"^Subject: (.*)\n\n", head)
    if not sep or not m:
        raise HarnessError(f"{path}: want 'Subject: ...', a blank line, the message, '---', "
                           "the diff")
    return m.group(1), head[m.end():].rstrip() + "\n", diff


def generate_c_fixes(dest):
    """The C fixes as a mail series of their own, on the base (not on our series): they go to
    the cgroup list first, and stand without the Rust work."""
    fixes = c_fix_files()
    if not fixes:
        return
    head, _ = parse_manifest()
    author, ident = manifest_identity(head)
    wt = worktree("cfix-wt")
    for path in fixes:
        subject, body, diff = split_c_fix(path)
        git_apply(diff, wt, f"{path} does not apply to the base")
        git("add", "-A", "-f", ".", cwd=wt)
        msg = f"{subject}\n\n{body}\nSigned-off-by: {author}\n"
        git("commit", "-q", "--no-verify", "-F", _tmpfile(msg), cwd=wt, env=ident)
    with tempfile.TemporaryDirectory() as tmp:
        git("format-patch", "-q", "--no-signature", "--zero-commit", "--base=base",
            "-o", tmp, "base..HEAD", cwd=wt, env=ident)
        dest.mkdir(parents=True, exist_ok=True)
        for f in sorted(Path(tmp).iterdir()):
            (dest / f.name).write_text(f.read_text())


def apply_c_fixes(src):
    """Applies harness/c-fixes to the tree at src; returns the files they change."""
    changed = []
    for path in c_fix_files():
        _, _, diff = split_c_fix(path)
        changed += re.findall(r"^\+\+\+ b/(\S+)", diff, re.M)
        git_apply(diff, src, f"{path} does not apply")
    return sorted(set(changed))


def cmd_series():
    for p in series_patches(REPO / "series"):
        p.unlink()
    generate_series(REPO / "series")
    log(f"series/: {len(series_patches(REPO / 'series'))} files written")
    cfix = REPO / "series" / "c-fixes"
    for p in series_patches(cfix) if cfix.is_dir() else []:
        p.unlink()
    generate_c_fixes(cfix)
    if cfix.is_dir():
        log(f"series/c-fixes/: {len(series_patches(cfix))} files written")


def _strip_rust(text):
    """Rust source with comments and string literals blanked (a rough cut, enough to find
    module declarations and paths)."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


def _use_heads(text, root):
    """The first segment of every path under `root::` in text: `root::a::b`, and each item of
    `root::{a, b::{c}, d}` at the top level of the braces."""
    heads = set(re.findall(rf"\b{root}::(\w+)", text))
    for m in re.finditer(rf"\b{root}::\{{", text):
        depth, i, item = 1, m.end(), ""
        while i < len(text) and depth:
            c = text[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            if depth == 1 and c == ",":
                heads.update(re.findall(r"^\s*(\w+)", item))
                item = ""
            elif depth >= 1 and not (depth == 1 and c == "{"):
                item += c if depth == 1 else ""
            i += 1
        heads.update(re.findall(r"^\s*(\w+)", item))
    return heads


def series_order_check(results, wt):
    """At every patch of the series applied in wt: the Rust modules that are built (declared
    in rust/kernel/lib.rs and cgroup.rs, with their #[cfg(CONFIG_*)] symbol defined by some
    Kconfig file at that patch, and the controllers kernel/cgroup/Makefile names) have their
    files, and refer (crate::X, kernel::X, super::X) only to modules that are built at that
    patch. This is the cheap, always-run part of `build-series`: it catches a patch that
    declares a module before the modules it uses (a crate that would not build there) without
    building anything."""
    commits = git("rev-list", "--reverse", "base..HEAD", cwd=wt).stdout.split()
    kconfig_syms = set(re.findall(r"^(?:menu)?config\s+(\w+)", git(
        "grep", "-h", "-E", "-e", "^(menu)?config ", "base", "--", "*Kconfig*",
        cwd=wt).stdout, re.M))
    files = {}
    problems = []

    def content(c, path):
        key = (path,)
        if key not in files or files[key][0] != c:
            p = subprocess.run(["git", "show", f"{c}:{path}"], cwd=wt, capture_output=True)
            files[key] = (c, p.stdout.decode(errors="replace") if p.returncode == 0 else None)
        return files[key][1]

    final_mods = None
    for n, c in enumerate(commits, 1):
        syms = set(kconfig_syms)
        for kf in ("init/Kconfig.cgroup",):
            text = content(c, kf) or ""
            syms |= set(re.findall(r"^(?:menu)?config\s+(\w+)", text, re.M))

        def declared(parent_file, parent_dir):
            text = _strip_rust(content(c, parent_file) or "")
            mods = {}
            for m in re.finditer(r"((?:#\[[^\]]*\]\s*)*)(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;",
                                 text):
                need = re.findall(r"CONFIG_(\w+)", m.group(1))
                negated = "not(" in m.group(1)
                if negated or all(x in syms for x in need):
                    mods[m.group(2)] = next((f for f in (f"{parent_dir}/{m.group(2)}.rs",
                                                          f"{parent_dir}/{m.group(2)}/mod.rs")
                                             if content(c, f) is not None), None)
            return mods

        top = declared("rust/kernel/lib.rs", "rust/kernel")
        cg = declared("rust/kernel/cgroup.rs", "rust/kernel/cgroup") if top.get("cgroup") else {}
        built = [f for f in top.values() if f] + [f for f in cg.values() if f]
        for name, f in list(top.items()) + list(cg.items()):
            if f is None:
                problems.append(f"patch {n}: mod {name} is built but its file is not there")
        mk = content(c, "kernel/cgroup/Makefile") or ""
        ctl = [f"kernel/cgroup/{m}.rs" for m in re.findall(r"\+= (\w+)\.o", mk)
               if content(c, f"kernel/cgroup/{m}.rs") is not None
               and f"RUST_CGROUP_{m.upper()}" in syms]
        if final_mods is None:
            last = commits[-1]
            final_mods = set(re.findall(r"\bmod\s+(\w+)\s*;",
                                        _strip_rust(content(last, "rust/kernel/lib.rs") or "")))
            final_cg = set(re.findall(r"\bmod\s+(\w+)\s*;",
                                      _strip_rust(content(last, "rust/kernel/cgroup.rs") or "")))
        for f in built + ctl:
            text = _strip_rust(content(c, f) or "")
            root = "kernel" if f.startswith("kernel/") else "crate"
            for h in sorted(_use_heads(text, root) & final_mods - set(top)):
                problems.append(f"patch {n}: {f} uses {root}::{h}, not built until a later patch")
            if f.startswith("rust/kernel/cgroup/"):
                for h in sorted(_use_heads(text, "super") & final_cg - set(cg)):
                    problems.append(f"patch {n}: {f} uses super::{h}, not built until later")
    results.add("series", f"every built module's dependencies are built at each of the "
                f"{len(commits)} patches", not problems, "\n".join(problems[:30]))


def check_up_to_date(results, group, generate, source, committed):
    """Generates mails with generate(dir) and compares them with those committed in the
    directory committed (`harness/cgv1 series` writes both); False if generating failed."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            generate(Path(tmp))
        except HarnessError as e:
            results.add(group, f"generated from {source}", False, str(e))
            return False
        fresh = {p.name: p.read_text() for p in series_patches(Path(tmp))}
    have = {p.name: p.read_text() for p in series_patches(committed)} if committed.is_dir() else {}
    stale = sorted(n for n in set(fresh) | set(have) if fresh.get(n) != have.get(n))
    results.add(group, f"{committed.relative_to(REPO)}/ is up to date (harness/cgv1 series)",
                not stale, f"stale, missing or extra: {', '.join(stale)}")
    return True


def series_check(results):
    if not check_up_to_date(results, "series", generate_series, "the manifest", REPO / "series"):
        return
    wt = worktree("am-wt")
    mails = [str(p) for p in series_patches(REPO / "series") if not p.name.startswith("0000-")]
    am = git("am", "-q", "--whitespace=error-all", *mails, cwd=wt, check=False)
    ok = am.returncode == 0
    if ok:
        for target, data in overlay_contents().items():
            if not (wt / target).exists() or (wt / target).read_bytes() != data:
                ok = False
                am.stderr = f"{target} after git am is missing or differs from the overlay"
    else:
        git("am", "--abort", cwd=wt, check=False)
    results.add("series", "applies with git am to the base and equals the overlay", ok,
                "" if ok else am.stderr[-2000:])
    if ok:
        series_order_check(results, wt)
    for mail in mails:
        clean, out = checkpatch(wt, mail, checkpatch_false_positive)
        results.add("checkpatch", Path(mail).name, clean, "" if clean else out[-3000:])
    c_fixes_check(results)


# Upstream commits that the C fixes name in Fixes: tags. The base is a tarball committed
# without history, so checkpatch cannot look them up (UNKNOWN_COMMIT_ID); each was checked by
# hand against the kernel's history (hash and subject).
UPSTREAM_COMMITS = {
    "35ac1184244f": "cgroup: saner refcounting for cgroup_root",
    "334c3679ec4b": "cgroup: reimplement rebind_subsystems() using cgroup_apply_control() "
                    "and friends",
}


def known_upstream_commit(finding):
    """UNKNOWN_COMMIT_ID for a commit of UPSTREAM_COMMITS (see there)."""
    kind, message, _ = finding
    m = re.search(r"Unknown commit id '([0-9a-f]{12})'", message)
    return kind == "UNKNOWN_COMMIT_ID" and m is not None and m.group(1) in UPSTREAM_COMMITS


def c_fixes_check(results):
    """series/c-fixes/: current, applies with git am to the pristine base, checkpatch clean."""
    if not c_fix_files():
        return
    cfix = REPO / "series" / "c-fixes"
    if not check_up_to_date(results, "c-fixes", generate_c_fixes, "harness/c-fixes", cfix):
        return
    wt = worktree("am-wt")
    mails = [str(p) for p in series_patches(cfix)]
    am = git("am", "-q", "--whitespace=error-all", *mails, cwd=wt, check=False)
    if am.returncode != 0:
        git("am", "--abort", cwd=wt, check=False)
    results.add("c-fixes", "applies with git am to the pristine base", am.returncode == 0,
                am.stderr[-2000:])
    for mail in mails:
        clean, out = checkpatch(wt, mail, known_upstream_commit)
        # The Fixes: tags must name the commits as the kernel's history has them.
        for h, subject in re.findall(r'^Fixes: ([0-9a-f]{12}) \("(.*)"\)$',
                                     Path(mail).read_text().replace("\n ", " "), re.M):
            if UPSTREAM_COMMITS.get(h) != subject:
                clean = False
                out += f"\nFixes: {h} is not in UPSTREAM_COMMITS with that subject"
        results.add("checkpatch", "c-fixes/" + Path(mail).name, clean,
                    "" if clean else out[-3000:])


def checkpatch(wt, mail, accepted):
    """checkpatch.pl --strict of the tree wt on mail: (clean, its output). A finding for which
    accepted() is true (a narrowly matched false positive) does not count."""
    p = run(["perl", str(wt / "scripts/checkpatch.pl"), "--strict", "--no-color",
             "--show-types", "--showfile", mail], cwd=wt, capture=True, check=False)
    found = checkpatch_findings(p.stdout)
    real = [f for f in found if not accepted(f)]
    total = re.search(r"total: (\d+) errors, (\d+) warnings, (\d+) checks", p.stdout)
    clean = total is not None and not real and sum(map(int, total.groups())) == len(found)
    return clean, p.stdout


def checkpatch_findings(out):
    """Splits checkpatch output into findings: (type, message, the patch lines quoted)."""
    findings = []
    for block in out.split("\n\n"):
        m = re.search(r"^\S*:? ?(?:ERROR|WARNING|CHECK):(\w+): (.*)$", block, re.M)
        if m:
            quoted = [x for x in block.splitlines() if x.startswith("+")]
            findings.append((m.group(1), m.group(2), quoted))
    return findings


def checkpatch_false_positive(finding):
    """Known false positives of checkpatch --strict, each one narrowly matched.

    EMBEDDED_FILENAME on a Kconfig 'source' line: init/Kconfig sourcing init/Kconfig.cgroup
    names a file whose name begins with its own (as arch/x86/Kconfig does with Kconfig.cpu).
    """
    kind, _, quoted = finding
    return kind == "EMBEDDED_FILENAME" and len(quoted) == 1 and \
        re.fullmatch(r'\+source "[\w/.-]+"', quoted[0]) is not None


SERIES_RECORD = HARNESS / "build-series.json"


def build_series(only_c=False):
    """Builds the kernel at every patch of the series (not part of the test: about an hour and
    a half on 2 cores from cold): the default variant at every patch, and the C one (`c`,
    CONFIG_CGROUPS=y) at the first and the last. Resumable: each built patch is recorded in
    CACHE/build/series/progress.json with the hash of the series up to it, and a run skips the
    patches whose prefix was built already (the build directory is incremental, so a changed
    patch rebuilds what it touches). The result of a run to the end is written to
    harness/build-series.json (committed: the cover letter and README quote it). Each build's
    log is out/series/<n>-build.log; rustc and C warnings are counted."""
    t_start = time.monotonic()
    prepare()
    # A copy, so that series/ may be regenerated while this runs.
    snap = Path(tempfile.mkdtemp(prefix="cgv1-series-"))
    _TMPFILES.append(str(snap))
    mails = []
    for p in series_patches(REPO / "series"):
        if not p.name.startswith("0000-"):
            shutil.copy(p, snap / p.name)
            mails.append(snap / p.name)
    prefix = series_hashes(mails)
    progress_file = CACHE / "build" / "series" / "progress.json"
    build_dir = fresh_build_dir(CACHE / "build" / "series")
    progress = json.loads(progress_file.read_text()) if progress_file.exists() else {}
    wt = worktree("bs-wt")
    (OUT / "series").mkdir(parents=True, exist_ok=True)

    def config(bdir, variant, i):
        frags = [HARNESS / "configs" / f for f in VARIANTS[variant]]
        args = make_args(bdir, src=wt)
        run(args + ["tinyconfig"], env=make_env(), logfile=OUT / "series" / f"{i}-{variant}-config.log")
        run([str(wt / "scripts/kconfig/merge_config.sh"), "-m", "-O", str(bdir),
             str(bdir / ".config"), *map(str, frags)], cwd=wt, env=make_env(),
            logfile=OUT / "series" / f"{i}-{variant}-merge.log")
        run(args + ["olddefconfig"], env=make_env(), logfile=OUT / "series" / f"{i}-{variant}-config.log")

    def make(bdir, variant, i):
        logf = OUT / "series" / f"{i}-{variant}-build.log"
        t = time.monotonic()
        run(make_args(bdir, src=wt) + [f"-j{os.cpu_count() or 2}", "bzImage"], env=make_env(),
            logfile=logf)
        return round(time.monotonic() - t), len(our_warnings(None, logf))

    def c_build(i):
        key = f"c:{i}"
        if progress.get(key, {}).get("prefix") == prefix[i - 1]:
            log(f"[C at {i}/{len(mails)}] built already")
            return
        bdir = fresh_build_dir(CACHE / "build" / "series-c")
        config(bdir, "c", i)
        secs, warns = make(bdir, "c", i)
        progress[key] = {"prefix": prefix[i - 1], "seconds": secs, "warnings": warns,
                         "mail": mails[i - 1].name}
        progress_file.write_text(json.dumps(progress, indent=1) + "\n")
        log(f"[C at {i}/{len(mails)}] built in {secs}s, {warns} warnings")

    configured = False
    for i, mail in enumerate(mails, 1):
        git("am", "-q", str(mail), cwd=wt)
        if i == 1:
            c_build(1)
        if only_c:
            continue
        done = progress.get(str(i), {})
        if done.get("prefix") == prefix[i - 1]:
            continue
        touched = re.findall(r"^\+\+\+ b/(\S+)", mail.read_text(), re.M)
        if not configured or not (build_dir / ".config").exists() or \
                any("Kconfig" in f for f in touched):
            config(build_dir, "default", i)
            configured = True
        log(f"[{i}/{len(mails)}] building at {mail.name}")
        secs, warns = make(build_dir, "default", i)
        progress[str(i)] = {"prefix": prefix[i - 1], "seconds": secs, "warnings": warns,
                            "mail": mail.name}
        progress_file.write_text(json.dumps(progress, indent=1) + "\n")
        log(f"[{i}/{len(mails)}] built in {secs}s, {warns} warnings")
    c_build(len(mails))
    if only_c:
        return
    rows = [progress[str(i)] for i in range(1, len(mails) + 1)]
    for i, r in enumerate(rows, 1):
        r["warnings"] = len(our_warnings(None, OUT / "series" / f"{i}-default-build.log"))
    # The commit whose kernel tree was built: the last one that changed the overlay (the
    # harness, README and series/ are not part of the tree).
    head = git("log", "-1", "--format=%h", "--abbrev=12", "--", ".", ":!harness", ":!series",
               ":!README.md", ":!.ci", cwd=REPO).stdout.strip()
    dirty = bool(git("status", "--porcelain", "--", ".", ":!harness", ":!series", ":!README.md",
                     ":!.ci", ":!out", cwd=REPO).stdout.strip())
    record = {
        "commit": head + ("+uncommitted-changes" if dirty else ""),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "patches": len(mails),
        "built": len(rows),
        "c_built_at": [1, len(mails)],
        "seconds_total": sum(r["seconds"] for r in rows) +
        progress["c:1"]["seconds"] + progress[f"c:{len(mails)}"]["seconds"],
        "seconds_this_run": round(time.monotonic() - t_start),
        "warnings": {r["mail"]: r["warnings"] for r in rows if r["warnings"]},
        "series_hash": prefix[-1],
    }
    SERIES_RECORD.write_text(json.dumps(record, indent=1) + "\n")
    log(f"all {len(mails)} patches build (default), C builds at 1 and {len(mails)}; "
        f"recorded in {SERIES_RECORD.relative_to(REPO)}")
