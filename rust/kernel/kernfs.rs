// SPDX-License-Identifier: GPL-2.0

//! kernfs: the pseudo filesystem core behind sysfs and cgroupfs.
//!
//! C header: [`include/linux/kernfs.h`](srctree/include/linux/kernfs.h)
//!
//! A kernfs hierarchy is a tree of [`Node`]s under a root created with [`create_root`]. Files are
//! served by a [`FileOps`] implementation, and `mkdir`/`rmdir`/`rename` on the mounted tree by a
//! [`SyscallOps`] implementation; both are turned into static C operation tables by
//! [`file_ops`] and [`syscall_ops`].
//!
//! kernfs protects every operation on a node with an *active reference*: [`remove`] waits for the
//! operations in flight to finish, and later ones fail with `ENODEV`. An operation that takes a
//! lock which is also held around [`remove`] must first drop its own protection with
//! [`Node::break_active_protection`], or the two deadlock.
//!
//! # Examples
//!
//! ```
//! use kernel::kernfs::{self, Attrs, FileOps, Node, OpenFile, SyscallOps};
//! use kernel::{c_str, error::code::EEXIST, prelude::*, seq_file::SeqFile, seq_print};
//! use core::ptr;
//!
//! struct Dirs;
//! #[vtable]
//! impl SyscallOps for Dirs {}
//! static DIR_OPS: kernfs::SyscallOpsTable = kernfs::syscall_ops::<Dirs>();
//!
//! struct Hello;
//! #[vtable]
//! impl FileOps for Hello {
//!     fn show(_of: &OpenFile, m: &SeqFile) -> Result {
//!         seq_print!(m, "hello\n");
//!         Ok(())
//!     }
//! }
//! static FILE_OPS: kernfs::FileOpsTable = kernfs::file_ops::<Hello>(64);
//!
//! // SAFETY: The root directory carries no private data.
//! let root = unsafe { kernfs::create_root(&DIR_OPS, true, ptr::null_mut()) }?;
//! // SAFETY: `root` is live until `destroy_root` below.
//! let top = unsafe { kernfs::root_node(root) };
//! assert!(top.is_dir());
//! let attrs = Attrs::current_owner(0o755);
//! // SAFETY: `top` is live; the directory carries no private data.
//! let dir = unsafe { kernfs::create_dir(top, c_str!("d"), attrs, ptr::null_mut()) }?;
//! // SAFETY: Just created; removed only with the root.
//! let dir = unsafe { Node::from_raw(dir) };
//! assert!(dir.is_dir());
//! assert_eq!(dir.parent_ptr(), top.as_ptr());
//! let ro = Attrs::current_owner(0o444);
//! // SAFETY: `dir` is live; the file carries no private data.
//! let file = unsafe { kernfs::create_file(dir, c_str!("f"), ro, &FILE_OPS, ptr::null_mut()) }?;
//! // SAFETY: Just created; removed only with the root.
//! assert!(!unsafe { Node::from_raw(file) }.is_dir());
//! // SAFETY: `top` is live.
//! let again = unsafe { kernfs::create_dir(top, c_str!("d"), attrs, ptr::null_mut()) };
//! assert_eq!(again.err(), Some(EEXIST));
//! kernfs::activate(top);
//! // SAFETY: Both nodes are live.
//! unsafe { kernfs::rename(dir, top, c_str!("e")) }?;
//! // SAFETY: Never mounted, and no operation runs on any of its nodes.
//! unsafe { kernfs::destroy_root(root) };
//! # Ok::<(), Error>(())
//! ```

use crate::ffi::{c_char, c_int, c_void};
use crate::{
    bindings,
    error::{from_err_ptr, from_result, to_result, Result},
    seq_file::SeqFile,
    str::CStr,
    types::Opaque,
};
use core::ptr;

/// A kernfs node: a directory or a file.
///
/// # Invariants
///
/// A `&Node` is only handed out while the node's memory is valid: the caller holds a count
/// reference, or kernfs is running an operation on it.
#[repr(transparent)]
pub struct Node(Opaque<bindings::kernfs_node>);

