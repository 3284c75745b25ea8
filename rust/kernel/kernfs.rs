// SPDX-License-Identifier: GPL-2.0

//! kernfs: the pseudo filesystem core behind sysfs and cgroupfs.
//!
//! C header: [`include/linux/kernfs.h`](srctree/include/linux/kernfs.h)
//!
//! A kernfs tree is made of [`Node`]s under a [`Root`]. Its directories are served by a
//! [`DirOps`] implementation (`mkdir`, `rmdir`, `rename` on the mounted tree), which also names
//! the type of the private data every directory of the tree carries ([`DirOps::Data`]). Its
//! files are served by [`FileOps`] implementations, each with a static, per-file datum
//! ([`FileOps::Data`]). The C operation tables are built at compile time. A tree is mounted
//! through a filesystem type made by [`fs_type`] from an [`FsType`] implementation.
//!
//! # Active references
//!
//! kernfs protects every operation on a node with an *active reference*: [`DirHandle::remove`]
//! waits for the operations in flight to finish, and later ones fail with `ENODEV`. Operations
//! receive an [`ActiveDir`] or [`ActiveFile`], the proof that the node's private data is in
//! place. An operation that must take a lock which is also held around `remove` gives its
//! protection up for the duration of a closure ([`ActiveDir::with_broken_protection`]); it
//! cannot reach the node's private data meanwhile, since the node may be removed.
//!
//! # Ownership
//!
//! A directory created with [`DirHandle::create_dir`] is owned by the returned [`DirHandle`]:
//! only its owner can remove it ([`DirHandle::remove`]), which gives the private data back. The
//! root directory is owned by its [`Root`], destroyed with [`Root::destroy`].
//!
//! # Examples
//!
//! ```
//! use kernel::kernfs::{ActiveFile, Attrs, DirOps, FileOps, Root, RootFlags};
//! use kernel::{c_str, error::code::EEXIST, prelude::*, seq_file::SeqFile, seq_print};
//!
//! struct Dirs;
//! #[vtable]
//! impl DirOps for Dirs {
//!     type Data = KBox<u32>;
//! }
//!
//! struct Hello;
//! #[vtable]
//! impl FileOps for Hello {
//!     type Dir = Dirs;
//!     type Data = &'static str;
//!     fn show(file: ActiveFile<'_, Self>, m: &SeqFile) -> Result {
//!         seq_print!(m, "{} {}\n", file.data(), *file.dir_data());
//!         Ok(())
//!     }
//! }
//! static HELLO: &str = "hello";
//!
//! let root = Root::<Dirs>::new(RootFlags::DEACTIVATED, KBox::new(1, GFP_KERNEL)?)?;
//! let top = root.dir();
//! assert!(top.node().is_dir());
//! assert_eq!(*top.data(), 1);
//! let attrs = Attrs::current_owner(0o755);
//! let dir = top.create_dir(c_str!("d"), attrs, KBox::new(2, GFP_KERNEL)?)?;
//! assert_eq!(*dir.data(), 2);
//! assert!(core::ptr::eq(dir.node().parent().ok_or(EINVAL)?, top.node()));
//! dir.create_file::<Hello>(c_str!("f"), Attrs::current_owner(0o444), &HELLO)?;
//! let again = top.create_dir(c_str!("d"), attrs, KBox::new(3, GFP_KERNEL)?);
//! assert_eq!(again.err(), Some(EEXIST));
//! top.activate();
//! dir.rename(c_str!("e"))?;
//! assert!(core::ptr::eq(dir.node().parent().ok_or(EINVAL)?, top.node()));
//! assert_eq!(top.rename(c_str!("x")), Err(EINVAL));
//! let mut buf = [0u8; 16];
//! assert_eq!(dir.node().name_into(&mut buf)?, b"e");
//! assert_eq!(dir.node().path_into(&mut buf)?, b"/e");
//! assert_eq!(*dir.remove(), 2);
//! // SAFETY: Never mounted.
//! assert_eq!(*unsafe { root.destroy() }, 1);
//! # Ok::<(), Error>(())
//! ```

use crate::ffi::{c_char, c_int, c_void};
use crate::{
    alloc::{flags::GFP_KERNEL, KBox},
    bindings,
    cred::UserNamespace,
    error::{code::*, from_err_ptr, from_result, to_result, Error, Result},
    seq_file::SeqFile,
    str::CStr,
    types::{ARef, AlwaysRefCounted, ForeignOwnable, Opaque},
};
use core::{marker::PhantomData, ptr, ptr::NonNull};

/// A kernfs node: a directory or a file.
///
/// # Invariants
///
/// A `&Node` is only handed out while the node's memory is valid: the holder has a count
/// reference, or kernfs is running an operation on it (which holds one).
#[repr(transparent)]
pub struct Node(Opaque<bindings::kernfs_node>);

// SAFETY: kernfs nodes are reference counted and their fields are synchronised by kernfs.
unsafe impl Send for Node {}
// SAFETY: As above: shared references only read fields that kernfs keeps consistent.
unsafe impl Sync for Node {}

