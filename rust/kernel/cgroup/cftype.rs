// SPDX-License-Identifier: GPL-2.0

//! Control files of controllers ([`Cftype`]), and the parsing of what users write to control
//! files, with the C implementation's rules and errors.
//!
//! A controller file's callbacks run within kernfs's operation on the file, with its active
//! reference held: the file, its group and the controller's state in it stay in place for the
//! whole call, and a callback must not take the core mutex (held around the files' removal).

use super::css::Css;
use super::dir::Dirs;
use super::group::{Cgroup, ROOT_INHERIT, ROOT_KILL, ROOT_NOPREFIX};
use super::id::{SubsysId, NR_SUBSYS};
use super::subsys::Subsystem;
use crate::{
    c_str,
    error::{code::*, Result},
    kernfs::{ActiveFile, Attrs, DirHandle, FileOps},
    seq_file::SeqFile,
    str::CStr,
};
use core::marker::PhantomData;

/// Control-file flag: only in the top group of a hierarchy.
pub const CFTYPE_ONLY_ON_ROOT: u32 = 1 << 0;
/// Control-file flag: everywhere but in the top group.
pub const CFTYPE_NOT_ON_ROOT: u32 = 1 << 1;

/// A control file of controller `S`, named `<controller>.<name>` (or `<name>` in a hierarchy
/// mounted with `noprefix`).
///
/// Reads print the value of `read_u64` (`"%llu\n"`) or `read_s64` (`"%lld\n"`), or what
/// `seq_show` writes. Writes of numbers are parsed like the C implementation ([`kstrtoull`],
/// [`kstrtoll`]); `write` receives the raw bytes. A file with a write callback has mode 0644,
/// otherwise 0444.
pub struct Cftype<S: Subsystem> {
    /// The name, without the controller's prefix.
    pub name: &'static CStr,
    /// `CFTYPE_*` flags.
    pub flags: u32,
    read_u64: Option<ReadFn<S, u64>>,
    read_s64: Option<ReadFn<S, i64>>,
    seq_show: Option<ShowFn<S>>,
    write_u64: Option<WriteFn<S, u64>>,
    write_s64: Option<WriteFn<S, i64>>,
    write: Option<WriteBytesFn<S>>,
    max_write_len: usize,
}

/// A control file's numeric read callback.
pub type ReadFn<S, T> = fn(&Css<S>) -> T;
/// A control file's free-form read callback.
pub type ShowFn<S> = fn(&Css<S>, &SeqFile) -> Result;
/// A control file's numeric write callback.
pub type WriteFn<S, T> = fn(&Css<S>, T) -> Result;
/// A control file's free-form write callback.
pub type WriteBytesFn<S> = fn(&Css<S>, &[u8]) -> Result;

impl<S: Subsystem> Cftype<S> {
    /// A file with no callbacks; add them with the other constructors.
    pub const fn new(name: &'static CStr) -> Self {
        Cftype {
            name,
            flags: 0,
            read_u64: None,
            read_s64: None,
            seq_show: None,
            write_u64: None,
            write_s64: None,
            write: None,
            max_write_len: 0,
        }
    }

    /// Adds `CFTYPE_*` flags.
    pub const fn flags(mut self, flags: u32) -> Self {
        self.flags |= flags;
        self
    }

    /// Sets the unsigned read callback.
    pub const fn read_u64(mut self, f: ReadFn<S, u64>) -> Self {
        self.read_u64 = Some(f);
        self
    }

    /// Sets the signed read callback.
    pub const fn read_s64(mut self, f: ReadFn<S, i64>) -> Self {
        self.read_s64 = Some(f);
        self
    }

    /// Sets the free-form read callback.
    pub const fn seq_show(mut self, f: ShowFn<S>) -> Self {
        self.seq_show = Some(f);
        self
    }

    /// Sets the unsigned write callback.
    pub const fn write_u64(mut self, f: WriteFn<S, u64>) -> Self {
        self.write_u64 = Some(f);
        self
    }

    /// Sets the signed write callback.
    pub const fn write_s64(mut self, f: WriteFn<S, i64>) -> Self {
        self.write_s64 = Some(f);
        self
    }

    /// Sets the free-form write callback.
    pub const fn write(mut self, f: WriteBytesFn<S>) -> Self {
        self.write = Some(f);
        self
    }

    /// Limits writes to `len` bytes: a longer one fails with `E2BIG` (C's `max_write_len`;
    /// without a limit, a page).
    pub const fn max_write_len(mut self, len: usize) -> Self {
        self.max_write_len = len;
        self
    }

    const fn is_writable(&self) -> bool {
        self.write_u64.is_some() || self.write_s64.is_some() || self.write.is_some()
    }