impl Node {
    /// Creates a reference to a node from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a `struct kernfs_node` that stays valid for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::kernfs_node) -> &'a Node {
        // SAFETY: `Node` is a transparent wrapper and the caller guarantees validity for `'a`.
        unsafe { &*ptr.cast::<Node>() }
    }

    /// The raw pointer to the C node.
    pub fn as_ptr(&self) -> *mut bindings::kernfs_node {
        self.0.get()
    }

    /// Whether this node is a directory.
    pub fn is_dir(&self) -> bool {
        // SAFETY: The node is valid (type invariant); `flags` is set at creation and its type bits
        // never change.
        let flags = unsafe { (*self.as_ptr()).flags };
        u32::from(flags) & bindings::KERNFS_TYPE_MASK == bindings::kernfs_node_type_KERNFS_DIR
    }

    /// The private pointer given when the node was created.
    pub fn private(&self) -> *mut c_void {
        // SAFETY: The node is valid (type invariant); `priv` is set at creation only.
        unsafe { (*self.as_ptr()).priv_ }
    }

    /// The parent node's raw pointer (NULL for a root).
    ///
    /// Nodes of a hierarchy that never moves nodes between directories keep their parent for
    /// their whole life.
    pub fn parent_ptr(&self) -> *mut bindings::kernfs_node {
        // SAFETY: The node is valid (type invariant).
        unsafe { (*self.as_ptr()).parent }
    }

    /// Drops the active reference that kernfs holds for the operation running on this node, so
    /// that the operation may take locks that are held around [`remove`]. The reference is taken
    /// back when the returned guard is dropped.
    ///
    /// # Safety
    ///
    /// Must be called from a kernfs operation on this node (one that holds its active reference),
    /// and the guard must be dropped before the operation returns. Once broken, the node may be
    /// removed at any time: its memory stays valid, but its private data may not.
    pub unsafe fn break_active_protection(&self) -> BrokenProtection<'_> {
        // SAFETY: The caller guarantees we are inside an operation holding the active reference.
        unsafe { bindings::kernfs_break_active_protection(self.as_ptr()) };
        BrokenProtection { node: self }
    }
}

/// Restores a node's active protection when dropped; see [`Node::break_active_protection`].
pub struct BrokenProtection<'a> {
    node: &'a Node,
}

impl Drop for BrokenProtection<'_> {
    fn drop(&mut self) {
        // SAFETY: Paired with the `kernfs_break_active_protection` that created `self`.
        unsafe { bindings::kernfs_unbreak_active_protection(self.node.as_ptr()) };
    }
}

/// Creates a kernfs root whose root directory carries `private`.
///
/// With `deactivated`, new nodes stay invisible until [`activate`] is called on them or an
/// ancestor.
///
/// # Safety
///
/// `private` must stay valid for as long as kernfs may run operations on the root directory
/// (until [`destroy_root`] has returned).
pub unsafe fn create_root(
    ops: &'static SyscallOpsTable,
    deactivated: bool,
    private: *mut c_void,
) -> Result<*mut bindings::kernfs_root> {
    let flags = if deactivated {
        bindings::kernfs_root_flag_KERNFS_ROOT_CREATE_DEACTIVATED
    } else {
        0
    };
    // SAFETY: `ops` lives for ever and kernfs never writes through the pointer; `private` is only
    // stored (its validity is the caller's promise).
    from_err_ptr(unsafe { bindings::kernfs_create_root(ops.0.get(), flags, private) })
}

/// Destroys a root made by [`create_root`] and every node under it.
///
/// # Safety
///
/// `root` must come from [`create_root`], not be destroyed yet, and not be mounted.
pub unsafe fn destroy_root(root: *mut bindings::kernfs_root) {
    // SAFETY: Guaranteed by the caller.
    unsafe { bindings::kernfs_destroy_root(root) }
}

