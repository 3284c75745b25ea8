# SPDX-License-Identifier: GPL-2.0
"""The kernel tree: the base unpacked from Debian's package, the overlay laid on it, and
edits of upstream files stored as patches."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .common import (
    BASE_DEB_VERSION, BASE_PACKAGE, BASE_TARBALL, BASE_VERSION, CACHE, HARNESS, HarnessError,
    NOT_OVERLAY_FILES, NOT_OVERLAY_PREFIXES, OUT, REPO, SRC, VERSIONS_FILE, git, log, run,
)
from .setup import archive_versions, setup


def unpack_base(tarball, src, version, deb_version):
    """Unpacks a linux-source tarball into src and commits it as the tag 'base'. The commit's
    identity and date are fixed, so that one tarball always gives the same base commit (the
    cover letter's base-commit:)."""
    log(f"unpacking {tarball} into {src.parent}")
    if src.exists():
        shutil.rmtree(src)
    src.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=src.parent) as tmp:
        run(["tar", "-xJf", str(tarball), "-C", tmp])
        top = [p for p in Path(tmp).iterdir()]
        if len(top) != 1 or not top[0].is_dir():
            raise HarnessError(f"{tarball}: expected one top directory, found {top}")
        top[0].rename(src)
    got = run(["make", "-s", "kernelversion"], cwd=src, capture=True).stdout.strip()
    if got != version:
        raise HarnessError(f"base tarball {tarball} is {got}, expected {version}")
    log(f"committing the pristine base ({version})")
    git("init", "-q", "-b", "base-branch", cwd=src)
    git("add", "-A", "-f", ".", cwd=src)
    git("commit", "-q", "--no-verify", "-m",
        f"Linux {version} (Debian {BASE_PACKAGE} {deb_version})", cwd=src)
    git("tag", "base", cwd=src)
    (src / ".git" / "cgv1-base-ok").write_text(deb_version + "\n")


def prepare_base():
    """Unpacks the pinned base into the cache once (again when the pin moves)."""
    marker = SRC / ".git" / "cgv1-base-ok"
    if marker.exists() and marker.read_text().strip() == BASE_DEB_VERSION:
        return
    unpack_base(BASE_TARBALL, SRC, BASE_VERSION, BASE_DEB_VERSION)
    (OUT / "state").mkdir(parents=True, exist_ok=True)
    state = CACHE / "overlay-state.json"
    if state.exists():
        state.unlink()


def overlay_files():
    """The repository files that make up the kernel overlay, sorted."""
    p = run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture=True)
    files = []
    for f in p.stdout.splitlines():
        if f in NOT_OVERLAY_FILES or f.startswith(NOT_OVERLAY_PREFIXES):
            continue
        if (REPO / f).is_file():
            files.append(f)
    return sorted(files)


def base_content(path, tree="base"):
    p = subprocess.run(["git", "show", f"{tree}:{path}"], cwd=SRC, capture_output=True)
    return p.stdout if p.returncode == 0 else None


def patch_target(patch_file):
    return patch_file[:-len(".patch")]


def apply_patch(patch_file, target, base):
    """Applies repo file patch_file (a diff against the base) to base content of target."""
    return apply_patch_text(patch_file, (REPO / patch_file).read_text(), target, base)


def git_apply(diff, cwd, what):
    """Applies the unified diff text diff in the directory cwd; on failure, what and git's
    words."""
    p = subprocess.run(["git", "apply", "--whitespace=nowarn", "-"], input=diff, cwd=cwd,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise HarnessError(f"{what}:\n{p.stderr}")


def apply_patch_text(patch_file, text, target, base):
    """Applies diff text (from patch_file, named in errors) to base content of target."""
    named = set(re.findall(r"^(?:\+\+\+ b|--- a)/(\S+)", text, re.M))
    if named != {target}:
        raise HarnessError(f"{patch_file}: must be a diff of {target} alone (a/ and b/ "
                           f"prefixes), names {sorted(named)}")
    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp, target)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(base)
        git_apply(text, tmp, f"{patch_file} does not apply to the base")
        return dst.read_bytes()


def overlay_contents():
    """Maps each kernel path the overlay changes to its content (base + overlay)."""
    result = {}
    for f in overlay_files():
        if f.endswith(".patch"):
            target = patch_target(f)
            base = base_content(target)
            if base is None:
                raise HarnessError(f"{f}: {target} is not a file of the base tree")
            result[target] = apply_patch(f, target, base)
        else:
            if base_content(f) is not None:
                raise HarnessError(f"{f} is a file of the base tree: store it as {f}.patch")
            result[f] = (REPO / f).read_bytes()
    return result


def write_if_changed(path, data):
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".cgv1-tmp")
    tmp.write_bytes(data)
    mode = (REPO / path.relative_to(SRC)).stat().st_mode & 0o777 \
        if (REPO / path.relative_to(SRC)).exists() else None
    if path.exists():
        mode = path.stat().st_mode & 0o777
    if mode:
        os.chmod(tmp, mode)
    os.replace(tmp, path)
    return True


def prepare():
    """Lays the overlay on the working tree; only changed files are rewritten."""
    prepare_base()
    contents = overlay_contents()
    state_file = CACHE / "overlay-state.json"
    old = json.loads(state_file.read_text()) if state_file.exists() else []
    changed = [t for t, data in contents.items() if write_if_changed(SRC / t, data)]
    for t in sorted(set(old) - set(contents)):
        base = base_content(t)
        if base is None:
            if (SRC / t).exists():
                (SRC / t).unlink()
        else:
            write_if_changed(SRC / t, base)
        changed.append(t)
    state_file.write_text(json.dumps(sorted(contents), indent=1) + "\n")
    log(f"overlay: {len(contents)} files, {len(changed)} changed"
        + (f" ({', '.join(changed[:6])}{', ...' if len(changed) > 6 else ''})" if changed else ""))
    return contents