    /// Whether the file belongs in `cgrp`.
    fn wanted(&self, cgrp: &Cgroup) -> bool {
        if cgrp.is_top() {
            self.flags & CFTYPE_NOT_ON_ROOT == 0
        } else {
            self.flags & CFTYPE_ONLY_ON_ROOT == 0
        }
    }
}

// --- Parsing. ---

/// What C sees of a written buffer: the bytes up to the first NUL.
fn c_text(buf: &[u8]) -> &[u8] {
    buf.iter()
        .position(|&c| c == 0)
        .map_or(buf, |nul| &buf[..nul])
}

/// C's `_kstrtoull()` in base 0: an unsigned number, `0x` hexadecimal or `0` octal, then at
/// most one newline.
fn parse_unsigned(s: &[u8]) -> Result<u64> {
    let hex = s.first() == Some(&b'0')
        && s.get(1).map(|c| c | 0x20) == Some(b'x')
        && s.get(2).is_some_and(u8::is_ascii_hexdigit);
    let (base, digits) = match s.first() {
        Some(b'0') if hex => (16, &s[2..]),
        Some(b'0') => (8, s),
        _ => (10, s),
    };
    let mut value: u64 = 0;
    let mut overflow = false;
    let mut used = 0;
    for &c in digits {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => break,
        };
        if u64::from(d) >= base {
            break;
        }
        match value
            .checked_mul(base)
            .and_then(|v| v.checked_add(d.into()))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        used += 1;
    }
    if overflow {
        return Err(ERANGE);
    }
    if used == 0 {
        return Err(EINVAL);
    }
    let rest = &digits[used..];
    let rest = rest.strip_prefix(b"\n").unwrap_or(rest);
    if !rest.is_empty() {
        return Err(EINVAL);
    }
    Ok(value)
}

/// Parses `buf` as C's `kstrtoull(buf, 0, ...)` does: an optional `+`, a number in base 10,
/// `0x` hexadecimal or `0` octal, and at most one trailing newline; `ERANGE` past `u64::MAX`,
/// `EINVAL` for anything else. C stops reading at a NUL byte, and so does this.
///
/// # Examples
///
/// ```
/// use kernel::cgroup::cftype::kstrtoull;
/// use kernel::error::code::{EINVAL, ERANGE};
///
/// assert_eq!(kstrtoull(b"42"), Ok(42));
/// assert_eq!(kstrtoull(b"+42\n"), Ok(42));
/// assert_eq!(kstrtoull(b"0x1F"), Ok(31));
/// assert_eq!(kstrtoull(b"010"), Ok(8));
/// assert_eq!(kstrtoull(b"0"), Ok(0));
/// assert_eq!(kstrtoull(b"18446744073709551615"), Ok(u64::MAX));
/// assert_eq!(kstrtoull(b"18446744073709551616"), Err(ERANGE));
/// assert_eq!(kstrtoull(b"1\0junk"), Ok(1));
/// for bad in [&b""[..], b"\n", b" 1", b"1 ", b"1\n\n", b"-1", b"08", b"0x", b"1x", b"++1"] {
///     assert_eq!(kstrtoull(bad), Err(EINVAL));
/// }
/// ```
pub fn kstrtoull(buf: &[u8]) -> Result<u64> {
    let s = c_text(buf);
    parse_unsigned(s.strip_prefix(b"+").unwrap_or(s))
}

/// Parses `buf` as C's `kstrtoll(buf, 0, ...)` does (see [`kstrtoull`]; a leading `-` is
/// allowed, and the range is that of `i64`).
///
/// # Examples
///
/// ```
/// use kernel::cgroup::cftype::kstrtoll;
/// use kernel::error::code::{EINVAL, ERANGE};
///
/// assert_eq!(kstrtoll(b"-1\n"), Ok(-1));
/// assert_eq!(kstrtoll(b"-0x10"), Ok(-16));
/// assert_eq!(kstrtoll(b"9223372036854775807"), Ok(i64::MAX));
/// assert_eq!(kstrtoll(b"-9223372036854775808"), Ok(i64::MIN));
/// assert_eq!(kstrtoll(b"9223372036854775808"), Err(ERANGE));
/// assert_eq!(kstrtoll(b"-9223372036854775809"), Err(ERANGE));
/// assert_eq!(kstrtoll(b"-+1"), Err(EINVAL));
/// assert_eq!(kstrtoll(b"-"), Err(EINVAL));
/// ```
pub fn kstrtoll(buf: &[u8]) -> Result<i64> {
    let s = c_text(buf);
    match s.strip_prefix(b"-") {
        Some(digits) => {
            let v = parse_unsigned(digits)?;
            if v > i64::MIN.unsigned_abs() {
                return Err(ERANGE);
            }
            Ok(0i64.wrapping_sub_unsigned(v))
        }
        None => i64::try_from(kstrtoull(s)?).map_err(|_| ERANGE),
    }
}