/// The root directory of a root made by [`create_root`].
///
/// # Safety
///
/// `root` must be a live kernfs root.
pub unsafe fn root_node<'a>(root: *mut bindings::kernfs_root) -> &'a Node {
    // SAFETY: The caller guarantees `root` is live, and its root node lives as long as the root.
    unsafe { Node::from_raw(bindings::kernfs_root_to_node(root)) }
}

/// Ownership and mode of a new node.
#[derive(Clone, Copy)]
pub struct Attrs {
    /// Permission bits (without the file type).
    pub mode: u16,
    /// Owner.
    pub uid: bindings::kuid_t,
    /// Group.
    pub gid: bindings::kgid_t,
}

impl Attrs {
    /// `mode`, owned by the current task's fsuid and fsgid (as files created by a syscall).
    pub fn current_owner(mode: u16) -> Self {
        // SAFETY: `current` is valid, and its credentials cannot change under its own feet: they
        // are only replaced by the task itself.
        let (uid, gid) = unsafe {
            let cred = (*bindings::get_current()).cred;
            ((*cred).fsuid, (*cred).fsgid)
        };
        Attrs { mode, uid, gid }
    }
}

/// Creates a directory.
///
/// # Safety
///
/// `parent` must be a live directory. `private` must stay valid for as long as kernfs may run
/// operations on the new node (until [`remove`] has returned for it).
pub unsafe fn create_dir(
    parent: &Node,
    name: &CStr,
    attrs: Attrs,
    private: *mut c_void,
) -> Result<*mut bindings::kernfs_node> {
    // SAFETY: `parent` is live (caller); `name` is copied by kernfs; no namespace tag.
    from_err_ptr(unsafe {
        bindings::kernfs_create_dir_ns(
            parent.as_ptr(),
            name.as_char_ptr(),
            attrs.mode,
            attrs.uid,
            attrs.gid,
            private,
            ptr::null(),
        )
    })
}

/// Creates a regular file served by `ops`.
///
/// # Safety
///
/// As for [`create_dir`].
pub unsafe fn create_file(
    parent: &Node,
    name: &CStr,
    attrs: Attrs,
    ops: &'static FileOpsTable,
    private: *mut c_void,
) -> Result<*mut bindings::kernfs_node> {
    // SAFETY: `parent` is live (caller); `name` is copied; `ops` is static and never changes.
    from_err_ptr(unsafe {
        bindings::__kernfs_create_file(
            parent.as_ptr(),
            name.as_char_ptr(),
            attrs.mode,
            attrs.uid,
            attrs.gid,
            0,
            ops.0.get(),
            private,
            ptr::null(),
            ptr::null_mut(),
        )
    })
}

/// Makes `node` and everything under it visible.
pub fn activate(node: &Node) {
    // SAFETY: The node is valid (type invariant).
    unsafe { bindings::kernfs_activate(node.as_ptr()) }
}

/// Removes `node` and everything under it, waiting for operations in flight on them.
///
/// # Safety
///
/// `node` must be live and not removed yet, and the caller must not hold an unbroken active
/// reference on a node of the subtree.
pub unsafe fn remove(node: &Node) {
    // SAFETY: Guaranteed by the caller.
    unsafe { bindings::kernfs_remove(node.as_ptr()) }
}

/// Renames `node` to `name` under `new_parent`.
///
/// # Safety
///
/// Both nodes must be live.
pub unsafe fn rename(node: &Node, new_parent: &Node, name: &CStr) -> Result {
    // SAFETY: Guaranteed by the caller; the name is copied.
    to_result(unsafe {
        bindings::kernfs_rename_ns(
            node.as_ptr(),
            new_parent.as_ptr(),
            name.as_char_ptr(),
            ptr::null(),
        )
    })
}

/// An open kernfs file, as seen by [`FileOps`].
#[repr(transparent)]
pub struct OpenFile(Opaque<bindings::kernfs_open_file>);