def cmd_savepatch(paths):
    """Stores edits made in the cache's working tree to upstream files as <path>.patch."""
    for path in paths:
        rel = str(Path(path).resolve().relative_to(SRC)) if Path(path).is_absolute() else path
        if base_content(rel) is None:
            raise HarnessError(f"{rel} is not a file of the base tree")
        diff = git("diff", "--no-color", "--no-ext-diff", "base", "--", rel).stdout
        dst = REPO / (rel + ".patch")
        if not diff:
            if dst.exists():
                dst.unlink()
            log(f"{rel}: no change from the base, {dst.name} removed")
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(diff)
        log(f"wrote {dst.relative_to(REPO)}")


def cmd_rebase(version):
    """Moves the base to another linux-source-6.12 of the archive: every *.patch of ours is
    merged onto the new base (a three-way merge: old base, ours, new base); on a conflict
    nothing changes and each file's conflicting hunks are shown. Then harness/versions (and
    the README's table) name the new version and series/ is generated anew."""
    setup()
    prepare_base()
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    offered = archive_versions(BASE_PACKAGE)
    match = [v for v in offered if v == version or v.split("-")[0] == version]
    if not match:
        raise HarnessError(f"{BASE_PACKAGE} {version} is not in the archive, which offers: "
                           f"{', '.join(offered) or 'nothing'}")
    deb = match[0]
    new_version = deb.split("-")[0]
    if deb == BASE_DEB_VERSION:
        log(f"the base is {deb} already")
        return 0
    log(f"moving the base from {BASE_DEB_VERSION} to {deb}")
    # The new tarball is fetched without touching the installed package, so that a failed
    # rebase leaves the machine as the pins say.
    dl = CACHE / "rebase"
    if dl.exists():
        shutil.rmtree(dl)
    dl.mkdir(parents=True)
    run(["apt-get", "download", f"{BASE_PACKAGE}={deb}"], cwd=dl, env=env,
        logfile=OUT / "rebase" / "download.log")
    debs = list(dl.glob("*.deb"))
    if len(debs) != 1:
        raise HarnessError(f"apt-get download gave {debs}")
    run(["dpkg-deb", "-x", str(debs[0]), str(dl / "root")])
    tarball = dl / "root" / BASE_TARBALL.relative_to("/")
    new_src = dl / "src" / SRC.name
    unpack_base(tarball, new_src, new_version, deb)

    conflicts = []
    rewritten = {}
    for f in overlay_files():
        if not f.endswith(".patch"):
            if (new_src / f).exists():
                conflicts.append(f"{f}: the new base has this file: store our change as "
                                 f"{f}.patch")
            continue
        target = patch_target(f)
        old_base = base_content(target)
        new_path = new_src / target
        if not new_path.exists():
            conflicts.append(f"{f}: {target} is not in the new base")
            continue
        new_base = new_path.read_bytes()
        if new_base == old_base:
            continue
        ours = apply_patch(f, target, old_base)
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for name, data in (("ours", ours), ("old", old_base), ("new", new_base)):
                Path(tmp, name).write_bytes(data)
                paths.append(str(Path(tmp, name)))
            m = subprocess.run(["git", "merge-file", "-p", "-L", "ours", "-L",
                                f"base {BASE_VERSION}", "-L", f"base {new_version}", *paths],
                               capture_output=True)
        if m.returncode != 0:
            hunks = re.findall(rb"^<<<<<<< .*?^>>>>>>> [^\n]*\n", m.stdout, re.M | re.S)
            conflicts.append(f"{f}: does not apply to {target} of {new_version}; "
                             f"{len(hunks)} conflicting hunk(s):\n" +
                             b"\n".join(hunks).decode(errors="replace"))
            continue
        new_path.write_bytes(m.stdout)
        diff = git("diff", "--no-color", "--no-ext-diff", "base", "--", target,
                   cwd=new_src).stdout
        git("checkout", "-q", "base", "--", target, cwd=new_src)
        rewritten[f] = diff
        log(f"{f}: merged onto {new_version}")
    if conflicts:
        raise HarnessError(f"the overlay does not apply to {new_version}; nothing changed:\n"
                           + "\n".join(conflicts))
    for f, diff in rewritten.items():
        (REPO / f).write_text(diff)
    # The new base replaces the old one in the cache; the pins name it.
    shutil.rmtree(SRC)
    new_src.rename(SRC)
    state = CACHE / "overlay-state.json"
    if state.exists():
        state.unlink()
    text = VERSIONS_FILE.read_text()
    text = re.sub(rf"^({re.escape(BASE_PACKAGE)}\s+)\S+", lambda m: m.group(1) + deb, text,
                  count=1, flags=re.M)
    VERSIONS_FILE.write_text(text)
    readme = REPO / "README.md"
    r = readme.read_text()
    r = r.replace(BASE_DEB_VERSION, deb).replace(f"({BASE_VERSION})", f"({new_version})")
    r = r.replace(f"Linux {BASE_VERSION})", f"Linux {new_version})")
    readme.write_text(r)
    log(f"installing {BASE_PACKAGE}={deb}")
    run(["apt-get", "install", "-y", "--no-install-recommends", "--allow-downgrades",
         f"{BASE_PACKAGE}={deb}"], env=env, logfile=OUT / "rebase" / "apt-install.log")
    shutil.rmtree(dl)
    # A new process reads the new pins.
    run([sys.executable, str(HARNESS / "cgv1"), "series"])
    log(f"the base is now {deb}: {len(rewritten)} patch file(s) rewritten; "
        "harness/cgv1 test tells whether it works")
    return 0
