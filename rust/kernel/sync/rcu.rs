// SPDX-License-Identifier: GPL-2.0

//! RCU support.
//!
//! Read-side critical sections ([`Guard`]), waiting for grace periods ([`synchronize_rcu`],
//! [`barrier`]), freeing objects after a grace period ([`drop_after_grace_period`]), and
//! reference-counted objects freed that way ([`RcuCounted`]).
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)

use crate::alloc::KBox;
use crate::init::PinInit;
use crate::sync::Refcount;
use crate::types::{ARef, AlwaysRefCounted, Opaque};
use core::marker::PhantomData;

/// Evidence that the RCU read side lock is held on the current thread/CPU.
///
/// The type is explicitly not `Send` because this property is per-thread/CPU.
///
/// # Invariants
///
/// The RCU read side lock is actually held while instances of this guard exist.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use kernel::sync::rcu::{self, RcuHead};
///
/// static DROPPED: AtomicU32 = AtomicU32::new(0);
///
/// struct Node {
///     rcu: RcuHead,
/// }
///
/// kernel::impl_has_rcu_head! {
///     impl HasRcuHead for Node { self.rcu }
/// }
///
/// // SAFETY: Dropping a `Node` only adds to an atomic counter.
/// unsafe impl rcu::AtomicDrop for Node {}
///
/// impl Drop for Node {
///     fn drop(&mut self) {
///         DROPPED.fetch_add(1, Ordering::Relaxed);
///     }
/// }
///
/// // Read-side critical sections nest; while one lasts, no grace period can end, so an object
/// // retired during it is not freed, however long the section lasts. (Allocating may sleep:
/// // not inside the section.)
/// let node = KBox::new(Node { rcu: RcuHead::new() }, GFP_KERNEL)?;
/// let outer = rcu::read_lock();
/// let inner = rcu::Guard::default();
/// rcu::drop_in_rcu_callback(node);
/// drop(inner);
/// for _ in 0..1_000_000 {
///     core::hint::spin_loop();
/// }
/// assert_eq!(DROPPED.load(Ordering::Relaxed), 0);
/// outer.unlock();
/// rcu::barrier();
/// assert_eq!(DROPPED.load(Ordering::Relaxed), 1);
/// # Ok::<(), Error>(())
/// ```
pub struct Guard {
    _not_send: PhantomData<*mut ()>,
}

impl Guard {
    /// Acquires the RCU read side lock and returns a guard.
    #[inline]
    pub fn new() -> Self {
        // SAFETY: An FFI call with no additional requirements.
        unsafe { bindings::rcu_read_lock() };
        // INVARIANT: The RCU read side lock was just acquired above.
        Self {
            _not_send: PhantomData,
        }
    }

    /// Explicitly releases the RCU read side lock.
    #[inline]
    pub fn unlock(self) {}

    /// Evidence of a read-side critical section that the caller is already in without
    /// `rcu_read_lock()`: with preemption or interrupts disabled, or a raw spinlock held (each
    /// of which makes a read-side critical section). No lock is taken, and none is released
    /// when the guard goes away.
    ///
    /// # Safety
    ///
    /// The caller must be in such a section for as long as the guard lives.
    #[inline]
    pub unsafe fn assume_held() -> core::mem::ManuallyDrop<Guard> {
        // INVARIANT: The caller guarantees that the current CPU is in a read-side critical
        // section while the guard lives; `ManuallyDrop` never unlocks it.
        core::mem::ManuallyDrop::new(Self {
            _not_send: PhantomData,
        })
    }
}

impl Default for Guard {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariants, the RCU read side is locked, so it is ok to unlock it.
        unsafe { bindings::rcu_read_unlock() };
    }
}

/// Acquires the RCU read side lock.
#[inline]
pub fn read_lock() -> Guard {
    Guard::new()
}

/// Waits until a full grace period has elapsed.
///
/// Every RCU read-side critical section that was running when this was called has ended when
/// it returns. It sleeps, so it must be called in process context, without spinlocks held and
/// outside any RCU read-side critical section.
///
/// # Examples
///
/// ```
/// kernel::sync::rcu::synchronize_rcu();
/// ```
#[inline]
pub fn synchronize_rcu() {
    // SAFETY: An FFI call with no additional requirements.
    unsafe { bindings::synchronize_rcu() };
}

