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

    /// Parses the value of the boot parameters `cgroup_disable=` and `cgroup_no_v1=`: a
    /// comma-separated list of controller names, where `all` stands for every controller and
    /// `named` for hierarchies with a name (meaningful to `cgroup_no_v1=` only). Unknown names
    /// and empty items are skipped, as in C.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::cgroup::{BootList, SubsysId};
    ///
    /// let l = SubsysId::parse_boot_list(b"cpuset,,freezer,memory");
    /// let mask = SubsysId::Cpuset.bit() | SubsysId::Freezer.bit();
    /// assert_eq!(l, BootList { mask, named: false });
    /// assert_eq!(SubsysId::parse_boot_list(b"named").mask, 0);
    /// assert!(SubsysId::parse_boot_list(b"named").named);
    /// assert_eq!(SubsysId::parse_boot_list(b"all,ns").mask, u32::MAX);
    /// assert_eq!(SubsysId::parse_boot_list(b"").mask, 0);
    /// assert_eq!(SubsysId::parse_boot_list(b"cpuset=1").mask, 0);
    /// ```
    pub fn parse_boot_list(list: &[u8]) -> BootList {
        let mut out = BootList {
            mask: 0,
            named: false,
        };
        for item in list.split(|&c| c == b',') {
            match item {
                b"all" => out.mask = u32::MAX,
                b"named" => out.named = true,
                name => {
                    if let Some(id) = Self::by_name(name) {
                        out.mask |= id.bit();
                    }
                }
            }
        }
        out
    }
}

/// A controller list given at boot (see [`SubsysId::parse_boot_list`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BootList {
    /// The controllers named, one bit each (all bits for `all`).
    pub mask: u32,
    /// Whether `named` was given.
    pub named: bool,
}
