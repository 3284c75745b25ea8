#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check_layering: function calls between the modules of the Rust cgroup core go only from a
module to the modules listed before it.

The order is the `//! - ` list of the "# Structure" section of rust/kernel/cgroup.rs (the
names in backquotes before the first ": " of each item). For each module of the core
(rust/kernel/cgroup/<name>.rs), references to other core modules are found in the code
(comments, doc comments and string literals are left out):

- `use super::X...;`, `use crate::cgroup::X...;` (use trees expanded), naming an item of X;
- paths `super::X::...`, `crate::cgroup::X::...`, `$crate::cgroup::X::...`, and `X::...`
  where X was imported as a module (`use super::X;`, `use super::X::{self, ...}`);
- `T::f(...)` where `T` is a type imported from X (an associated function of X's type).

Distinguishing types from functions needs more than regexes, so the rule is by case: a
reference to a later module is a violation if it names an item starting with a lowercase
letter (a function, a static or a submodule), imported or in a path, or calls an associated
function (`X::Type::f`, `Type::f`). CamelCase items (types, traits) and ALL_CAPS constants are
shared: the data types of the core refer to each other. Method calls (`value.f()`) are not
seen: keep methods in the module of the functions they call.

Prints each violation as FILE:LINE and exits 1; otherwise prints a one-line summary and exits
0. Usage: check_layering.py [TREE] (default: the tree this script is in).
"""

import os
import re
import sys

CORE = "rust/kernel/cgroup.rs"
CORE_DIR = "rust/kernel/cgroup"

# Lowercase items of later modules that are allowed, with the reason. (module, item): reason.
ALLOW = {
    # None needed at present. Example of the form:
    # ("subsys", "some_macro_helper"): "expanded in controllers' crates, not called by the core",
}

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
CHAR_LIT = re.compile(r"'(?:[^'\\\n]|\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.))'")


def strip(text):
    """`text` with comments and the contents of string and char literals blanked (newlines
    kept, so that offsets map to the same lines)."""
    out = []
    i, n = 0, len(text)

    def blank(s):
        return "".join(c if c == "\n" else " " for c in s)

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(text[i:j]))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 8]) and not re.match(r"\w", text[i - 1:i]):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            j = n if end < 0 else end + 1 + len(m.group(1))
            out.append(blank(text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append('"' + blank(text[i + 1:j - 1]) + '"')
            i = j
        elif c == "'":
            m = CHAR_LIT.match(text, i)
            if m:
                out.append("' '")
                out.append(" " * (m.end() - i - 3))
                i = m.end()
            else:  # A lifetime.
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def structure_order(core_text):
    """The module names of the "# Structure" list, in order."""
    order = []
    in_section = False
    for line in core_text.splitlines():
        if not line.startswith("//!"):
            if in_section:
                break
            continue
        body = line[3:].strip()
        if body.startswith("# "):
            in_section = body == "# Structure"
            continue
        if in_section and body.startswith("- "):
            head = body[2:].split(": ", 1)[0]
            order.extend(re.findall(r"`([a-z_][a-z0-9_]*)`", head))
    return order


def split_top(s, sep=","):
    """`s` split at `sep` outside braces."""
    parts, depth, cur = [], 0, []
    for c in s:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def expand_use(tree, prefix=()):
    """The (path segments, bound name) of each leaf of a use tree."""
    tree = tree.strip()
    m = re.match(r"^(.*?)\{(.*)\}$", tree, re.S)
    if m:
        head = [s for s in re.split(r"\s*::\s*", m.group(1).strip()) if s]
        leaves = []
        for part in split_top(m.group(2)):
            leaves += expand_use(part, prefix + tuple(head))
        return leaves
    alias = None
    am = re.match(r"^(.*?)\s+as\s+(" + IDENT + r")$", tree, re.S)
    if am:
        tree, alias = am.group(1), am.group(2)
    segs = prefix + tuple(s for s in re.split(r"\s*::\s*", tree) if s)
    if segs and segs[-1] == "self":
        segs = segs[:-1]
        bound = alias or (segs[-1] if segs else None)
        return [(segs + ("self",), bound)]
    return [(segs, alias or (segs[-1] if segs else None))]


def core_module(segs, modules):
    """(module, rest) if `segs` is a path into a core module, else None."""
    segs = list(segs)
    if segs[:1] == ["$crate"]:
        segs[0] = "crate"
    if segs[:2] == ["crate", "cgroup"]:
        segs = ["super"] + segs[2:]
    if len(segs) >= 2 and segs[0] == "super" and segs[1] in modules:
        return segs[1], segs[2:]
    return None


def is_lower(name):
    return bool(re.match(r"^[a-z_]", name)) and name != "self"


def check_file(path, mod, rank, modules):
    text = strip(open(path, encoding="utf-8").read())

    def line_of(pos):
        return text.count("\n", 0, pos) + 1

    violations, refs = [], 0
    aliases = {}  # Local name of an imported core module -> module.
    types = {}  # Local name of an imported CamelCase item -> its module.

    def judge(pos, target, rest, shown):
        nonlocal refs
        if target == mod:
            return
        refs += 1
        if rank[target] < rank[mod]:
            return
        lower = [s for s in rest if is_lower(s)]
        if not lower:
            return
        if (target, rest[0]) in ALLOW:
            return
        line, shown = line_of(pos), re.sub(r"\s+", "", shown)
        violations.append(
            (line, f"{path}:{line}: {mod} -> {target}: `{shown}` ({target} is listed after {mod})")
        )

    use_re = re.compile(r"\b(?:pub(?:\s*\([^)]*\))?\s+)?use\s+([^;]*);", re.S)
    use_spans = []
    for m in use_re.finditer(text):
        use_spans.append((m.start(), m.end()))
        for segs, bound in expand_use(m.group(1)):
            cm = core_module(segs, modules)
            if cm is None:
                continue
            target, rest = cm
            if not rest or rest == ["self"]:
                aliases[bound] = target
                continue
            if not is_lower(rest[0]):
                types[bound] = target
            judge(m.start(), target, rest, "::".join(segs))

    def in_use(pos):
        return any(a <= pos < b for a, b in use_spans)

    turbofish = r"(?:::<[^;{}()]*?>)?"
    path_re = re.compile(
        r"(?<![\w:])(\$?crate::cgroup::|super::)(" + IDENT + r")((?:" + turbofish + r"::"
        + IDENT + r")*)"
    )
    for m in path_re.finditer(text):
        if in_use(m.start()):
            continue
        segs = ["super", m.group(2)] + re.findall(r"::(" + IDENT + r")", re.sub(
            r"::<[^;{}()]*?>", "", m.group(3)))
        cm = core_module(segs, modules)
        if cm:
            judge(m.start(), cm[0], cm[1], m.group(0).strip())

    if aliases:
        alias_re = re.compile(
            r"(?<![\w:$])(" + "|".join(map(re.escape, aliases)) + r")((?:" + turbofish + r"::"
            + IDENT + r")+)"
        )
        for m in alias_re.finditer(text):
            if in_use(m.start()):
                continue
            rest = re.findall(r"::(" + IDENT + r")", re.sub(r"::<[^;{}()]*?>", "", m.group(2)))
            judge(m.start(), aliases[m.group(1)], rest, m.group(0))

    if types:
        type_re = re.compile(
            r"(?<![\w:$])(" + "|".join(map(re.escape, types)) + r")" + turbofish + r"::("
            + IDENT + r")\s*(?:::<[^;{}()]*?>\s*)?\("
        )
        for m in type_re.finditer(text):
            if in_use(m.start()):
                continue
            judge(m.start(), types[m.group(1)], [m.group(1), m.group(2)], m.group(0)[:-1])

    return [v for _, v in sorted(violations)], refs


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    tree = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(here)
    core_path = os.path.join(tree, CORE)
    order = structure_order(open(core_path, encoding="utf-8").read())
    errors = []
    dups = {m for m in order if order.count(m) > 1}
    if dups:
        errors.append(f"{CORE}: modules listed twice in # Structure: {', '.join(sorted(dups))}")
    core_dir = os.path.join(tree, CORE_DIR)
    files = sorted(f[:-3] for f in os.listdir(core_dir) if f.endswith(".rs"))
    for f in files:
        if f not in order:
            errors.append(f"{CORE}: module {f} ({CORE_DIR}/{f}.rs) missing from # Structure")
    for m in order:
        if m not in files:
            errors.append(f"{CORE}: # Structure lists {m}, which has no {CORE_DIR}/{m}.rs")
    rank = {m: i for i, m in enumerate(order)}
    modules = set(order) & set(files)
    nrefs = 0
    for m in order:
        if m not in modules:
            continue
        rel = os.path.join(CORE_DIR, m + ".rs")
        v, r = check_file(os.path.join(tree, rel), m, rank, modules)
        errors += [e.replace(os.path.join(tree, ""), "", 1) for e in v]
        nrefs += r
    if errors:
        for e in errors:
            print(e)
        print(f"check_layering: {len(errors)} violation(s)", file=sys.stderr)
        return 1
    print(
        f"check_layering: ok: {len(modules)} modules ({', '.join(order)}), "
        f"{nrefs} references between them, none to a later module's function"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