/// Waits until all RCU callbacks queued so far (C's `call_rcu()`) have run.
///
/// It does not wait for the work that such a callback queues: in particular, the objects passed
/// to [`drop_after_grace_period`] may still be waiting to be dropped on the workqueue when it
/// returns. It sleeps, so it must be called in process context.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicBool, Ordering};
/// use kernel::sync::rcu::{self, RcuHead};
///
/// static DROPPED: AtomicBool = AtomicBool::new(false);
///
/// struct Node {
///     rcu: RcuHead,
/// }
///
/// kernel::impl_has_rcu_head! {
///     impl HasRcuHead for Node { self.rcu }
/// }
///
/// // SAFETY: Dropping a `Node` only sets an atomic flag.
/// unsafe impl rcu::AtomicDrop for Node {}
///
/// impl Drop for Node {
///     fn drop(&mut self) {
///         DROPPED.store(true, Ordering::Relaxed);
///     }
/// }
///
/// rcu::drop_in_rcu_callback(KBox::new(Node { rcu: RcuHead::new() }, GFP_KERNEL)?);
/// // The callback queued above has run when `barrier` returns.
/// rcu::barrier();
/// assert!(DROPPED.load(Ordering::Relaxed));
/// # Ok::<(), Error>(())
/// ```
#[inline]
pub fn barrier() {
    // SAFETY: An FFI call with no additional requirements.
    unsafe { bindings::rcu_barrier() };
}

/// A work item that runs in process context after an RCU grace period: C's `struct rcu_work`.
///
/// Embedded in an object (see [`HasRcuWork`] and [`impl_has_rcu_work`]), it lets
/// [`drop_after_grace_period`] drop and free the object without allocating.
///
/// Nothing can be done with an `RcuWork` but embedding it: its C object is only initialised and
/// used by [`drop_after_grace_period`], when the object that holds it is owned uniquely.
#[repr(transparent)]
pub struct RcuWork(Opaque<bindings::rcu_work>);

impl RcuWork {
    /// Creates a new, not yet initialised, `RcuWork`.
    #[inline]
    pub const fn new() -> Self {
        Self(Opaque::uninit())
    }
}

impl Default for RcuWork {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: An `RcuWork` has no methods; only `drop_after_grace_period` uses the C object, when it
// owns the object that holds it, so no access can race with another thread's.
unsafe impl Send for RcuWork {}

// SAFETY: No method takes `&RcuWork`, so a shared reference gives no access to the C object.
unsafe impl Sync for RcuWork {}

/// Types that embed an [`RcuWork`], and can so be dropped with [`drop_after_grace_period`].
///
/// Implement it with [`impl_has_rcu_work`] rather than by hand.
///
/// # Safety
///
/// `RCU_WORK_OFFSET` must be the offset, in bytes, of a field of type [`RcuWork`] within `Self`.
pub unsafe trait HasRcuWork: Sized + Send + 'static {
    /// The offset of the [`RcuWork`] field within `Self`.
    const RCU_WORK_OFFSET: usize;
}

/// Implements [`HasRcuWork`] for a type, given the name of its [`RcuWork`] field.
///
/// It only compiles if the field has type [`RcuWork`].
///
/// # Examples
///
/// ```
/// use kernel::sync::rcu::{RcuWork, HasRcuWork};
///
/// struct Node {
///     value: u64,
///     rcu: RcuWork,
/// }
///
/// struct Pair<T> {
///     first: T,
///     second: T,
///     rcu: RcuWork,
/// }
///
/// kernel::impl_has_rcu_work! {
///     impl HasRcuWork for Node { self.rcu }
///     impl{T: Send + 'static} HasRcuWork for Pair<T> { self.rcu }
/// }
///
/// let node = Node { value: 1, rcu: RcuWork::new() };
/// let pair = Pair { first: 2u8, second: 3u8, rcu: RcuWork::new() };
/// assert_eq!(node.value + u64::from(pair.first + pair.second), 6);
/// assert_eq!(Node::RCU_WORK_OFFSET, core::mem::offset_of!(Node, rcu));
/// assert_eq!(<Pair<u8>>::RCU_WORK_OFFSET, core::mem::offset_of!(Pair<u8>, rcu));
/// ```
#[macro_export]
macro_rules! impl_has_rcu_work {
    ($(impl$({$($generics:tt)*})? HasRcuWork for $self:ty { self.$field:ident })*) => {$(
        // SAFETY: `RCU_WORK_OFFSET` is the offset of the field `$field` of `Self` (`offset_of!`
        // does not go through `Deref`), the check before it only compiles if that field is an
        // `RcuWork` (raw pointers are not coerced), and `Self` is not packed below its alignment.
        unsafe impl$(<$($generics)*>)? $crate::sync::rcu::HasRcuWork for $self {
            const RCU_WORK_OFFSET: usize = {
                let _: fn(*const Self) -> *const $crate::sync::rcu::RcuWork =
                    // SAFETY: The closure is never called: it only checks the field's type.
                    |this| unsafe { ::core::ptr::addr_of!((*this).$field) };
                // C's atomics need the field aligned: a packed type is refused.
                ::core::assert!(
                    ::core::mem::align_of::<Self>()
                        >= ::core::mem::align_of::<$crate::sync::rcu::RcuWork>()
                );
                ::core::mem::offset_of!(Self, $field)
            };
        }
    )*};
}
pub use impl_has_rcu_work;