// SAFETY: `kernfs_get`/`kernfs_put` keep the node's memory valid.
unsafe impl AlwaysRefCounted for Node {
    fn inc_ref(&self) {
        // SAFETY: The node is valid (type invariant), so its count is non-zero.
        unsafe { bindings::kernfs_get(self.as_ptr()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a count reference.
        unsafe { bindings::kernfs_put(obj.cast().as_ptr()) };
    }
}

impl Node {
    /// Creates a reference to a node from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a `struct kernfs_node` that stays valid for `'a`, of a tree made with
    /// this module ([`Root`]), whose nodes never move to another directory ([`Node::parent`]
    /// relies on it; a sysfs node, which `kobject_move()` may move, is not one).
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

    /// The parent directory, `None` for a root directory.
    ///
    /// The trees made with this module never move nodes between directories
    /// ([`DirHandle::rename`] renames in place, and kernfs moves nodes only when asked), so the
    /// parent is fixed; a node holds a count reference on its parent.
    pub fn parent(&self) -> Option<&Node> {
        // SAFETY: The node is valid (type invariant) and its parent pointer never changes.
        let parent = unsafe { (*self.as_ptr()).parent };
        // SAFETY: A node holds a count reference on its parent, which is therefore valid for as
        // long as `self` is.
        (!parent.is_null()).then(|| unsafe { Node::from_raw(parent) })
    }

    /// Writes the node's name into `buf` and returns it (`/` for a root directory).
    pub fn name_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8]> {
        // SAFETY: The node is valid (type invariant) and `buf` is writable for its length.
        let len =
            unsafe { bindings::kernfs_name(self.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        let len = usize::try_from(len).map_err(|_| Error::from_errno(len))?;
        buf.get(..len).ok_or(E2BIG)
    }

    /// Writes the node's path from the root directory of its tree into `buf` and returns it
    /// (`/` for the root directory); `E2BIG` if it does not fit.
    pub fn path_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8]> {
        // SAFETY: The node is valid (type invariant) and `buf` is writable for its length.
        let len = unsafe {
            bindings::kernfs_path_from_node(
                self.as_ptr(),
                ptr::null_mut(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        let len = usize::try_from(len).map_err(|_| Error::from_errno(len))?;
        buf.get(..len).ok_or(E2BIG)
    }

    /// Writes the path of the node relative to `from`, a node of the same tree, into `buf` and
    /// returns it: `/` and the path below `from` for a descendant of it, `/..` components up to
    /// their closest common ancestor and then down otherwise; `E2BIG` if it does not fit.
    pub fn path_from_into<'b>(&self, from: &Node, buf: &'b mut [u8]) -> Result<&'b [u8]> {
        // SAFETY: Both nodes are valid (type invariant) and `buf` is writable for its length.
        let len = unsafe {
            bindings::kernfs_path_from_node(
                self.as_ptr(),
                from.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        let len = usize::try_from(len).map_err(|_| Error::from_errno(len))?;
        buf.get(..len).ok_or(E2BIG)
    }

    /// The private pointer given when the node was created.
    fn private(&self) -> *mut c_void {
        // SAFETY: The node is valid (type invariant); `priv` is set at creation only.
        unsafe { (*self.as_ptr()).priv_ }
    }
}

/// Flags of a new [`Root`].
#[derive(Clone, Copy)]
pub struct RootFlags(u32);

impl RootFlags {
    /// No flag.
    pub const NONE: RootFlags = RootFlags(0);
    /// New nodes stay invisible until activated ([`DirHandle::activate`]).
    pub const DEACTIVATED: RootFlags =
        RootFlags(bindings::kernfs_root_flag_KERNFS_ROOT_CREATE_DEACTIVATED);
    /// Nodes can be reached by file handle (`name_to_handle_at`, `open_by_handle_at`).
    pub const SUPPORT_EXPORTOP: RootFlags =
        RootFlags(bindings::kernfs_root_flag_KERNFS_ROOT_SUPPORT_EXPORTOP);
    /// Nodes take `user.*` extended attributes.
    pub const SUPPORT_USER_XATTR: RootFlags =
        RootFlags(bindings::kernfs_root_flag_KERNFS_ROOT_SUPPORT_USER_XATTR);

    /// Both sets of flags.
    pub const fn with(self, other: RootFlags) -> RootFlags {
        RootFlags(self.0 | other.0)
    }
}

/// Ownership and mode of a new node.
#[derive(Clone, Copy)]
pub struct Attrs {
    /// Permission bits (without the file type).
    pub mode: u16,
    uid: bindings::kuid_t,
    gid: bindings::kgid_t,
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

/// The operations on the directories of a kernfs tree, and the type of their private data.
#[macros::vtable]
pub trait DirOps: Sized + 'static {
    /// The private data of every directory of the tree.
    type Data: ForeignOwnable + Send + Sync + 'static;

    /// `mkdir(2)` of `name` in `parent`, with `mode` (after umask, without the file type).
    fn mkdir(_parent: ActiveDir<'_, Self>, _name: &CStr, _mode: u16) -> Result {
        Err(EPERM)
    }

    /// `rmdir(2)` of `dir`.
    fn rmdir(_dir: ActiveDir<'_, Self>) -> Result {
        Err(EPERM)
    }

    /// `rename(2)` of the directory `dir` to `name` in `new_parent`. (Files cannot be renamed:
    /// `ENOTDIR`.)
    fn rename(_dir: ActiveDir<'_, Self>, _new_parent: ActiveDir<'_, Self>, _name: &CStr) -> Result {
        Err(EPERM)
    }

    /// Appends the mount options of the mounted tree whose root directory has data `root` to
    /// `m` (`/proc/mounts`), each as `,option`.
    fn show_options(_m: &SeqFile, _root: <Self::Data as ForeignOwnable>::Borrowed<'_>) -> Result {
        Ok(())
    }

    /// Appends the path of `dir`, the root directory of a mount of the tree whose root
    /// directory has data `root`, to `m` (the root field of `/proc/<pid>/mountinfo`), escaped.
    /// Without it, the path from the tree's root is shown.
    fn show_path(
        _m: &SeqFile,
        _dir: &Node,
        _root: <Self::Data as ForeignOwnable>::Borrowed<'_>,
    ) -> Result {
        Ok(())
    }
}

/// A directory of a tree of `T` on which kernfs runs an operation.
///
/// # Invariants
///
/// kernfs holds the node's active reference, and the node is a directory of a tree of `T`
/// whose private pointer comes from `T::Data::into_foreign`.
pub struct ActiveDir<'a, T: DirOps> {
    node: &'a Node,
    _p: PhantomData<T>,
}

impl<'a, T: DirOps> ActiveDir<'a, T> {
    /// # Safety
    ///
    /// `node` must satisfy the type invariants for `'a`.
    unsafe fn new(node: &'a Node) -> Self {
        // INVARIANT: Guaranteed by the caller.
        ActiveDir {
            node,
            _p: PhantomData,
        }
    }

    /// The directory's private data.
    pub fn data(&self) -> <T::Data as ForeignOwnable>::Borrowed<'_> {
        // SAFETY: The private pointer comes from `into_foreign` and stays in place while the
        // active reference is held (type invariants): `DirHandle::remove` waits for it.
        unsafe { T::Data::borrow(self.node.private()) }
    }

    /// The node.
    pub fn node(&self) -> &'a Node {
        self.node
    }

    /// Runs `f` without the active reference, so that `f` may take locks that are held around
    /// [`DirHandle::remove`]. The directory may be removed meanwhile: `f` only gets the node,
    /// whose memory stays valid for the whole operation.
    pub fn with_broken_protection<R>(self, f: impl FnOnce(&'a Node) -> R) -> R {
        // SAFETY: We are in an operation that holds the active reference (type invariants), and
        // it is given back below before the operation can return.
        unsafe { bindings::kernfs_break_active_protection(self.node.as_ptr()) };
        let r = f(self.node);
        // SAFETY: Paired with the break above.
        unsafe { bindings::kernfs_unbreak_active_protection(self.node.as_ptr()) };
        r
    }
}

/// The owner of a live directory of a tree of `T`: while it exists, the directory is in the
/// tree and carries its private data.
///
/// # Invariants
///
/// `node` is a directory of a tree of `T`, not removed, whose private pointer comes from
/// `T::Data::into_foreign`; the handle holds a count reference on it.
pub struct DirHandle<T: DirOps> {
    node: NonNull<bindings::kernfs_node>,
    _p: PhantomData<T>,
}

// SAFETY: The handle only gives shared access to the node and its data, which are `Sync`.
unsafe impl<T: DirOps> Send for DirHandle<T> {}
// SAFETY: As above.
unsafe impl<T: DirOps> Sync for DirHandle<T> {}

impl<T: DirOps> DirHandle<T> {
    /// The node.
    pub fn node(&self) -> &Node {
        // SAFETY: The handle holds a count reference (type invariants).
        unsafe { Node::from_raw(self.node.as_ptr()) }
    }

    /// The directory's private data.
    pub fn data(&self) -> <T::Data as ForeignOwnable>::Borrowed<'_> {
        // SAFETY: The directory is not removed while the handle exists (type invariants).
        unsafe { T::Data::borrow(self.node().private()) }
    }

    /// Creates a subdirectory carrying `data`.
    pub fn create_dir(&self, name: &CStr, attrs: Attrs, data: T::Data) -> Result<DirHandle<T>> {
        let private = data.into_foreign();
        // SAFETY: The directory is live (type invariants); `name` is copied by kernfs; no
        // namespace tag.
        let kn = from_err_ptr(unsafe {
            bindings::kernfs_create_dir_ns(
                self.node.as_ptr(),
                name.as_char_ptr(),
                attrs.mode,
                attrs.uid,
                attrs.gid,
                private.cast_mut(),
                ptr::null(),
            )
        });
        let kn = match kn {
            Ok(kn) => kn,
            Err(e) => {
                // SAFETY: Not stored anywhere: the node was not created.
                drop(unsafe { T::Data::from_foreign(private) });
                return Err(e);
            }
        };
        // SAFETY: Just created, with a count reference owned by its parent's tree; take one for
        // the handle.
        unsafe { bindings::kernfs_get(kn) };
        // INVARIANT: A new directory of this tree carrying `private`, with our count reference.
        Ok(DirHandle {
            node: NonNull::new(kn).ok_or(ENOMEM)?,
            _p: PhantomData,
        })
    }

    /// Creates a regular file served by `F`, carrying `data`.
    pub fn create_file<F: FileOps<Dir = T>>(
        &self,
        name: &CStr,
        attrs: Attrs,
        data: &'static F::Data,
    ) -> Result {
        let ops = FileOpsVTable::<F>::build();
        // SAFETY: The directory is live (type invariants); `name` is copied; `ops` is static and
        // never written by kernfs; `data` is static.
        from_err_ptr(unsafe {
            bindings::__kernfs_create_file(
                self.node.as_ptr(),
                name.as_char_ptr(),
                attrs.mode,
                attrs.uid,
                attrs.gid,
                0,
                ptr::from_ref(ops).cast_mut(),
                ptr::from_ref(data).cast_mut().cast(),
                ptr::null(),
                ptr::null_mut(),
            )
        })
        .map(|_| ())
    }

    /// Removes the file `name` of this directory, if there is one, waiting for the operations
    /// in flight on it.
    pub fn remove_file(&self, name: &CStr) {
        // SAFETY: The directory is live (type invariants); the name is NUL-terminated. Files of
        // our trees carry static data: nothing to give back.
        unsafe {
            bindings::kernfs_remove_by_name_ns(self.node.as_ptr(), name.as_char_ptr(), ptr::null())
        };
    }

    /// Makes the directory and everything under it visible.
    pub fn activate(&self) {
        // SAFETY: The directory is live (type invariants).
        unsafe { bindings::kernfs_activate(self.node.as_ptr()) }
    }

    /// Renames the directory to `name`, in the directory it is in (`EINVAL` for a root
    /// directory). Nodes of these trees never move to another directory: [`Node::parent`]
    /// relies on it.
    pub fn rename(&self, name: &CStr) -> Result {
        let node = self.node.as_ptr();
        let parent = self.node().parent().ok_or(EINVAL)?;
        // SAFETY: The directory and its parent are live (type invariants; a node holds its
        // parent); the name is copied. The parent stays the same.
        to_result(unsafe {
            bindings::kernfs_rename_ns(node, parent.as_ptr(), name.as_char_ptr(), ptr::null())
        })
    }

    /// Removes the directory and everything under it, waiting for the operations in flight on
    /// them, and gives its private data back.
    ///
    /// Waits for every operation that holds an active reference in the subtree: an operation
    /// in the subtree that calls this must have broken its protection first.
    pub fn remove(self) -> T::Data {
        let this = core::mem::ManuallyDrop::new(self);
        let node = this.node.as_ptr();
        // SAFETY: The directory is live (type invariants) and removed once: the handle is
        // consumed.
        unsafe { bindings::kernfs_remove(node) };
        // SAFETY: Removed: no operation runs on it any more, nor can one start, and nothing else
        // reads the private pointer, which comes from `into_foreign` (type invariants).
        let data = unsafe { T::Data::from_foreign((*node).priv_) };
        // SAFETY: The handle's count reference.
        unsafe { bindings::kernfs_put(node) };
        data
    }
}

impl<T: DirOps> Drop for DirHandle<T> {
    /// A handle dropped without [`DirHandle::remove`] leaves the directory in the tree, with its
    /// data, for as long as the tree lives.
    fn drop(&mut self) {
        // SAFETY: The handle's count reference.
        unsafe { bindings::kernfs_put(self.node.as_ptr()) };
    }
}

/// A kernfs tree of `T`, and the owner of its root directory.
///
/// # Invariants
///
/// `raw` is a live kernfs root made with `T`'s operations, and `dir` its root directory.
pub struct Root<T: DirOps> {
    raw: NonNull<bindings::kernfs_root>,
    dir: core::mem::ManuallyDrop<DirHandle<T>>,
}

// SAFETY: The root is only used through kernfs, which synchronises itself.
unsafe impl<T: DirOps> Send for Root<T> {}
// SAFETY: As above.
unsafe impl<T: DirOps> Sync for Root<T> {}

impl<T: DirOps> Root<T> {
    /// Creates a tree whose root directory carries `data`.
    pub fn new(flags: RootFlags, data: T::Data) -> Result<Self> {
        let ops = DirOpsVTable::<T>::build();
        let private = data.into_foreign();
        // SAFETY: `ops` lives for ever and kernfs never writes through it; `private` is only
        // stored.
        let raw = from_err_ptr(unsafe {
            bindings::kernfs_create_root(ptr::from_ref(ops).cast_mut(), flags.0, private.cast_mut())
        });
        let raw = match raw {
            Ok(raw) => raw,
            Err(e) => {
                // SAFETY: Not stored anywhere: the root was not created.
                drop(unsafe { T::Data::from_foreign(private) });
                return Err(e);
            }
        };
        // SAFETY: `raw` is live; its root node lives as long as it.
        let kn = unsafe { bindings::kernfs_root_to_node(raw) };
        // SAFETY: Take a count reference for the handle.
        unsafe { bindings::kernfs_get(kn) };
        // INVARIANT: A new root made with `T`'s operations, and its root directory with our count
        // reference.
        Ok(Root {
            raw: NonNull::new(raw).ok_or(ENOMEM)?,
            dir: core::mem::ManuallyDrop::new(DirHandle {
                node: NonNull::new(kn).ok_or(ENOMEM)?,
                _p: PhantomData,
            }),
        })
    }

    /// The root directory.
    pub fn dir(&self) -> &DirHandle<T> {
        &self.dir
    }

    /// Destroys the tree and everything in it, and gives the root directory's data back
    /// (the data of other directories must have been taken back with [`DirHandle::remove`]
    /// before, or it is leaked).
    ///
    /// # Safety
    ///
    /// The tree must not be mounted: no superblock may use it any more.
    pub unsafe fn destroy(self) -> T::Data {
        let mut this = core::mem::ManuallyDrop::new(self);
        let kn = this.dir.node.as_ptr();
        // SAFETY: Our handle's count reference keeps the node's memory until the put below.
        let private = unsafe { (*kn).priv_ };
        // SAFETY: The root is live and unmounted (caller): nothing else uses it.
        unsafe { bindings::kernfs_destroy_root(this.raw.as_ptr()) };
        // SAFETY: The handle's count reference; the handle is not used again.
        unsafe { core::mem::ManuallyDrop::drop(&mut this.dir) };
        // SAFETY: Destroyed: nothing reads the private pointer any more.
        unsafe { T::Data::from_foreign(private) }
    }
}

/// The C `struct kernfs_syscall_ops` of `T`, built at compile time.
struct DirOpsVTable<T>(PhantomData<T>);

impl<T: DirOps> DirOpsVTable<T> {
    const VTABLE: bindings::kernfs_syscall_ops = dir_ops::<T>();

    const fn build() -> &'static bindings::kernfs_syscall_ops {
        &Self::VTABLE
    }
}

const fn dir_ops<T: DirOps>() -> bindings::kernfs_syscall_ops {
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
    if T::HAS_SHOW_PATH {
        ops.show_path = Some(show_path_callback::<T>);
    }
    ops
}

/// # Safety
///
/// Called by kernfs with a live directory of a tree of `T` (active reference held) and a
/// NUL-terminated name.
unsafe extern "C" fn mkdir_callback<T: DirOps>(
    parent: *mut bindings::kernfs_node,
    name: *const c_char,
    mode: bindings::umode_t,
) -> c_int {
    // SAFETY: See the function's safety requirements.
    let (parent, name) = unsafe {
        (
            ActiveDir::<T>::new(Node::from_raw(parent)),
            CStr::from_char_ptr(name),
        )
    };
    from_result(|| T::mkdir(parent, name, mode).map(|()| 0))
}

/// # Safety
///
/// Called by kernfs with a live directory of a tree of `T` (active reference held).
unsafe extern "C" fn rmdir_callback<T: DirOps>(node: *mut bindings::kernfs_node) -> c_int {
    // SAFETY: See the function's safety requirements.
    let dir = unsafe { ActiveDir::<T>::new(Node::from_raw(node)) };
    from_result(|| T::rmdir(dir).map(|()| 0))
}

/// # Safety
///
/// Called by kernfs with live nodes of a tree of `T` (active references held), a directory as
/// new parent, and a NUL-terminated name.
unsafe extern "C" fn rename_callback<T: DirOps>(
    node: *mut bindings::kernfs_node,
    new_parent: *mut bindings::kernfs_node,
    name: *const c_char,
) -> c_int {
    // SAFETY: See the function's safety requirements.
    let (node, new_parent, name) = unsafe {
        (
            Node::from_raw(node),
            ActiveDir::<T>::new(Node::from_raw(new_parent)),
            CStr::from_char_ptr(name),
        )
    };
    if !node.is_dir() {
        return ENOTDIR.to_errno();
    }
    // SAFETY: A directory of the tree, with its active reference held (see above).
    let dir = unsafe { ActiveDir::<T>::new(node) };
    from_result(|| T::rename(dir, new_parent, name).map(|()| 0))
}

/// # Safety
///
/// Called by the VFS with a valid seq_file and the root of a mounted tree of `T`.
unsafe extern "C" fn show_options_callback<T: DirOps>(
    sf: *mut bindings::seq_file,
    root: *mut bindings::kernfs_root,
) -> c_int {
    // SAFETY: The seq_file is valid and ours for the call; a mounted root's directory keeps its
    // data while its superblock is shown.
    let (m, data) = unsafe {
        let node = Node::from_raw(bindings::kernfs_root_to_node(root));
        (SeqFile::from_raw(sf), T::Data::borrow(node.private()))
    };
    from_result(|| T::show_options(m, data).map(|()| 0))
}

/// # Safety
///
/// Called by kernfs for a mounted tree of `T`, with a seq_file of its own and `kn`, the root
/// directory of the mount shown, which its mount keeps.
unsafe extern "C" fn show_path_callback<T: DirOps>(
    sf: *mut bindings::seq_file,
    kn: *mut bindings::kernfs_node,
    root: *mut bindings::kernfs_root,
) -> c_int {
    // SAFETY: As for `show_options_callback`; `kn` is kept by the mount.
    let (m, dir, data) = unsafe {
        let node = Node::from_raw(bindings::kernfs_root_to_node(root));
        (
            SeqFile::from_raw(sf),
            Node::from_raw(kn),
            T::Data::borrow(node.private()),
        )
    };
    from_result(|| T::show_path(m, dir, data).map(|()| 0))
}

/// The operations of a kind of file in trees of `Self::Dir`.
#[macros::vtable]
pub trait FileOps: Sized + 'static {
    /// The tree's directory operations (for the type of the parent directory's data).
    type Dir: DirOps;
    /// The static datum each file of this kind carries.
    type Data: Sync + 'static;

