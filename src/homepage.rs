//! Where a user lands (SPEC §6): the home group, the homepage redirect and the dashboard.

use crate::access::permissions;
use crate::ids::{GroupIx, ModuleIx, PermIx, UserIx};
use crate::json::Canonical;
use crate::model::Tenant;

/// Where the redirect comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectSource {
    /// The user asked never to be redirected.
    Prevented,
    /// The user's own module.
    User,
    /// The home group's module.
    Group,
    /// No redirect.
    Default,
}

/// Where the dashboard comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DashboardSource {
    /// The user's own.
    User,
    /// The home group's published dashboard.
    Group,
    /// The tenant's default.
    Default,
    /// None at all.
    None,
}

/// A user's resolved homepage.
#[derive(Debug, Clone, PartialEq)]
pub struct Homepage<'a> {
    /// The module to redirect to.
    pub redirect: Option<ModuleIx>,
    /// Why.
    pub source: RedirectSource,
    /// The home group.
    pub group: Option<GroupIx>,
    /// The groups in conflict, when they disagree and none is chosen.
    pub conflict: Vec<GroupIx>,
    /// The dashboard's source.
    pub dashboard_source: DashboardSource,
    /// The group whose dashboard it is.
    pub dashboard_group: Option<GroupIx>,
    /// The dashboard.
    pub layout: Option<&'a Canonical>,
}

/// Resolves where `u` lands.
pub fn resolve(t: &Tenant, u: UserIx) -> Homepage<'_> {
    let granting = t.granting_groups_of(u);
    let roles = crate::access::roles_through(t, u, &granting);
    let mut perms: Vec<PermIx> = permissions(t, &roles);
    perms.sort_unstable();
    resolve_with(t, u, &granting, &perms)
}

/// Resolves where `u` lands, given `u`'s granting groups and permissions (sorted by slot).
pub fn resolve_with<'t>(
    t: &'t Tenant,
    u: UserIx,
    granting: &[GroupIx],
    perms: &[PermIx],
) -> Homepage<'t> {
    let module_of = |g: GroupIx| t.group_homepage(g).filter(|&m| t.module_valid(m, perms));
    let dashboard_of = |g: GroupIx| t.group_dashboard(g);

    let mut conflict = Vec::new();
    let home = match t.primary_group(u).filter(|&g| t.grants(g)) {
        Some(g) => Some(g),
        None => {
            let candidates: Vec<GroupIx> = granting
                .iter()
                .copied()
                .filter(|&g| module_of(g).is_some() || dashboard_of(g).is_some())
                .collect();
            let first = candidates.first().copied();
            let agree = first.is_some_and(|f| {
                candidates
                    .iter()
                    .all(|&g| module_of(g) == module_of(f) && dashboard_of(g) == dashboard_of(f))
            });
            if agree {
                first
            } else {
                if candidates.len() > 1 {
                    conflict = candidates;
                }
                None
            }
        }
    };

    let (redirect, source) = if t.prevents_redirect(u) {
        (None, RedirectSource::Prevented)
    } else if let Some(m) = t.user_homepage(u).filter(|&m| t.module_valid(m, perms)) {
        (Some(m), RedirectSource::User)
    } else if let Some(m) = home.and_then(module_of) {
        (Some(m), RedirectSource::Group)
    } else {
        (None, RedirectSource::Default)
    };

    let (dashboard_source, dashboard_group, layout) = if let Some(d) = t.user_dashboard(u) {
        (DashboardSource::User, None, Some(d))
    } else if let Some((g, d)) = home.and_then(|g| dashboard_of(g).map(|d| (g, d))) {
        (DashboardSource::Group, Some(g), Some(d))
    } else if let Some(d) = t.default_dashboard() {
        (DashboardSource::Default, None, Some(d))
    } else {
        (DashboardSource::None, None, None)
    };

    Homepage {
        redirect,
        source,
        group: home,
        conflict,
        dashboard_source,
        dashboard_group,
        layout,
    }
}