/// Returns the `struct rcu_work` embedded in the object at `ptr`.
///
/// # Safety
///
/// `ptr` must point to a valid allocation for `T` (its contents need not be initialised).
#[inline]
unsafe fn raw_rcu_work<T: HasRcuWork>(ptr: *mut T) -> *mut bindings::rcu_work {
    // SAFETY: By the safety requirements of `HasRcuWork`, `T::RCU_WORK_OFFSET` is the offset of a
    // field inside `*ptr`, which the caller guarantees is a valid allocation.
    let rcu_work = unsafe { ptr.cast::<u8>().add(T::RCU_WORK_OFFSET) }.cast::<RcuWork>();
    Opaque::raw_get(rcu_work.cast::<Opaque<bindings::rcu_work>>())
}

/// The work function of [`drop_after_grace_period`]: drops the object and frees its box.
///
/// # Safety
///
/// `work` must be the `work` field of the `struct rcu_work` embedded in an object that
/// [`drop_after_grace_period`] owns, and that it queued with this function.
unsafe extern "C" fn drop_rcu_work<T: HasRcuWork>(work: *mut bindings::work_struct) {
    let offset = core::mem::offset_of!(bindings::rcu_work, work) + T::RCU_WORK_OFFSET;
    // SAFETY: By the safety requirements, `work` is inside a `T` at offset `offset`, so
    // subtracting it stays inside the same allocation.
    let ptr = unsafe { work.cast::<u8>().sub(offset) }.cast::<T>();
    // SAFETY: `ptr` came from `KBox::into_raw` in `drop_after_grace_period`, which gave up its
    // ownership to this work item, and the work item runs once. The workqueue does not touch the
    // work item after calling its function, so it may be freed here.
    drop(unsafe { KBox::from_raw(ptr) });
}

/// Drops `*obj` and frees `obj` after an RCU grace period, in process context.
///
/// Every RCU read-side critical section that may have found the object, that is, that was
/// running when this is called, has ended before it is dropped. The object is then dropped on the
/// system workqueue, so its destructor may sleep.
///
/// It does not sleep and does not allocate: it can be called from any context, including with
/// spinlocks held, in softirq context and in RCU callbacks. It queues the [`RcuWork`] embedded in
/// `T` with C's `queue_rcu_work()`.
///
/// # Examples
///
/// ```
/// use kernel::sync::rcu::{self, RcuWork};
/// use kernel::sync::{new_condvar, new_mutex, new_spinlock_irq, Arc, CondVar, Mutex};
///
/// #[pin_data]
/// struct Dropped {
///     #[pin]
///     done: Mutex<u32>,
///     #[pin]
///     cond: CondVar,
/// }
///
/// struct Node {
///     value: u32,
///     dropped: Arc<Dropped>,
///     rcu: RcuWork,
/// }
///
/// kernel::impl_has_rcu_work! {
///     impl HasRcuWork for Node { self.rcu }
/// }
///
/// impl Drop for Node {
///     fn drop(&mut self) {
///         // Process context: taking a mutex, which may sleep, is allowed.
///         *self.dropped.done.lock() += self.value;
///         self.dropped.cond.notify_all();
///     }
/// }
///
/// let dropped = Arc::pin_init(
///     pin_init!(Dropped { done <- new_mutex!(0), cond <- new_condvar!() }),
///     GFP_KERNEL,
/// )?;
/// let lock = KBox::pin_init(new_spinlock_irq!(()), GFP_KERNEL)?;
///
/// let node = |value| Node {
///     value,
///     dropped: dropped.clone(),
///     rcu: RcuWork::new(),
/// };
/// let first = KBox::new(node(1), GFP_KERNEL)?;
/// let second = KBox::new(node(2), GFP_KERNEL)?;
/// rcu::drop_after_grace_period(first);
/// {
///     // With a spinlock held and interrupts disabled: it does not sleep.
///     let _guard = lock.lock();
///     rcu::drop_after_grace_period(second);
/// }
///
/// let mut done = dropped.done.lock();
/// while *done != 3 {
///     dropped.cond.wait(&mut done);
/// }
/// # Ok::<(), Error>(())
/// ```
pub fn drop_after_grace_period<T: HasRcuWork>(obj: KBox<T>) {
    let ptr = KBox::into_raw(obj);
    // SAFETY: `ptr` points to a valid `T`, which stays allocated until `drop_rcu_work` frees it.
    let rcu_work = unsafe { raw_rcu_work(ptr) };
    // SAFETY: `rcu_work` is valid for writes, and nothing else uses it: the box was owned
    // uniquely. `drop_rcu_work::<T>` is a work function for the `rcu_work` embedded in a `T` that
    // it owns, which is what it is queued for below.
    unsafe { bindings::init_rcu_work(rcu_work, Some(drop_rcu_work::<T>)) };
    // SAFETY: `rcu_work` was initialised above and is not queued yet; `system_wq` is initialised
    // early at boot and never destroyed. Ownership of the box goes to the work item.
    unsafe { bindings::queue_rcu_work(bindings::system_wq, rcu_work) };
}