    /// The longest write, in bytes; longer ones fail with `E2BIG`.
    const MAX_WRITE: usize = crate::page::PAGE_SIZE;

    /// Writes the whole content of the file into `m`.
    fn show(_file: ActiveFile<'_, Self>, _m: &SeqFile) -> Result {
        Err(EINVAL)
    }

    /// Handles a write of `buf`; returns the number of bytes consumed.
    fn write(_file: ActiveFile<'_, Self>, _buf: &[u8]) -> Result<usize> {
        Err(EINVAL)
    }
}

/// An open file of kind `F` on which kernfs runs an operation.
///
/// # Invariants
///
/// kernfs holds the file node's active reference; the node was made by
/// [`DirHandle::create_file`] with `F`, so its private pointer is a `&'static F::Data`, and its
/// parent is a directory of a tree of `F::Dir`.
pub struct ActiveFile<'a, F: FileOps> {
    /// A raw pointer, not a reference: kernfs changes other fields of the open file (its list
    /// node, its mutex) while the operation runs; only `kn` and `file`, which never change, are
    /// read through it.
    of: *mut bindings::kernfs_open_file,
    _p: PhantomData<(&'a bindings::kernfs_open_file, F)>,
}

impl<'a, F: FileOps> ActiveFile<'a, F> {
    fn node(&self) -> &'a Node {
        // SAFETY: kernfs holds the node for the open file's whole life.
        unsafe { Node::from_raw((*self.of).kn) }
    }

    /// The file's datum.
    pub fn data(&self) -> &'static F::Data {
        // SAFETY: A `&'static F::Data` given to `create_file` (type invariants).
        unsafe { &*self.node().private().cast::<F::Data>() }
    }

    /// The private data of the directory the file is in.
    pub fn dir_data(&self) -> <<F::Dir as DirOps>::Data as ForeignOwnable>::Borrowed<'_> {
        // SAFETY: Files are created in a directory (type invariants), which cannot finish being
        // removed while an operation on one of its files holds its active reference: its data
        // is in place.
        unsafe {
            let dir = (*(*self.of).kn).parent;
            <F::Dir as DirOps>::Data::borrow(Node::from_raw(dir).private())
        }
    }

    /// The effective uid of whoever opened the file.
    pub fn opener_euid(&self) -> bindings::kuid_t {
        // SAFETY: The open file's `file` and its credentials live as long as it.
        unsafe { (*(*(*self.of).file).f_cred).euid }
    }

    /// Whether whoever opened the file had capability `cap` in the initial user namespace.
    pub fn opener_capable_in_init_ns(&self, cap: u32) -> bool {
        // SAFETY: The open file is valid; `init_user_ns` is static.
        unsafe {
            bindings::file_ns_capable(
                (*self.of).file,
                ptr::addr_of_mut!(bindings::init_user_ns),
                cap as c_int,
            )
        }
    }

    /// Runs `f` without the active reference, so that `f` may take locks that are held around
    /// [`DirHandle::remove`]; the file and its directory may be removed meanwhile.
    pub fn with_broken_protection<R>(self, f: impl FnOnce() -> R) -> R {
        // SAFETY: The open file is valid during the operation; `kn` never changes.
        let kn = unsafe { (*self.of).kn };
        // SAFETY: We are in an operation that holds the active reference (type invariants), and
        // it is given back below before the operation can return.
        unsafe { bindings::kernfs_break_active_protection(kn) };
        let r = f();
        // SAFETY: Paired with the break above.
        unsafe { bindings::kernfs_unbreak_active_protection(kn) };
        r
    }
}