impl OpenFile {
    /// # Safety
    ///
    /// `ptr` must be a valid open file for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::kernfs_open_file) -> &'a OpenFile {
        // SAFETY: Transparent wrapper; validity guaranteed by the caller.
        unsafe { &*ptr.cast::<OpenFile>() }
    }

    /// The VFS file this open file belongs to.
    pub fn file(&self) -> *mut bindings::file {
        // SAFETY: The open file is valid (constructor) and `file` is set at open.
        unsafe { (*self.0.get()).file }
    }

    /// The file's node; valid while the operation runs (kernfs holds its active reference).
    pub fn node(&self) -> &Node {
        // SAFETY: kernfs holds the node for the open file's whole life.
        unsafe { Node::from_raw((*self.0.get()).kn) }
    }
}

/// The operations of kernfs files.
#[macros::vtable]
pub trait FileOps {
    /// Writes the whole content of the file into `m`.
    fn show(_of: &OpenFile, _m: &SeqFile) -> Result {
        Err(crate::error::code::EINVAL)
    }

    /// Handles a write of `buf` (a NUL-terminated kernel copy, `buf.len()` bytes before the
    /// NUL); returns the number of bytes consumed.
    fn write(_of: &OpenFile, _buf: &mut [u8]) -> Result<usize> {
        Err(crate::error::code::EINVAL)
    }
}

/// A C `struct kernfs_ops` built from a [`FileOps`] implementation by [`file_ops`].
pub struct FileOpsTable(Opaque<bindings::kernfs_ops>);

// SAFETY: The table is never written after it is built; kernfs only reads it.
unsafe impl Sync for FileOpsTable {}

/// Builds the operation table of `T`. Writes longer than `max_write` fail with `E2BIG`.
pub const fn file_ops<T: FileOps>(max_write: usize) -> FileOpsTable {
    // SAFETY: All-zeroes is a valid `kernfs_ops` (every callback absent).
    let mut ops: bindings::kernfs_ops = unsafe { core::mem::zeroed() };
    ops.seq_show = Some(seq_show_callback::<T>);
    if T::HAS_WRITE {
        ops.write = Some(write_callback::<T>);
    }
    ops.atomic_write_len = max_write;
    FileOpsTable(Opaque::new(ops))
}

/// # Safety
///
/// Called by kernfs with a seq_file whose `private` is the open file, under its lock.
unsafe extern "C" fn seq_show_callback<T: FileOps>(
    sf: *mut bindings::seq_file,
    _v: *mut c_void,
) -> c_int {
    from_result(|| {
        // SAFETY: kernfs passes a valid seq_file whose private data is the open file, and holds
        // the file's lock and active reference during the call.
        let (of, m) = unsafe {
            (
                OpenFile::from_raw((*sf).private.cast()),
                SeqFile::from_raw(sf),
            )
        };
        T::show(of, m)?;
        Ok(0)
    })
}

/// # Safety
///
/// Called by kernfs with a valid open file and a NUL-terminated buffer of `bytes` bytes.
unsafe extern "C" fn write_callback<T: FileOps>(
    of: *mut bindings::kernfs_open_file,
    buf: *mut c_char,
    bytes: usize,
    _off: bindings::loff_t,
) -> isize {
    from_result(|| {
        // SAFETY: kernfs passes a valid open file and a kernel buffer of `bytes` bytes (plus a
        // NUL) that is ours for the call.
        let (of, buf) = unsafe {
            (
                OpenFile::from_raw(of),
                core::slice::from_raw_parts_mut(buf.cast::<u8>(), bytes),
            )
        };
        let n = T::write(of, buf)?;
        Ok(n as isize)
    })
}

/// The operations on directories of a mounted kernfs hierarchy.
#[macros::vtable]
pub trait SyscallOps {
    /// `mkdir(2)` of `name` in `parent`, with `mode` (after umask, without the file type).
    fn mkdir(_parent: &Node, _name: &CStr, _mode: u16) -> Result {
        Err(crate::error::code::EPERM)
    }