/// The right to reach an [`RcuCounted`] object's count, which only this module has: the field
/// is private, so no other code can make a `CountAccess` and call [`RcuCounted::refcount`].
/// An object's count is changed only by [`new_counted`], [`dec_counted`] and the type's own
/// [`AlwaysRefCounted`] implementation, never by code that merely holds a reference (which
/// could otherwise `set(1)` the count of a live object, or drop one it does not own).
pub struct CountAccess(());

/// Objects that live in a pinned [`KBox`], counted by an embedded [`Refcount`], and are freed
/// after an RCU grace period once their count drops to zero: a reader that found one under
/// `rcu_read_lock()`, without taking a reference, may use it until its read-side critical
/// section ends.
///
/// Such a type's [`AlwaysRefCounted`] implementation increments the count and drops references
/// with [`dec_counted`]; [`new_counted`] makes the objects.
///
/// # Safety
///
/// `refcount` must always return the same count embedded in the object, which only
/// [`new_counted`], the type's [`AlwaysRefCounted`] implementation and [`dec_counted`] (or, once
/// the count dropped to zero, [`free_counted`]) change. A `&Self` that safe code can reach must
/// be to an object whose count is not zero (`ARef::from` increments it): an object that RCU
/// readers may find without a reference must stay published with a reference until a grace
/// period after it is unpublished, or be handed to readers only as a type that takes
/// references with `refcount_inc_not_zero()` (as the cgroup core's `RcuCssSet` does).
///
/// # Examples
///
/// ```
/// use kernel::sync::{rcu::{self, RcuCounted, RcuWork}, Refcount};
/// use kernel::types::{ARef, AlwaysRefCounted};
/// use core::ptr::NonNull;
///
/// struct Node {
///     refs: Refcount,
///     value: u32,
///     rcu: RcuWork,
/// }
///
/// kernel::impl_has_rcu_work! {
///     impl HasRcuWork for Node { self.rcu }
/// }
///
/// // SAFETY: `refs` is the node's count, used as `RcuCounted` requires.
/// unsafe impl RcuCounted for Node {
///     fn refcount(&self, _: rcu::CountAccess) -> &Refcount {
///         &self.refs
///     }
///
///     fn free(this: KBox<Self>) {
///         rcu::drop_after_grace_period(this);
///     }
/// }
///
/// // SAFETY: Nodes are made by `new_counted` and counted by `refs`.
/// unsafe impl AlwaysRefCounted for Node {
///     fn inc_ref(&self) {
///         self.refs.inc();
///     }
///
///     unsafe fn dec_ref(obj: NonNull<Self>) {
///         // SAFETY: The caller gives its reference up.
///         unsafe { rcu::dec_counted(obj) };
///     }
/// }
///
/// let node: ARef<Node> = rcu::new_counted::<_, core::convert::Infallible>(
///     Node { refs: Refcount::new(0), value: 7, rcu: RcuWork::new() },
///     GFP_KERNEL,
/// )?;
/// let other = node.clone();
/// assert_eq!(node.refs.read(), 2);
/// drop(node);
/// assert_eq!((other.refs.read(), other.value), (1, 7));
/// drop(other);
/// rcu::barrier();
/// // Outside this module, nobody can reach a count through the trait: `rcu::CountAccess` has
/// // a private field, so `node.refcount(..)` cannot be called (no `refcount(...).set(1)` on a
/// // live object).
/// # Ok::<(), Error>(())
/// ```
pub unsafe trait RcuCounted: Sized + Send + 'static {
    /// The object's count of references. Only this module can call it (see [`CountAccess`]).
    fn refcount(&self, access: CountAccess) -> &Refcount;

    /// Frees `this`, whose count dropped to zero, after a grace period: with
    /// [`drop_after_grace_period`] (in process context), or, for types whose destructor does not
    /// sleep, with [`drop_in_rcu_callback`].
    fn free(this: KBox<Self>);
}