/// The C `struct kernfs_ops` of `F`, built at compile time.
struct FileOpsVTable<F>(PhantomData<F>);

impl<F: FileOps> FileOpsVTable<F> {
    const VTABLE: bindings::kernfs_ops = file_ops::<F>();

    const fn build() -> &'static bindings::kernfs_ops {
        &Self::VTABLE
    }
}

const fn file_ops<F: FileOps>() -> bindings::kernfs_ops {
    // SAFETY: All-zeroes is a valid `kernfs_ops` (every callback absent).
    let mut ops: bindings::kernfs_ops = unsafe { core::mem::zeroed() };
    ops.seq_show = Some(seq_show_callback::<F>);
    if F::HAS_WRITE {
        ops.write = Some(write_callback::<F>);
    }
    ops.atomic_write_len = F::MAX_WRITE;
    ops
}

/// # Safety
///
/// Called by kernfs with a seq_file of a file made with `F`, whose `private` is the open file,
/// under the file's lock and active reference.
unsafe extern "C" fn seq_show_callback<F: FileOps>(
    sf: *mut bindings::seq_file,
    _v: *mut c_void,
) -> c_int {
    from_result(|| {
        // SAFETY: See the function's safety requirements.
        let (file, m) = unsafe {
            let of = (*sf).private.cast::<bindings::kernfs_open_file>();
            (
                ActiveFile::<F> {
                    of,
                    _p: PhantomData,
                },
                SeqFile::from_raw(sf),
            )
        };
        F::show(file, m)?;
        Ok(0)
    })
}