    /// `rmdir(2)` of `node`.
    fn rmdir(_node: &Node) -> Result {
        Err(crate::error::code::EPERM)
    }

    /// `rename(2)` of `node` to `name` in `new_parent`.
    fn rename(_node: &Node, _new_parent: &Node, _name: &CStr) -> Result {
        Err(crate::error::code::EPERM)
    }

    /// Appends the mount options of the hierarchy whose root directory is `root` to `m`
    /// (`/proc/mounts`), each as `,option`.
    fn show_options(_m: &SeqFile, _root: &Node) -> Result {
        Ok(())
    }
}

/// A C `struct kernfs_syscall_ops` built from a [`SyscallOps`] implementation.
pub struct SyscallOpsTable(Opaque<bindings::kernfs_syscall_ops>);

// SAFETY: The table is never written after it is built; kernfs only reads it.
unsafe impl Sync for SyscallOpsTable {}

/// Builds the syscall operation table of `T`.
pub const fn syscall_ops<T: SyscallOps>() -> SyscallOpsTable {
    // SAFETY: All-zeroes is a valid `kernfs_syscall_ops` (every callback absent).
    let mut ops: bindings::kernfs_syscall_ops = unsafe { core::mem::zeroed() };
    if T::HAS_MKDIR {
        ops.mkdir = Some(mkdir_callback::<T>);
    }
    if T::HAS_RMDIR {
        ops.rmdir = Some(rmdir_callback::<T>);
    }
    if T::HAS_RENAME {
        ops.rename = Some(rename_callback::<T>);
    }
    if T::HAS_SHOW_OPTIONS {
        ops.show_options = Some(show_options_callback::<T>);
    }
    SyscallOpsTable(Opaque::new(ops))
}

/// # Safety
///
/// Called by kernfs with a live parent (active reference held) and a NUL-terminated name.
unsafe extern "C" fn mkdir_callback<T: SyscallOps>(
    parent: *mut bindings::kernfs_node,
    name: *const c_char,
    mode: bindings::umode_t,
) -> c_int {
    // SAFETY: See the function's safety requirements.
    let (parent, name) = unsafe { (Node::from_raw(parent), CStr::from_char_ptr(name)) };
    from_result(|| T::mkdir(parent, name, mode).map(|()| 0))
}

/// # Safety
///
/// Called by kernfs with a live node (active reference held).
unsafe extern "C" fn rmdir_callback<T: SyscallOps>(node: *mut bindings::kernfs_node) -> c_int {
    // SAFETY: See the function's safety requirements.
    let node = unsafe { Node::from_raw(node) };
    from_result(|| T::rmdir(node).map(|()| 0))
}

/// # Safety
///
/// Called by kernfs with live nodes (active references held) and a NUL-terminated name.
unsafe extern "C" fn rename_callback<T: SyscallOps>(
    node: *mut bindings::kernfs_node,
    new_parent: *mut bindings::kernfs_node,
    name: *const c_char,
) -> c_int {
    // SAFETY: See the function's safety requirements.
    let (node, new_parent, name) = unsafe {
        (
            Node::from_raw(node),
            Node::from_raw(new_parent),
            CStr::from_char_ptr(name),
        )
    };
    from_result(|| T::rename(node, new_parent, name).map(|()| 0))
}

/// # Safety
///
/// Called by the VFS with a valid seq_file and the root of a mounted kernfs hierarchy.
unsafe extern "C" fn show_options_callback<T: SyscallOps>(
    sf: *mut bindings::seq_file,
    root: *mut bindings::kernfs_root,
) -> c_int {
    // SAFETY: The seq_file is valid and ours for the call; a mounted root and its root node are
    // live while its super block is shown.
    let (m, node) = unsafe { (SeqFile::from_raw(sf), root_node(root)) };
    from_result(|| T::show_options(m, node).map(|()| 0))
}
