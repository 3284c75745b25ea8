// SPDX-License-Identifier: GPL-2.0

//! C's intrusive doubly linked lists (`struct list_head`), for objects that embed their links
//! and whose lists C code may also see or whose positions must survive dropping a lock.
//!
//! C header: [`include/linux/list.h`](srctree/include/linux/list.h)
//!
//! A [`ListHead`] is either a list's head or a node embedded in an object on such a list; an
//! initialised one that is on no list points to itself. The list operations are `unsafe`: the
//! caller vouches for what the types cannot show, namely that the lock guarding the list is
//! held and that an object stays valid while it is linked. Prefer [`crate::list`] where the
//! objects are owned by Rust and only Rust walks the lists.
//!
//! # Examples
//!
//! ```
//! use kernel::clist::ListHead;
//! use kernel::container_of;
//! use kernel::prelude::*;
//!
//! #[pin_data]
//! struct Item {
//!     value: u32,
//!     #[pin]
//!     node: ListHead,
//! }
//!
//! let head = KBox::pin_init(ListHead::new(), GFP_KERNEL)?;
//! let a = KBox::pin_init(pin_init!(Item { value: 1, node <- ListHead::new() }), GFP_KERNEL)?;
//! let b = KBox::pin_init(pin_init!(Item { value: 2, node <- ListHead::new() }), GFP_KERNEL)?;
//! // SAFETY: Single-threaded; the items outlive their time on the list (removed below).
//! unsafe {
//!     assert!(head.is_empty());
//!     head.add_tail(&a.node);
//!     head.add_tail(&b.node);
//!     assert!(!head.is_empty() && !a.node.is_empty());
//!     let mut sum = 0;
//!     for node in head.iter() {
//!         sum += (*container_of!(node, Item, node)).value;
//!     }
//!     assert_eq!(sum, 3);
//!     assert!(core::ptr::eq(head.next(), a.node.as_ptr()));
//!     a.node.del_init();
//!     assert!(a.node.is_empty());
//!     assert!(core::ptr::eq(head.next(), b.node.as_ptr()));
//!     b.node.del_init();
//!     assert!(head.is_empty());
//! }
//! # Ok::<(), Error>(())
//! ```

use crate::{bindings, init::PinInit, types::Opaque};
use core::ptr;

/// A `struct list_head`: a list's head, or a node of a list.
///
/// # Invariants
///
/// Once initialised (by [`ListHead::new`] or [`ListHead::init`]), `next` and `prev` point to
/// itself or to the neighbours on its list.
#[repr(transparent)]
pub struct ListHead(Opaque<bindings::list_head>);

// SAFETY: The list operations are only done under the lock that guards the list (the callers'
// promise), so a `ListHead` may be shared and sent between threads.
unsafe impl Send for ListHead {}
// SAFETY: As above.
unsafe impl Sync for ListHead {}

impl ListHead {
    /// An empty list, or a node on no list, initialised in place.
    pub fn new() -> impl PinInit<Self> {
        // SAFETY: The closure initialises the list head at `slot`, its final place (pinned), and
        // never fails.
        unsafe {
            crate::init::pin_init_from_closure(|slot: *mut Self| {
                Self::init(Opaque::raw_get(ptr::addr_of!((*slot).0)));
                Ok(())
            })
        }
    }

    /// Initialises the `struct list_head` at `p` (embedded in a C object) as an empty list or a
    /// node on no list.
    ///
    /// # Safety
    ///
    /// `p` must be valid for writes and not on a list that anyone else may walk.
    pub unsafe fn init(p: *mut bindings::list_head) {
        // SAFETY: Guaranteed by the caller.
        unsafe {
            (*p).next = p;
            (*p).prev = p;
        }
    }

    /// The list head at `p`.
    ///
    /// # Safety
    ///
    /// `p` must point to an initialised `struct list_head` that stays valid for `'a`.
    pub unsafe fn from_raw<'a>(p: *mut bindings::list_head) -> &'a ListHead {
        // SAFETY: `ListHead` is a transparent wrapper; validity is guaranteed by the caller.
        unsafe { &*p.cast::<ListHead>() }
    }

    /// The raw pointer to the C list head.
    pub fn as_ptr(&self) -> *mut bindings::list_head {
        self.0.get()
    }

    /// Whether the list is empty (for a head) or the node is on no list.
    ///
    /// # Safety
    ///
    /// The lock guarding the list must be held.
    pub unsafe fn is_empty(&self) -> bool {
        // SAFETY: Initialised (type invariants); no concurrent change (the caller holds the lock).
        unsafe { ptr::eq((*self.as_ptr()).next, self.as_ptr()) }
    }

    /// The node after this one (the first node of a list head; the head after the last node).
    ///
    /// # Safety
    ///
    /// The lock guarding the list must be held.
    pub unsafe fn next(&self) -> *mut bindings::list_head {
        // SAFETY: As in `is_empty`.
        unsafe { (*self.as_ptr()).next }
    }

    /// Adds `node` at the end of the list whose head is `self`.
    ///
    /// # Safety
    ///
    /// The lock guarding the list must be held; `node` must be on no list and stay valid (and
    /// not move) until it is removed from this one.
    pub unsafe fn add_tail(&self, node: &ListHead) {
        let (head, new) = (self.as_ptr(), node.as_ptr());
        // SAFETY: Both are initialised (type invariants), the list is ours under the lock, and
        // `new` is on no list (the caller's promises).
        unsafe {
            let prev = (*head).prev;
            (*new).next = head;
            (*new).prev = prev;
            (*prev).next = new;
            (*head).prev = new;
        }
    }

    /// Removes this node from its list, if it is on one, and leaves it on no list.
    ///
    /// # Safety
    ///
    /// The lock guarding the node's list must be held.
    pub unsafe fn del_init(&self) {
        let node = self.as_ptr();
        // SAFETY: Initialised (type invariants); its neighbours are valid while it is on their
        // list, which is ours under the lock. A node on no list points to itself: no change.
        unsafe {
            let (prev, next) = ((*node).prev, (*node).next);
            (*prev).next = next;
            (*next).prev = prev;
            Self::init(node);
        }
    }

    /// The nodes of the list whose head is `self`, first to last.
    ///
    /// # Safety
    ///
    /// The lock guarding the list must be held, and the list not changed, while the iterator
    /// is used.
    pub unsafe fn iter(&self) -> Iter<'_> {
        Iter {
            head: self,
            // SAFETY: The caller holds the lock.
            next: unsafe { self.next() },
        }
    }
}

/// The nodes of a list, see [`ListHead::iter`].
pub struct Iter<'a> {
    head: &'a ListHead,
    next: *mut bindings::list_head,
}

impl Iterator for Iter<'_> {
    type Item = *mut bindings::list_head;

    fn next(&mut self) -> Option<*mut bindings::list_head> {
        if ptr::eq(self.next, self.head.as_ptr()) {
            return None;
        }
        let cur = self.next;
        // SAFETY: `cur` is a node of the list, which the creator of the iterator keeps locked
        // and unchanged (see `ListHead::iter`).
        self.next = unsafe { (*cur).next };
        Some(cur)
    }
}
