// SPDX-License-Identifier: GPL-2.0

//! NUMA node masks.
//!
//! C header: [`include/linux/nodemask.h`](srctree/include/linux/nodemask.h)
//!
//! A [`Nodemask`] is a C `nodemask_t`, one bit per node id: a small value, copied around as C
//! does, and changed with plain Rust operations. The node states that C keeps (which nodes are
//! online, which have memory) are read with [`Nodemask::state`].
//!
//! # Examples
//!
//! ```
//! use kernel::error::code::{EINVAL, ERANGE};
//! use kernel::nodemask::{NodeId, NodeState, Nodemask};
//! use kernel::{fmt, str::CString};
//!
//! let n0 = NodeId::new(0).ok_or(EINVAL)?;
//! let n1 = NodeId::new(1).ok_or(EINVAL)?;
//! let mut mask = Nodemask::new();
//! assert!(mask.is_empty());
//! mask.set(n1);
//! assert!(mask.test(n1) && !mask.test(n0) && mask.weight() == 1);
//! assert_eq!(mask.first(), Some(n1));
//!
//! let online = Nodemask::state(NodeState::Online);
//! assert!(online.test(n0));
//! assert!(Nodemask::state(NodeState::Memory).is_subset(&online));
//!
//! let both = mask.or(&Nodemask::single(n0));
//! assert_eq!(both.iter().map(NodeId::as_u32).sum::<u32>(), 1);
//! assert!(both.intersects(&mask) && mask.is_subset(&both) && !both.is_subset(&mask));
//! assert_eq!(both.and(&mask), mask);
//! assert!(both.andnot(&mask).test(n0));
//!
//! assert_eq!(both.next_in(Some(n0)), Some(n1));
//! assert_eq!(both.next_in(Some(n1)), Some(n0));
//! assert_eq!(mask.next_in(None), Some(n1));
//! assert_eq!(Nodemask::new().next_in(Some(n0)), None);
//! assert_eq!(Nodemask::full().weight(), kernel::nodemask::MAX_NUMNODES);
//! assert_eq!(Nodemask::parse_list(b"0-1\n")?, both);
//! assert_eq!(CString::try_from_fmt(fmt!("{}", both.list()))?.as_bytes(), b"0-1");
//! let sparse = Nodemask::parse_list(b"0,2-4,7")?;
//! assert_eq!(CString::try_from_fmt(fmt!("{}", sparse.list()))?.as_bytes(), b"0,2-4,7");
//! assert!(Nodemask::parse_list(b"")?.is_empty());
//! assert_eq!(Nodemask::parse_list(b"x"), Err(EINVAL));
//! assert_eq!(Nodemask::parse_list(b"100000"), Err(ERANGE));
//! # Ok::<(), Error>(())
//! ```

use crate::{
    bindings,
    error::{to_result, Result},
    ffi::{c_int, c_ulong},
};

/// The number of node ids (C's `MAX_NUMNODES`).
pub const MAX_NUMNODES: u32 = bindings::MAX_NUMNODES;

const BITS: u32 = c_ulong::BITS;

/// A node id below [`MAX_NUMNODES`].
///
/// # Invariants
///
/// The id is below `MAX_NUMNODES`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct NodeId(u32);

impl NodeId {
    /// The node with id `id`, if it is below [`MAX_NUMNODES`].
    pub const fn new(id: u32) -> Option<Self> {
        if id < MAX_NUMNODES {
            // INVARIANT: Checked above.
            Some(NodeId(id))
        } else {
            None
        }
    }

    /// The node with C id `id` (negative ids, such as `NUMA_NO_NODE`, are none).
    pub fn from_c(id: i32) -> Option<Self> {
        u32::try_from(id).ok().and_then(Self::new)
    }

    /// The id as a number.
    pub const fn as_u32(self) -> u32 {
        self.0
    }

    fn word_bit(self) -> (usize, usize) {
        ((self.0 / BITS) as usize, (self.0 % BITS) as usize)
    }
}

/// A set of nodes (C's `nodemask_t`).
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct Nodemask(bindings::nodemask_t);

/// The node states C keeps (`enum node_states`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NodeState {
    /// The node could come online.
    Possible,
    /// The node is online.
    Online,
    /// The node has memory.
    Memory,
    /// The node has CPUs.
    Cpu,
}

impl Default for Nodemask {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for Nodemask {
    fn eq(&self, other: &Self) -> bool {
        self.0.bits == other.0.bits
    }
}

impl Eq for Nodemask {}

impl core::fmt::Debug for Nodemask {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_set()
            .entries(self.iter().map(NodeId::as_u32))
            .finish()
    }
}

impl Nodemask {
    /// The empty mask.
    pub const fn new() -> Self {
        Nodemask(bindings::nodemask_t {
            bits: [0; (MAX_NUMNODES as usize).div_ceil(BITS as usize)],
        })
    }

    /// The mask of every node id below [`MAX_NUMNODES`] (C's `nodes_setall()`).
    pub fn full() -> Self {
        let mut m = Self::new();
        for node in (0..MAX_NUMNODES).filter_map(NodeId::new) {
            m.set(node);
        }
        m
    }