/// # Safety
///
/// Called by kernfs with a valid open file of a file made with `F` (active reference held) and
/// a buffer of `bytes` bytes.
unsafe extern "C" fn write_callback<F: FileOps>(
    of: *mut bindings::kernfs_open_file,
    buf: *mut c_char,
    bytes: usize,
    _off: bindings::loff_t,
) -> isize {
    from_result(|| {
        // SAFETY: See the function's safety requirements; the buffer is a kernel copy that is
        // ours for the call.
        let (file, buf) = unsafe {
            (
                ActiveFile::<F> {
                    of,
                    _p: PhantomData,
                },
                core::slice::from_raw_parts(buf.cast::<u8>(), bytes),
            )
        };
        let n = F::write(file, buf)?;
        isize::try_from(n).map_err(|_| EINVAL)
    })
}

/// The value of a mount parameter.
pub enum ParamValue<'a> {
    /// `key` alone.
    Flag,
    /// `key=value`.
    String(&'a [u8]),
    /// A binary blob, a path or a file descriptor (`fsconfig()`).
    Other,
}

/// One mount parameter.
pub struct Param<'a> {
    /// The key.
    pub key: &'a [u8],
    /// The value.
    pub value: ParamValue<'a>,
    /// Whether the mount is made in the initial user namespace.
    pub in_init_user_ns: bool,
}

impl Param<'_> {
    /// The parameter `param` of the mount `fc`.
    ///
    /// # Safety
    ///
    /// `fc` and `param` must be valid for `'a`, as the VFS passes them to `parse_param`: the
    /// key is a NUL-terminated string, and a string value is NUL-terminated with `size` bytes.
    unsafe fn from_raw<'a>(
        fc: *mut bindings::fs_context,
        param: *mut bindings::fs_parameter,
    ) -> Param<'a> {
        // SAFETY: Guaranteed by the caller.
        unsafe {
            let p = &*param;
            let value = match p.type_() {
                bindings::fs_value_type_fs_value_is_flag => ParamValue::Flag,
                bindings::fs_value_type_fs_value_is_string => ParamValue::String(
                    core::slice::from_raw_parts(p.__bindgen_anon_1.string.cast::<u8>(), p.size),
                ),
                _ => ParamValue::Other,
            };
            Param {
                key: CStr::from_char_ptr(p.key).as_bytes(),
                value,
                in_init_user_ns: ptr::eq((*fc).user_ns, ptr::addr_of_mut!(bindings::init_user_ns)),
            }
        }
    }
}

