//! What membership grants (SPEC §5): roles with their sources, permissions, products with
//! their reasons, and the access check.

use crate::ids::{GroupIx, PermIx, ProductIx, RoleIx, UserIx};
use crate::model::{Bypass, Tenant};

/// The answer to "may user U use product P": positive means allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Decision {
    /// Allowed through an active group that carries the product.
    Group = 1,
    /// Allowed because the user is an org owner.
    Owner = 2,
    /// Allowed because the user is an org admin.
    Admin = 3,
    /// Denied: no active group of the user carries the product.
    NoGroup = 0,
    /// Denied: the user is unknown.
    UnknownUser = -1,
    /// Denied: the product is unknown.
    UnknownProduct = -2,
}

impl Decision {
    /// Whether the user may use the product.
    pub fn allowed(self) -> bool {
        (self as i32) > 0
    }

    /// The `reason` of a `check` answer.
    pub fn reason(self) -> &'static str {
        match self {
            Decision::Group => "group",
            Decision::Owner => "owner",
            Decision::Admin => "admin",
            Decision::NoGroup => "no-group",
            Decision::UnknownUser => "unknown-user",
            Decision::UnknownProduct => "unknown-product",
        }
    }

    fn of(bypass: Bypass) -> Decision {
        match bypass {
            Bypass::Owner => Decision::Owner,
            Bypass::Admin => Decision::Admin,
        }
    }
}

/// The access check by id: one id lookup for each side and one bit probe.
#[inline]
pub fn decide(t: &Tenant, user: &str, product: &str) -> Decision {
    let Some((u, bypass)) = t.user_for_check(user) else {
        return Decision::UnknownUser;
    };
    let Some(p) = t.product(product) else {
        return Decision::UnknownProduct;
    };
    match bypass {
        Some(b) => Decision::of(b),
        None if t.reaches(u, p) => Decision::Group,
        None => Decision::NoGroup,
    }
}

/// A `check` answer: the decision, the granting groups, and on a no, the groups that would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The decision.
    pub decision: Decision,
    /// The active groups of the user that carry the product, by id (on `group`).
    pub via: Vec<GroupIx>,
    /// The active groups that carry the product, by id (on `no-group`).
    pub product_groups: Vec<GroupIx>,
}

/// The full `check`.
pub fn check(t: &Tenant, user: &str, product: &str) -> Check {
    let decision = decide(t, user, product);
    let mut via = Vec::new();
    let mut product_groups = Vec::new();
    if let (Some(u), Some(p)) = (t.user(user), t.product(product)) {
        match decision {
            Decision::Group => via = granting_groups(t, u, p),
            Decision::NoGroup => product_groups = t.product_groups(p).to_vec(),
            _ => {}
        }
    }
    Check {
        decision,
        via,
        product_groups,
    }
}

/// The active groups of `u` that carry `p`, by id.
pub fn granting_groups(t: &Tenant, u: UserIx, p: ProductIx) -> Vec<GroupIx> {
    t.product_groups(p)
        .iter()
        .copied()
        .filter(|&g| t.is_member(g, u))
        .collect()
}

/// Where a role comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Assigned to the user directly.
    Direct,
    /// Carried by an active group of the user.
    Group(GroupIx),
}

/// `roles(u)` with their sources, by role id: `direct` first, then groups by id (SPEC §5).
pub fn roles(t: &Tenant, u: UserIx) -> Vec<(RoleIx, Vec<Source>)> {
    roles_through(t, u, &t.granting_groups_of(u))
}

/// `roles(u)` given `u`'s granting groups.
pub fn roles_through(t: &Tenant, u: UserIx, groups: &[GroupIx]) -> Vec<(RoleIx, Vec<Source>)> {
    let mut pairs: Vec<(RoleIx, Source)> = t
        .direct_roles(u)
        .into_iter()
        .map(|r| (r, Source::Direct))
        .collect();
    for &g in groups {
        pairs.extend(t.group_roles(g).into_iter().map(|r| (r, Source::Group(g))));
    }
    // Stable: within a role, `direct` then groups in id order, as pushed.
    pairs.sort_by_key(|(r, _)| t.role_rank(*r));
    let mut out: Vec<(RoleIx, Vec<Source>)> = Vec::new();
    for (r, source) in pairs {
        match out.last_mut() {
            Some((last, sources)) if *last == r => sources.push(source),
            _ => out.push((r, vec![source])),
        }
    }
    out
}

/// `permissions(u)` from `u`'s roles, by bytes, without duplicates.
pub fn permissions(t: &Tenant, roles: &[(RoleIx, Vec<Source>)]) -> Vec<PermIx> {
    let mut out: Vec<PermIx> = roles
        .iter()
        .flat_map(|(r, _)| t.role_permissions(*r).iter().copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    t.sort_permissions(&mut out);
    out
}

/// The roles of `user` that grant `permission`, by id; none for an unknown user.
pub fn has_permission(t: &Tenant, user: &str, permission: &str) -> Vec<RoleIx> {
    let (Some(u), Some(p)) = (t.user(user), t.permission(permission)) else {
        return Vec::new();
    };
    roles(t, u)
        .into_iter()
        .map(|(r, _)| r)
        .filter(|&r| t.role_permissions(r).contains(&p))
        .collect()
}

/// The products `u` may use, given `u`'s granting groups.
pub fn products_through(
    t: &Tenant,
    u: UserIx,
    groups: &[GroupIx],
) -> Vec<(ProductIx, Decision, Vec<GroupIx>)> {
    if let Some(bypass) = t.bypass(u) {
        return t
            .products_by_id()
            .map(|p| (p, Decision::of(bypass), Vec::new()))
            .collect();
    }
    let mut pairs: Vec<(ProductIx, GroupIx)> = Vec::new();
    for &g in groups {
        pairs.extend(t.group_products(g).into_iter().map(|p| (p, g)));
    }
    pairs.sort_by_key(|(p, _)| t.product_rank(*p));
    let mut out: Vec<(ProductIx, Decision, Vec<GroupIx>)> = Vec::new();
    for (p, g) in pairs {
        match out.last_mut() {
            Some((last, _, via)) if *last == p => via.push(g),
            _ => out.push((p, Decision::Group, vec![g])),
        }
    }
    out
}

/// The users who may use `p`, in the order people see them, with reasons.
pub fn who_can_access(t: &Tenant, p: ProductIx) -> Vec<(UserIx, Decision)> {
    t.users_by_name()
        .iter()
        .filter_map(|&u| {
            let decision = match t.bypass(u) {
                Some(b) => Decision::of(b),
                None if t.reaches(u, p) => Decision::Group,
                None => return None,
            };
            Some((u, decision))
        })
        .collect()
}