/// Allocates `init` in a pinned box and returns the first reference to it (the count is set to
/// one).
pub fn new_counted<T, E>(
    init: impl PinInit<T, E>,
    flags: crate::alloc::Flags,
) -> crate::error::Result<ARef<T>>
where
    T: RcuCounted + AlwaysRefCounted,
    crate::error::Error: From<E>,
{
    let obj = <KBox<T> as crate::init::InPlaceInit<T>>::pin_init(init, flags)?;
    obj.refcount(CountAccess(())).set(1);
    // SAFETY: The object is never moved out of its box: it is only used through references, and
    // freed in place by `free_counted`.
    let raw = KBox::into_raw(unsafe { core::pin::Pin::into_inner_unchecked(obj) });
    // SAFETY: `raw` is valid and not null, and its count of one is handed to the `ARef`.
    Ok(unsafe { ARef::from_raw(core::ptr::NonNull::new_unchecked(raw)) })
}

/// Drops a reference to `obj`; when it was the last one, frees `obj` after a grace period, in
/// process context. Any context.
///
/// # Safety
///
/// `obj` must have been made by [`new_counted`], and the caller must own a reference to it that
/// it does not use afterwards.
pub unsafe fn dec_counted<T: RcuCounted>(obj: core::ptr::NonNull<T>) {
    // SAFETY: The caller's reference keeps the object valid.
    if unsafe { obj.as_ref() }
        .refcount(CountAccess(()))
        .dec_and_test()
    {
        // SAFETY: The count dropped to zero: the last reference, ours, goes now.
        unsafe { free_counted(obj) };
    }
}

/// Frees `obj`, whose count dropped to zero, after a grace period, in process context. Any
/// context.
///
/// # Safety
///
/// `obj` must have been made by [`new_counted`], its count must have dropped to zero, and
/// nothing but RCU readers may use it any more.
pub unsafe fn free_counted<T: RcuCounted>(obj: core::ptr::NonNull<T>) {
    // SAFETY: A pinned box made by `new_counted`, which nobody owns any more (the caller's
    // promise); `free` drops it in place after a grace period, without moving it.
    T::free(unsafe { KBox::from_raw(obj.as_ptr()) });
}

/// A `struct rcu_head`: lets its containing object be dropped in an RCU callback, after a
/// grace period ([`drop_in_rcu_callback`]).
#[repr(transparent)]
pub struct RcuHead(Opaque<bindings::callback_head>);

impl RcuHead {
    /// Creates a new, not yet initialised, `RcuHead`.
    #[inline]
    pub const fn new() -> Self {
        Self(Opaque::uninit())
    }
}

impl Default for RcuHead {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: An `RcuHead` has no methods; only `drop_in_rcu_callback` uses the C object, when it owns
// the object that holds it.
unsafe impl Send for RcuHead {}
// SAFETY: No method takes `&RcuHead`.
unsafe impl Sync for RcuHead {}

/// Types that embed an [`RcuHead`], and can so be dropped with [`drop_in_rcu_callback`].
///
/// # Safety
///
/// `RCU_HEAD_OFFSET` must be the offset, in bytes, of a field of type [`RcuHead`] within `Self`.
pub unsafe trait HasRcuHead: Sized + Send + 'static {
    /// The offset of the [`RcuHead`] field within `Self`.
    const RCU_HEAD_OFFSET: usize;
}