/// A filesystem type whose superblocks show kernfs trees of `Self::Dirs`.
pub trait FsType: Sized + Send + Sync + 'static {
    /// The operations on the trees' directories.
    type Dirs: DirOps;
    /// The options of one mount, from [`FsType::init_context`] to the end of the mount.
    type Context: Send;
    /// What [`FsType::before_kill_sb`] hands to [`FsType::after_kill_sb`].
    type KillToken;

    /// The name (`mount -t <name>`).
    const NAME: &'static CStr;
    /// The superblock magic number (`statfs`).
    const MAGIC: crate::ffi::c_ulong;
    /// Whether a mount needs `CAP_SYS_ADMIN` in the user namespace that [`FsType::user_ns`]
    /// gives (`FS_USERNS_MOUNT`) rather than in the initial one; the superblocks of such a type
    /// are shared by all user namespaces.
    const USERNS_MOUNT: bool = false;

    /// Starts a mount or a reconfiguration.
    fn init_context() -> Result<Self::Context>;

    /// The user namespace of a mount or reconfiguration with context `ctx` (the fs_context's
    /// `user_ns`, which [`Param::in_init_user_ns`] tells about); `None`: the VFS's choice, the
    /// mounting task's.
    fn user_ns(_ctx: &Self::Context) -> Option<ARef<UserNamespace>> {
        None
    }

    /// Takes one mount parameter: `Ok(false)` if it is not one of this type's (the VFS then
    /// takes `source` and refuses anything else with `EINVAL`).
    fn parse_param(ctx: &mut Self::Context, param: &Param<'_>) -> Result<bool>;

    /// Mounts: chooses or creates the tree to show and calls [`Mounter::mount`] with it.
    fn get_tree(ctx: &mut Self::Context, mounter: Mounter<'_, Self>) -> Result;

    /// Reconfigures (remounts) the superblock whose root directory has data `root`.
    fn reconfigure(
        ctx: &mut Self::Context,
        root: <<Self::Dirs as DirOps>::Data as ForeignOwnable>::Borrowed<'_>,
    ) -> Result;

    /// The last reference to a superblock whose root directory has data `root` goes away;
    /// called before kernfs tears the superblock down.
    fn before_kill_sb(
        root: <<Self::Dirs as DirOps>::Data as ForeignOwnable>::Borrowed<'_>,
    ) -> Self::KillToken;

    /// Called once the superblock is gone.
    fn after_kill_sb(token: Self::KillToken);
}

/// What [`FsType::get_tree`] mounts with.
pub struct Mounter<'a, T: FsType> {
    fc: *mut bindings::fs_context,
    _p: PhantomData<&'a T>,
}

impl<'a, T: FsType> Mounter<'a, T> {
    /// Makes (or finds, if the tree already has one) the superblock of `root` and gives it to
    /// the mount, showing the tree from its root directory.
    pub fn mount(self, root: &Root<T::Dirs>) -> Result<Mounted<'a, T>> {
        // SAFETY: `fs_private` is the `FsCtx<T>` made by `init_fs_context`, whose first field is
        // the kernfs context, and the VFS serialises operations on one fs_context. Only raw
        // pointers are kept: `kernfs_get_tree` writes the context too.
        let kfc = unsafe { ptr::addr_of_mut!((*(*self.fc).fs_private.cast::<FsCtx<T>>()).kfc) };
        // SAFETY: As above: valid, and nobody else uses the context meanwhile.
        unsafe {
            (*kfc).root = root.raw.as_ptr();
            (*kfc).magic = T::MAGIC;
        }
        // SAFETY: `fc` is valid for the call, and `root` is alive for it.
        to_result(unsafe { bindings::kernfs_get_tree(self.fc) })?;
        Ok(Mounted {
            fc: self.fc,
            top: root.dir().node().as_ptr(),
            // SAFETY: As above; read after `kernfs_get_tree` wrote it.
            new_sb: unsafe { (*kfc).new_sb_created },
            _p: PhantomData,
        })
    }
}

/// A mount made by [`Mounter::mount`], whose superblock is made (or found) and locked.
pub struct Mounted<'a, T: FsType> {
    fc: *mut bindings::fs_context,
    top: *mut bindings::kernfs_node,
    new_sb: bool,
    _p: PhantomData<&'a T>,
}

impl<T: FsType> Mounted<'_, T> {
    /// Whether a new superblock was made: it then lives until
    /// [`FsType::before_kill_sb`]/[`FsType::after_kill_sb`], and the implementation must keep
    /// the tree alive until then.
    pub fn is_new(&self) -> bool {
        self.new_sb
    }

    /// Shows the directory `dir` of the tree as the root of the mount. On failure the mount
    /// fails, and drops its superblock (a new one is torn down, through
    /// [`FsType::before_kill_sb`]/[`FsType::after_kill_sb`]); `EINVAL` if `dir` is not a
    /// directory of the mounted tree.
    pub fn show_dir(self, dir: &Node) -> Result {
        let mut top = dir;
        while let Some(parent) = top.parent() {
            top = parent;
        }
        let dentry = if ptr::eq(top.as_ptr(), self.top) && dir.is_dir() {
            // SAFETY: `fc->root` is the root of the superblock made or found, held and locked
            // since `kernfs_get_tree`; `dir` is a directory of its tree.
            unsafe { bindings::kernfs_node_dentry(dir.as_ptr(), (*(*self.fc).root).d_sb) }
        } else {
            EINVAL.to_ptr()
        };
        // SAFETY: The mount owns `fc->root` and the superblock's active reference and lock; the
        // reference to the root dentry is replaced by one to `dentry`, or on failure both go
        // (the VFS then sees a failed `get_tree` with no root).
        unsafe {
            let sb = (*(*self.fc).root).d_sb;
            bindings::dput((*self.fc).root);
            (*self.fc).root = ptr::null_mut();
            match from_err_ptr(dentry) {
                Ok(dentry) => {
                    (*self.fc).root = dentry;
                    Ok(())
                }
                Err(e) => {
                    bindings::deactivate_locked_super(sb);
                    Err(e)
                }
            }
        }
    }
}

