// SPDX-License-Identifier: GPL-2.0

//! Controller ids ([`SubsysId`]): the fixed numbering of the controllers and their names.

use crate::{c_str, str::CStr};

/// The number of controller ids.
pub const NR_SUBSYS: usize = 5;

/// The id of a controller: its place in `/proc/cgroups`, `/proc/<pid>/cgroup` and mount
/// options, fixed as in the C implementation (with `ns`, which modern kernels lack, last).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(usize)]
pub enum SubsysId {
    /// `cpuset`: CPU and memory-node placement.
    Cpuset = 0,
    /// `cpuacct`: CPU time accounting.
    Cpuacct = 1,
    /// `freezer`: freezing and thawing tasks.
    Freezer = 2,
    /// `debug`: the core's internals.
    Debug = 3,
    /// `ns`: a group per new namespace set.
    Ns = 4,
}

/// The names of the controllers, by id.
const SUBSYS_NAMES: [&CStr; NR_SUBSYS] = [
    c_str!("cpuset"),
    c_str!("cpuacct"),
    c_str!("freezer"),
    c_str!("debug"),
    c_str!("ns"),
];

impl SubsysId {
    /// Every id, in order.
    pub const ALL: [SubsysId; NR_SUBSYS] = [
        SubsysId::Cpuset,
        SubsysId::Cpuacct,
        SubsysId::Freezer,
        SubsysId::Debug,
        SubsysId::Ns,
    ];

    /// The id numbered `i`.
    pub fn from_index(i: usize) -> Option<SubsysId> {
        Self::ALL.get(i).copied()
    }

    /// The id's bit in a controller mask.
    pub const fn bit(self) -> u32 {
        1 << self as u32
    }

    /// The controller's name.
    pub fn name(self) -> &'static CStr {
        SUBSYS_NAMES[self as usize]
    }

    /// Looks up a controller id by name.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cgroup::SubsysId;
    ///
    /// assert_eq!(SubsysId::by_name(b"cpuacct"), Some(SubsysId::Cpuacct));
    /// assert_eq!(SubsysId::by_name(b"ns"), Some(SubsysId::Ns));
    /// assert_eq!(SubsysId::by_name(b"memory"), None);
    /// assert_eq!(SubsysId::by_name(b""), None);
    /// assert_eq!(SubsysId::Debug.name().as_bytes(), b"debug");
    /// assert_eq!(SubsysId::Freezer.bit(), 4);
    /// ```
    pub fn by_name(name: &[u8]) -> Option<SubsysId> {
        Self::ALL
            .into_iter()
            .find(|&id| id.name().as_bytes() == name)
    }
}