/// Types whose destructor may run in softirq context: dropping a value never sleeps (no mutex,
/// no `GFP_KERNEL` allocation, no waiting), so [`drop_in_rcu_callback`] may drop it from an RCU
/// callback.
///
/// # Safety
///
/// Dropping a value of the type, including all its fields, must not sleep.
pub unsafe trait AtomicDrop {}

/// Implements [`HasRcuHead`] for a type, given the name of its [`RcuHead`] field.
#[macro_export]
macro_rules! impl_has_rcu_head {
    ($(impl$({$($generics:tt)*})? HasRcuHead for $self:ty { self.$field:ident })*) => {$(
        // SAFETY: `RCU_HEAD_OFFSET` is the offset of the field `$field` of `Self`, the check
        // before it only compiles if that field is an `RcuHead`, and `Self` is not packed below
        // its alignment.
        unsafe impl$(<$($generics)*>)? $crate::sync::rcu::HasRcuHead for $self {
            const RCU_HEAD_OFFSET: usize = {
                let _: fn(*const Self) -> *const $crate::sync::rcu::RcuHead =
                    // SAFETY: The closure is never called: it only checks the field's type.
                    |this| unsafe { ::core::ptr::addr_of!((*this).$field) };
                // C's atomics need the field aligned: a packed type is refused.
                ::core::assert!(
                    ::core::mem::align_of::<Self>()
                        >= ::core::mem::align_of::<$crate::sync::rcu::RcuHead>()
                );
                ::core::mem::offset_of!(Self, $field)
            };
        }
    )*};
}
pub use impl_has_rcu_head;

/// The RCU callback of [`drop_in_rcu_callback`]: drops the object and frees its box.
///
/// # Safety
///
/// `head` must be the `RcuHead` of an object that [`drop_in_rcu_callback`] owns and queued
/// with this function.
unsafe extern "C" fn drop_rcu_head<T: HasRcuHead>(head: *mut bindings::callback_head) {
    // SAFETY: By the safety requirements, `head` is inside a `T` at `RCU_HEAD_OFFSET`.
    let ptr = unsafe { head.cast::<u8>().sub(T::RCU_HEAD_OFFSET) }.cast::<T>();
    // SAFETY: `ptr` came from `KBox::into_raw` in `drop_in_rcu_callback`, which gave its
    // ownership to this callback, which runs once and does not touch `head` afterwards.
    drop(unsafe { KBox::from_raw(ptr) });
}

/// Drops `*obj` and frees `obj` after an RCU grace period, in the RCU callback (softirq
/// context, C's `call_rcu()`), which `T: AtomicDrop` allows. Cheaper than
/// [`drop_after_grace_period`], which wakes a worker. Any context.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use kernel::sync::rcu::{self, RcuHead};
///
/// static DROPPED: AtomicU32 = AtomicU32::new(0);
///
/// struct Node {
///     value: u32,
///     rcu: RcuHead,
/// }
///
/// kernel::impl_has_rcu_head! {
///     impl HasRcuHead for Node { self.rcu }
/// }
///
/// // SAFETY: `Node`'s destructor only adds to an atomic counter.
/// unsafe impl rcu::AtomicDrop for Node {}
///
/// impl Drop for Node {
///     fn drop(&mut self) {
///         // Softirq context: only what does not sleep.
///         DROPPED.fetch_add(self.value, Ordering::Relaxed);
///     }
/// }
///
/// rcu::drop_in_rcu_callback(KBox::new(Node { value: 5, rcu: RcuHead::new() }, GFP_KERNEL)?);
/// rcu::barrier();
/// assert_eq!(DROPPED.load(Ordering::Relaxed), 5);
/// # Ok::<(), Error>(())
/// ```
pub fn drop_in_rcu_callback<T: HasRcuHead + AtomicDrop>(obj: KBox<T>) {
    let ptr = KBox::into_raw(obj);
    // SAFETY: `ptr` points to a valid `T`; `RCU_HEAD_OFFSET` is the offset of its `RcuHead`.
    let head =
        unsafe { ptr.cast::<u8>().add(T::RCU_HEAD_OFFSET) }.cast::<bindings::callback_head>();
    // SAFETY: `head` is valid for writes and not queued (the box was owned uniquely); the
    // callback takes the ownership of the box, once the grace period has elapsed.
    unsafe { bindings::call_rcu(head, Some(drop_rcu_head::<T>)) };
}
