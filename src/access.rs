//! What membership grants (SPEC §5): roles with their sources, permissions, products with
//! their reasons, and the fast access check. Also how a user is in a group (`types`, `via`).

use crate::api::Decision;
use crate::directory::Directory;
use crate::snapshot::OrgRole;

/// Where a role comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Direct,
    Group(u32),
}

/// How a user is a member of a group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    pub manual: bool,
    pub dynamic: bool,
    /// The active groups of `includeGroups` that hold the user (ascending).
    pub via: Vec<u32>,
}

impl Membership {
    pub fn is_member(&self) -> bool {
        self.manual || self.dynamic || !self.via.is_empty()
    }

    /// `types` in the order manual, dynamic, group.
    pub fn types(&self) -> Vec<&'static str> {
        let mut t = Vec::with_capacity(3);
        if self.manual {
            t.push("manual");
        }
        if self.dynamic {
            t.push("dynamic");
        }
        if !self.via.is_empty() {
            t.push("group");
        }
        t
    }
}

/// How `u` is in `g`, read off the final member sets (SPEC §3.2).
pub fn membership(dir: &Directory, g: u32, u: u32) -> Membership {
    let Some(state) = dir.group_state.get(g as usize) else {
        return Membership::default();
    };
    Membership {
        manual: state.manual.binary_search(&u).is_ok(),
        dynamic: state.dynamic.contains(u),
        via: state
            .include
            .iter()
            .copied()
            .filter(|&s| is_active(dir, s) && dir.is_member(s, u))
            .collect(),
    }
}

pub fn is_active(dir: &Directory, g: u32) -> bool {
    dir.snap.groups.get(g as usize).is_some_and(|x| x.is_active)
}

/// The active groups `u` is a member of.
pub fn active_groups(dir: &Directory, u: u32) -> impl Iterator<Item = u32> + '_ {
    dir.groups_of(u)
        .into_iter()
        .filter(move |&g| is_active(dir, g))
}

/// `roles(u)` with their sources: `direct` first, then groups by id (SPEC §5).
pub fn roles(dir: &Directory, u: u32) -> Vec<(u32, Vec<Source>)> {
    let mut out: Vec<(u32, Vec<Source>)> = Vec::new();
    let mut add = |role: u32, source: Source| match out.binary_search_by_key(&role, |e| e.0) {
        Ok(i) => {
            if let Some(e) = out.get_mut(i) {
                e.1.push(source);
            }
        }
        Err(i) => out.insert(i, (role, vec![source])),
    };
    for &r in dir.user_roles.get(u as usize).into_iter().flatten() {
        add(r, Source::Direct);
    }
    for g in active_groups(dir, u) {
        for &r in dir
            .group_state
            .get(g as usize)
            .map(|s| s.roles.as_slice())
            .unwrap_or_default()
        {
            add(r, Source::Group(g));
        }
    }
    out
}

/// `permissions(u)`, sorted by bytes, without duplicates.
pub fn permissions(dir: &Directory, roles: &[(u32, Vec<Source>)]) -> Vec<String> {
    let mut out: Vec<String> = roles
        .iter()
        .filter_map(|(r, _)| dir.snap.roles.get(*r as usize))
        .flat_map(|role| role.permissions.iter().cloned())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether `u` is an owner or admin, and which.
pub fn bypass(dir: &Directory, u: u32) -> Option<Decision> {
    match dir.org_roles.get(u as usize) {
        Some(OrgRole::Owner) => Some(Decision::Owner),
        Some(OrgRole::Admin) => Some(Decision::Admin),
        _ => None,
    }
}

/// The fast access check over interned indices.
pub fn decide(dir: &Directory, u: u32, p: u32) -> Decision {
    if let Some(bypass) = bypass(dir, u) {
        return bypass;
    }
    if dir
        .product_users
        .get(p as usize)
        .is_some_and(|users| users.contains(u))
    {
        Decision::Group
    } else {
        Decision::NoGroup
    }
}

/// The active groups of `u` that carry `p`.
pub fn granting_groups(dir: &Directory, u: u32, p: u32) -> Vec<u32> {
    dir.product_groups
        .get(p as usize)
        .into_iter()
        .flatten()
        .copied()
        .filter(|&g| dir.is_member(g, u))
        .collect()
}

/// The products `u` may use, with the reason and the granting groups.
pub fn products(dir: &Directory, u: u32) -> Vec<(u32, Decision, Vec<u32>)> {
    if let Some(bypass) = bypass(dir, u) {
        let n = u32::try_from(dir.snap.products.len()).unwrap_or(0);
        return (0..n).map(|p| (p, bypass, Vec::new())).collect();
    }
    let n = u32::try_from(dir.product_users.len()).unwrap_or(0);
    (0..n)
        .filter(|&p| {
            dir.product_users
                .get(p as usize)
                .is_some_and(|users| users.contains(u))
        })
        .map(|p| (p, Decision::Group, granting_groups(dir, u, p)))
        .collect()
}