/// Parses `buf` as C's `kstrtoint(buf, 0, ...)` does (the range is that of `i32`).
pub fn kstrtoint(buf: &[u8]) -> Result<i32> {
    i32::try_from(kstrtoll(buf)?).map_err(|_| ERANGE)
}

/// `buf` without leading and trailing white space, as C's `strstrip()` (which stops at a NUL).
pub fn strstrip(buf: &[u8]) -> &[u8] {
    let buf = c_text(buf);
    let space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = buf.iter().position(|c| !space(c)).unwrap_or(buf.len());
    let end = buf.iter().rposition(|c| !space(c)).map_or(start, |i| i + 1);
    &buf[start..end]
}

// --- The core control files of every group. ---

/// Which core file a kernfs file node is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Procs,
    CloneChildren,
    SaneBehavior,
    Tasks,
    NotifyOnRelease,
    ReleaseAgent,
    Kill,
    Inherit(SubsysId),
}

/// Which groups have a core file.
#[derive(Clone, Copy)]
enum Place {
    /// Every group.
    All,
    /// The top group only.
    Top,
    /// Every group but the top one, in hierarchies with these flags.
    NotTopWith(u32),
}

/// A core control file: the datum of its kernfs node.
pub(super) struct CoreFile {
    name: &'static CStr,
    mode: u16,
    place: Place,
    pub(super) kind: Kind,
}

impl CoreFile {
    const fn new(name: &'static CStr, mode: u16, place: Place, kind: Kind) -> Self {
        CoreFile {
            name,
            mode,
            place,
            kind,
        }
    }
}

/// The core files, in the order the C implementation creates them (`cgroup.kill`, which C's
/// version 1 lacks, last).
static CORE_FILES: [CoreFile; 7] = [
    CoreFile::new(c_str!("cgroup.procs"), 0o644, Place::All, Kind::Procs),
    CoreFile::new(
        c_str!("cgroup.clone_children"),
        0o644,
        Place::All,
        Kind::CloneChildren,
    ),
    CoreFile::new(
        c_str!("cgroup.sane_behavior"),
        0o444,
        Place::Top,
        Kind::SaneBehavior,
    ),
    CoreFile::new(c_str!("tasks"), 0o644, Place::All, Kind::Tasks),
    CoreFile::new(
        c_str!("notify_on_release"),
        0o644,
        Place::All,
        Kind::NotifyOnRelease,
    ),
    CoreFile::new(
        c_str!("release_agent"),
        0o644,
        Place::Top,
        Kind::ReleaseAgent,
    ),
    CoreFile::new(
        c_str!("cgroup.kill"),
        0o200,
        Place::NotTopWith(ROOT_KILL),
        Kind::Kill,
    ),
];

/// `<controller>.inherit`, by controller id, in hierarchies mounted with `inherit`.
static INHERIT_FILES: [CoreFile; NR_SUBSYS] = [
    inherit_file(c_str!("cpuset.inherit"), SubsysId::Cpuset),
    inherit_file(c_str!("cpuacct.inherit"), SubsysId::Cpuacct),
    inherit_file(c_str!("freezer.inherit"), SubsysId::Freezer),
    inherit_file(c_str!("debug.inherit"), SubsysId::Debug),
    inherit_file(c_str!("ns.inherit"), SubsysId::Ns),
];

const fn inherit_file(name: &'static CStr, id: SubsysId) -> CoreFile {
    CoreFile::new(
        name,
        0o644,
        Place::NotTopWith(ROOT_INHERIT),
        Kind::Inherit(id),
    )
}

impl CoreFile {
    /// Whether the file belongs in `cgrp`.
    fn wanted(&self, cgrp: &Cgroup) -> bool {
        match self.place {
            Place::All => true,
            Place::Top => cgrp.is_top(),
            Place::NotTopWith(flags) => !cgrp.is_top() && cgrp.root().flags() & flags == flags,
        }
    }
}

/// Creates the core files of `cgrp` in its directory `dir`, owned by the current task.
pub(super) fn populate_core(dir: &DirHandle<Dirs>, cgrp: &Cgroup) -> Result {
    for file in CORE_FILES.iter() {
        if !file.wanted(cgrp) {
            continue;
        }
        dir.create_file::<super::files::CoreFiles>(
            file.name,
            Attrs::current_owner(file.mode),
            file,
        )?;
    }
    Ok(())
}