/// The private data of an fs_context: the kernfs context must come first (kernfs finds it
/// through `fc->fs_private`).
#[repr(C)]
struct FsCtx<T: FsType> {
    kfc: bindings::kernfs_fs_context,
    ctx: T::Context,
}

/// A C `struct file_system_type` built from an [`FsType`] by [`fs_type`].
pub struct FsTypeTable<T>(Opaque<bindings::file_system_type>, PhantomData<T>);

// SAFETY: Registered once and then only read by the VFS.
unsafe impl<T> Sync for FsTypeTable<T> {}

struct FcOpsHolder<T>(PhantomData<T>);

struct FcOps(bindings::fs_context_operations);

// SAFETY: Never written; the VFS only reads it.
unsafe impl Sync for FcOps {}

impl<T: FsType> FcOpsHolder<T> {
    const OPS: FcOps = FcOps(bindings::fs_context_operations {
        free: Some(free_fs_context::<T>),
        parse_param: Some(parse_param::<T>),
        get_tree: Some(get_tree::<T>),
        reconfigure: Some(reconfigure::<T>),
        // SAFETY: All zeroes is valid for the rest: no dup, and the generic monolithic parser.
        ..unsafe { core::mem::zeroed() }
    });
}

/// Builds the filesystem type of `T`.
pub const fn fs_type<T: FsType>() -> FsTypeTable<T> {
    FsTypeTable(
        Opaque::new(bindings::file_system_type {
            name: T::NAME.as_char_ptr(),
            init_fs_context: Some(init_fs_context::<T>),
            kill_sb: Some(kill_sb::<T>),
            fs_flags: if T::USERNS_MOUNT {
                bindings::FS_USERNS_MOUNT as c_int
            } else {
                0
            },
            // SAFETY: All zeroes is valid for the remaining fields (no parameter table).
            ..unsafe { core::mem::zeroed() }
        }),
        PhantomData,
    )
}

/// Registers the filesystem type `table`, for the kernel's lifetime.
pub fn register_fs_type<T: FsType>(table: &'static FsTypeTable<T>) -> Result {
    // SAFETY: The type is static and fully initialised; a second registration of the same type
    // fails with `EBUSY`.
    to_result(unsafe { bindings::register_filesystem(table.0.get()) })
}

/// Another name for the filesystem type [`FsAlias::Of`], with its own defaults and mount
/// parameters (the legacy `cpuset` type is one for `cgroup`): a mount of the alias is a mount of
/// the aliased type from its first step on, so it shares that type's superblocks, shows that
/// type's name in `/proc/mounts`, and is reconfigured and torn down as one of its mounts.
pub trait FsAlias: Sized + Send + Sync + 'static {
    /// The aliased type.
    type Of: FsType;

    /// The alias's name (`mount -t <name>`).
    const NAME: &'static CStr;

    /// The aliased type, as registered.
    fn aliased() -> &'static FsTypeTable<Self::Of>;

    /// Starts a mount: the aliased type's context, with the alias's defaults.
    fn init_context() -> Result<<Self::Of as FsType>::Context>;

    /// Takes one mount parameter, as [`FsType::parse_param`]; unknown parameters are reported
    /// under the aliased type's name.
    fn parse_param(ctx: &mut <Self::Of as FsType>::Context, param: &Param<'_>) -> Result<bool>;
}

struct AliasOpsHolder<A>(PhantomData<A>);

impl<A: FsAlias> AliasOpsHolder<A> {
    const OPS: FcOps = FcOps(bindings::fs_context_operations {
        free: Some(free_fs_context::<A::Of>),
        parse_param: Some(alias_parse_param::<A>),
        get_tree: Some(get_tree::<A::Of>),
        // SAFETY: All zeroes is valid for the rest: no dup, no reconfigure (a remount goes to
        // the aliased type, whose superblock it is), and the generic monolithic parser.
        ..unsafe { core::mem::zeroed() }
    });
}

/// Builds the filesystem type of the alias `A`.
pub const fn fs_alias<A: FsAlias>() -> FsTypeTable<A::Of> {
    FsTypeTable(
        Opaque::new(bindings::file_system_type {
            name: A::NAME.as_char_ptr(),
            init_fs_context: Some(alias_init_fs_context::<A>),
            // Never called: the superblocks made through the alias are the aliased type's.
            kill_sb: Some(kill_sb::<A::Of>),
            fs_flags: if A::Of::USERNS_MOUNT {
                bindings::FS_USERNS_MOUNT as c_int
            } else {
                0
            },
            // SAFETY: All zeroes is valid for the remaining fields (no parameter table).
            ..unsafe { core::mem::zeroed() }
        }),
        PhantomData,
    )
}