    /// The node after `node` in the mask, wrapping around to the first one (C's
    /// `next_node_in()`); `None` for the empty mask.
    pub fn next_in(&self, node: Option<NodeId>) -> Option<NodeId> {
        let after = node.map_or(0, |n| n.as_u32() + 1);
        self.iter()
            .find(|n| n.as_u32() >= after)
            .or_else(|| self.first())
    }

    /// The mask of one node.
    pub fn single(node: NodeId) -> Self {
        let mut m = Self::new();
        m.set(node);
        m
    }

    /// A copy of the C mask `raw`.
    pub fn from_raw(raw: bindings::nodemask_t) -> Self {
        Nodemask(raw)
    }

    /// The C mask.
    pub fn into_raw(self) -> bindings::nodemask_t {
        self.0
    }

    /// The nodes in state `state` now (they change with memory and CPU hotplug).
    pub fn state(state: NodeState) -> Self {
        let index = match state {
            NodeState::Possible => bindings::node_states_N_POSSIBLE,
            NodeState::Online => bindings::node_states_N_ONLINE,
            NodeState::Memory => bindings::node_states_N_MEMORY,
            NodeState::Cpu => bindings::node_states_N_CPU,
        };
        let table = core::ptr::addr_of!(bindings::node_states).cast::<bindings::nodemask_t>();
        // SAFETY: `node_states` is a static array of `NR_NODE_STATES` masks, and `index` is one of
        // its indices. It is read as C reads it, as a snapshot that hotplug may change any time.
        Nodemask(unsafe { core::ptr::read_volatile(table.add(index as usize)) })
    }

    /// Adds `node`.
    pub fn set(&mut self, node: NodeId) {
        let (w, b) = node.word_bit();
        self.0.bits[w] |= 1 << b;
    }

    /// Removes `node`.
    pub fn clear(&mut self, node: NodeId) {
        let (w, b) = node.word_bit();
        self.0.bits[w] &= !(1 << b);
    }

    /// Whether `node` is in the mask.
    pub fn test(&self, node: NodeId) -> bool {
        let (w, b) = node.word_bit();
        self.0.bits[w] & (1 << b) != 0
    }

    /// The number of nodes in the mask.
    pub fn weight(&self) -> u32 {
        self.0.bits.iter().map(|w| w.count_ones()).sum()
    }

    /// Whether the mask is empty.
    pub fn is_empty(&self) -> bool {
        self.0.bits.iter().all(|&w| w == 0)
    }

    fn zip(&self, other: &Self, f: impl Fn(c_ulong, c_ulong) -> c_ulong) -> Self {
        let mut out = *self;
        for (o, b) in out.0.bits.iter_mut().zip(other.0.bits.iter()) {
            *o = f(*o, *b);
        }
        out
    }

    /// The nodes in both masks.
    pub fn and(&self, other: &Self) -> Self {
        self.zip(other, |a, b| a & b)
    }

    /// The nodes in either mask.
    pub fn or(&self, other: &Self) -> Self {
        self.zip(other, |a, b| a | b)
    }

    /// The nodes of this mask that are not in `other`.
    pub fn andnot(&self, other: &Self) -> Self {
        self.zip(other, |a, b| a & !b)
    }

    /// Whether the mask is one that tasks may be given to allocate from: not empty, and only
    /// nodes with memory ([`NodeState::Memory`]), as C's cpuset guarantees for
    /// `mems_allowed`. The page allocator looks at the nodes' data, which a node without
    /// memory may not have.
    pub fn is_allocatable(&self) -> bool {
        !self.is_empty() && self.is_subset(&Self::state(NodeState::Memory))
    }

    /// Whether every node of this mask is in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        self.andnot(other).is_empty()
    }

    /// Whether the masks have a node in common.
    pub fn intersects(&self, other: &Self) -> bool {
        !self.and(other).is_empty()
    }

    /// The first node of the mask.
    pub fn first(&self) -> Option<NodeId> {
        self.iter().next()
    }

    /// The nodes of the mask, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..MAX_NUMNODES)
            .filter_map(NodeId::new)
            .filter(|&n| self.test(n))
    }

    /// The mask in C's list format (`0-1`; nothing for the empty mask), as `%*pbl` prints it.
    pub fn list(&self) -> impl core::fmt::Display + '_ {
        crate::cpumask::RangeList(move || self.iter().map(NodeId::as_u32))
    }

    /// Parses a list in C's format (`0-3,5`), as `nodelist_parse()` reads it: an empty list (or
    /// one of white space) is the empty mask; a node past [`MAX_NUMNODES`] is `ERANGE`; anything
    /// malformed `EINVAL`. A NUL byte ends the text, as in C.
    pub fn parse_list(text: &[u8]) -> Result<Self> {
        let text = crate::cpumask::c_text(text)?;
        let mut mask = Self::new();
        // SAFETY: `text` is NUL-terminated and `mask` has `MAX_NUMNODES` bits.
        to_result(unsafe {
            bindings::bitmap_parselist(
                text.as_ptr().cast(),
                mask.0.bits.as_mut_ptr(),
                MAX_NUMNODES as c_int,
            )
        })?;
        Ok(mask)
    }
}