// --- Controllers' files in directories. ---

/// Where control files are created: a group's directory.
pub(super) struct Files<'a> {
    dir: &'a DirHandle<Dirs>,
    cgrp: &'a Cgroup,
}

impl<'a> Files<'a> {
    pub(super) fn new(dir: &'a DirHandle<Dirs>, cgrp: &'a Cgroup) -> Self {
        Files { dir, cgrp }
    }
}

/// The name of file `name` of controller `ss` in a hierarchy with flags `root_flags`,
/// NUL-terminated in `buf`.
fn file_name<'b>(
    ss: SubsysId,
    name: &'static CStr,
    root_flags: u32,
    buf: &'b mut [u8; 64],
) -> &'b CStr {
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        for &b in bytes {
            if len < buf.len() - 1 {
                buf[len] = b;
                len += 1;
            }
        }
    };
    if root_flags & ROOT_NOPREFIX == 0 {
        put(ss.name().as_bytes());
        put(b".");
    }
    put(name.as_bytes());
    buf[len] = 0;
    CStr::from_bytes_with_nul(&buf[..=len]).unwrap_or(name)
}

/// Creates the files of `S` in a group's directory (and its `<controller>.inherit`, where the
/// hierarchy has them).
pub(super) fn populate<S: Subsystem>(files: &Files<'_>) -> Result {
    let root_flags = files.cgrp.root().flags();
    if let Some(file) = INHERIT_FILES
        .get(S::ID as usize)
        .filter(|f| f.wanted(files.cgrp))
    {
        files.dir.create_file::<super::files::CoreFiles>(
            file.name,
            Attrs::current_owner(file.mode),
            file,
        )?;
    }
    for file in S::FILES.iter().filter(|f| f.wanted(files.cgrp)) {
        let mut buf = [0u8; 64];
        let name = file_name(S::ID, file.name, root_flags, &mut buf);
        let mode = if file.is_writable() { 0o644 } else { 0o444 };
        files
            .dir
            .create_file::<SsFile<S>>(name, Attrs::current_owner(mode), file)?;
    }
    Ok(())
}

/// Removes the files of `S` from a group's directory, waiting for the operations on them.
pub(super) fn depopulate<S: Subsystem>(files: &Files<'_>) {
    let root_flags = files.cgrp.root().flags();
    if let Some(file) = INHERIT_FILES
        .get(S::ID as usize)
        .filter(|f| f.wanted(files.cgrp))
    {
        files.dir.remove_file(file.name);
    }
    for file in S::FILES.iter().filter(|f| f.wanted(files.cgrp)) {
        let mut buf = [0u8; 64];
        files
            .dir
            .remove_file(file_name(S::ID, file.name, root_flags, &mut buf));
    }
}

/// The kernfs operations of the control files of `S`.
struct SsFile<S>(PhantomData<S>);

impl<S: Subsystem> SsFile<S> {
    /// The state of `S` in the group of the file.
    fn css<'a>(file: &'a ActiveFile<'_, Self>) -> Result<&'a Css<S>> {
        file.dir_data()
            .css(S::ID)
            .and_then(Css::from_raw)
            .ok_or(ENODEV)
    }
}

#[macros::vtable]
impl<S: Subsystem> FileOps for SsFile<S> {
    type Dir = Dirs;
    type Data = Cftype<S>;

    fn show(file: ActiveFile<'_, Self>, m: &SeqFile) -> Result {
        let css = Self::css(&file)?;
        let cft = file.data();
        if let Some(f) = cft.read_u64 {
            m.write_decimal(f(css));
            m.write_bytes(b"\n");
        } else if let Some(f) = cft.read_s64 {
            crate::seq_print!(m, "{}\n", f(css));
        } else if let Some(f) = cft.seq_show {
            f(css, m)?;
        } else {
            return Err(EINVAL);
        }
        Ok(())
    }

    fn write(file: ActiveFile<'_, Self>, buf: &[u8]) -> Result<usize> {
        let cft = file.data();
        if cft.max_write_len != 0 && buf.len() > cft.max_write_len {
            return Err(E2BIG);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        // A group that shares its parent's state shows it and cannot change it.
        if file.dir_data().inherits(S::ID) {
            return Err(EBUSY);
        }
        let css = Self::css(&file)?;
        if let Some(f) = cft.write_u64 {
            f(css, kstrtoull(buf)?)?;
        } else if let Some(f) = cft.write_s64 {
            f(css, kstrtoll(buf)?)?;
        } else if let Some(f) = cft.write {
            f(css, buf)?;
        } else {
            return Err(EINVAL);
        }
        Ok(buf.len())
    }
}