/// # Safety
///
/// Called by the VFS with a new fs_context of the alias `A`.
unsafe extern "C" fn alias_init_fs_context<A: FsAlias>(fc: *mut bindings::fs_context) -> c_int {
    from_result(|| {
        let ctx = KBox::new(
            FsCtx::<A::Of> {
                // SAFETY: All zeroes is an empty kernfs_fs_context.
                kfc: unsafe { core::mem::zeroed() },
                ctx: A::init_context()?,
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `fc` is valid (caller); the context is freed by `free_fs_context`, which the
        // VFS calls whenever `init_fs_context` succeeded. The fs_context becomes one of the
        // aliased type, which is registered for ever and built in (no module reference to move).
        unsafe {
            set_user_ns::<A::Of>(fc, &ctx.ctx);
            (*fc).fs_private = KBox::into_raw(ctx).cast();
            (*fc).ops = &AliasOpsHolder::<A>::OPS.0;
            (*fc).fs_type = A::aliased().0.get();
        }
        Ok(0)
    })
}

/// # Safety
///
/// Called by the VFS with an fs_context set up by `alias_init_fs_context::<A>` and a valid
/// parameter.
unsafe extern "C" fn alias_parse_param<A: FsAlias>(
    fc: *mut bindings::fs_context,
    param: *mut bindings::fs_parameter,
) -> c_int {
    // SAFETY: As for `parse_param`.
    let (ctx, param) = unsafe { (fs_ctx::<A::Of>(fc), Param::from_raw(fc, param)) };
    match A::parse_param(ctx, &param) {
        Ok(true) => 0,
        Ok(false) => -(bindings::ENOPARAM as c_int),
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the VFS with a new fs_context.
unsafe extern "C" fn init_fs_context<T: FsType>(fc: *mut bindings::fs_context) -> c_int {
    from_result(|| {
        let ctx = KBox::new(
            FsCtx::<T> {
                // SAFETY: All zeroes is an empty kernfs_fs_context.
                kfc: unsafe { core::mem::zeroed() },
                ctx: T::init_context()?,
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `fc` is valid (caller); the context is freed by `free_fs_context`, which the
        // VFS calls whenever `init_fs_context` succeeded.
        unsafe {
            set_user_ns::<T>(fc, &ctx.ctx);
            (*fc).fs_private = KBox::into_raw(ctx).cast();
            (*fc).ops = &FcOpsHolder::<T>::OPS.0;
        }
        Ok(0)
    })
}

/// Gives `fc` the user namespace of `ctx` ([`FsType::user_ns`]), and makes its superblocks
/// shared by every user namespace if `T` is [`FsType::USERNS_MOUNT`].
///
/// # Safety
///
/// `fc` must be a valid fs_context being set up by `init_fs_context` for `T`.
unsafe fn set_user_ns<T: FsType>(fc: *mut bindings::fs_context, ctx: &T::Context) {
    if let Some(user_ns) = T::user_ns(ctx) {
        // SAFETY: `fc` is valid and owns a reference on its `user_ns`, which the new one
        // replaces.
        unsafe {
            bindings::put_user_ns((*fc).user_ns);
            (*fc).user_ns = ARef::into_raw(user_ns).as_ptr().cast();
        }
    }
    if T::USERNS_MOUNT {
        // SAFETY: `fc` is valid and not used by anyone else yet.
        unsafe { (*fc).set_global(true) };
    }
}

/// # Safety
///
/// `fc` must be an fs_context set up by `init_fs_context::<T>`, used by one thread at a time.
unsafe fn fs_ctx<'a, T: FsType>(fc: *mut bindings::fs_context) -> &'a mut T::Context {
    // SAFETY: Guaranteed by the caller.
    unsafe { &mut (*(*fc).fs_private.cast::<FsCtx<T>>()).ctx }
}

/// # Safety
///
/// Called by the VFS once per fs_context set up by `init_fs_context::<T>`.
unsafe extern "C" fn free_fs_context<T: FsType>(fc: *mut bindings::fs_context) {
    // SAFETY: `fc` is valid; kernfs frees what `kernfs_get_tree` left in it.
    unsafe { bindings::kernfs_free_fs_context(fc) };
    // SAFETY: `fs_private` is the box made in `init_fs_context`, freed only here.
    drop(unsafe { KBox::from_raw((*fc).fs_private.cast::<FsCtx<T>>()) });
}

/// # Safety
///
/// Called by the VFS with an fs_context set up by `init_fs_context::<T>` and a valid parameter.
unsafe extern "C" fn parse_param<T: FsType>(
    fc: *mut bindings::fs_context,
    param: *mut bindings::fs_parameter,
) -> c_int {
    // SAFETY: See the function's safety requirements.
    let (ctx, param) = unsafe { (fs_ctx::<T>(fc), Param::from_raw(fc, param)) };
    match T::parse_param(ctx, &param) {
        Ok(true) => 0,
        Ok(false) => -(bindings::ENOPARAM as c_int),
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the VFS with an fs_context set up by `init_fs_context::<T>`.
unsafe extern "C" fn get_tree<T: FsType>(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: See the function's safety requirements.
    let ctx = unsafe { fs_ctx::<T>(fc) };
    let mounter = Mounter::<T> {
        fc,
        _p: PhantomData,
    };
    from_result(|| T::get_tree(ctx, mounter).map(|()| 0))
}

/// # Safety
///
/// Called by the VFS with an fs_context set up by `init_fs_context::<T>` to reconfigure a
/// mounted superblock of `T`.
unsafe extern "C" fn reconfigure<T: FsType>(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: See the function's safety requirements: `fc->root` is the root dentry of one of
    // our superblocks, whose tree is mounted and so its root directory's data is in place.
    let (ctx, root) = unsafe {
        let sb = (*(*fc).root).d_sb;
        let node = Node::from_raw(bindings::kernfs_root_to_node(
            bindings::kernfs_root_from_sb(sb),
        ));
        (
            fs_ctx::<T>(fc),
            <T::Dirs as DirOps>::Data::borrow(node.private()),
        )
    };
    from_result(|| T::reconfigure(ctx, root).map(|()| 0))
}

/// # Safety
///
/// Called by the VFS when the last reference to a superblock of `T` goes away.
unsafe extern "C" fn kill_sb<T: FsType>(sb: *mut bindings::super_block) {
    // SAFETY: `sb` is a kernfs superblock of one of our trees, still mounted until
    // `kernfs_kill_sb`; its root directory's data is in place until then.
    let token = unsafe {
        let node = Node::from_raw(bindings::kernfs_root_to_node(
            bindings::kernfs_root_from_sb(sb),
        ));
        T::before_kill_sb(<T::Dirs as DirOps>::Data::borrow(node.private()))
    };
    // SAFETY: `sb` is valid; this is the last thing done with it.
    unsafe { bindings::kernfs_kill_sb(sb) };
    T::after_kill_sb(token);
}

/// Makes `/sys/fs/<name>`, the empty directory where user space mounts the filesystem `name`
/// (C's `sysfs_create_mount_point(fs_kobj, name)`); `ENODEV` before the VFS set up `/sys/fs`.
///
/// Context: process; may sleep.
#[cfg(CONFIG_SYSFS)]
pub fn create_sysfs_mount_point(name: &CStr) -> Result {
    // SAFETY: `fs_kobj` is written once, when the VFS is set up, before anything runs
    // concurrently; it is checked before use. The name is copied.
    crate::error::to_result(unsafe {
        let parent = bindings::fs_kobj;
        if parent.is_null() {
            return Err(crate::error::code::ENODEV);
        }
        bindings::sysfs_create_mount_point(parent, name.as_char_ptr())
    })
}

/// The node of `dentry` if the dentry is in a filesystem of type `fs` (made with this module),
/// `None` otherwise (another filesystem, or a negative dentry).
///
/// # Safety
///
/// `dentry` must be valid for `'a`: the caller holds a reference on it (an open file's path).
pub unsafe fn node_of_dentry<'a, T: FsType>(
    dentry: *mut bindings::dentry,
    fs: &FsTypeTable<T>,
) -> Option<&'a Node> {
    // SAFETY: The dentry is valid (the caller's promise); its superblock, set when it is made,
    // outlives it, and the superblock's type never changes.
    let ours = unsafe { ptr::eq((*(*dentry).d_sb).s_type, fs.0.get()) };
    if !ours {
        return None;
    }
    // SAFETY: A dentry of a kernfs filesystem; its inode holds a reference on its node.
    let kn = unsafe { bindings::kernfs_node_from_dentry(dentry) };
    // SAFETY: Not null: a node of a tree made with this module (the filesystem type says so),
    // valid while the dentry is, so for `'a`.
    (!kn.is_null()).then(|| unsafe { Node::from_raw(kn) })
}
