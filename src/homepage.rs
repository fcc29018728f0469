//! Where a user lands (SPEC §6): the home group, the homepage redirect and the dashboard.

use serde_json::Value;

use crate::access::{active_groups, is_active, permissions, roles};
use crate::directory::Directory;

/// The resolved homepage of a user.
#[derive(Debug, Clone, PartialEq)]
pub struct Homepage<'a> {
    pub redirect: Option<&'a str>,
    pub source: &'static str,
    pub group: Option<u32>,
    pub note: Option<String>,
    pub dashboard_source: &'static str,
    pub dashboard_group: Option<u32>,
    pub layout: Option<&'a Value>,
}

/// Whether `module` is a valid homepage module for a user with `perms` (SPEC §6).
fn valid_module(dir: &Directory, module: &str, perms: &[String]) -> bool {
    let Some(modules) = &dir.modules else {
        return true;
    };
    let Some(&m) = modules.get(module) else {
        return false;
    };
    let required = dir
        .snap
        .modules
        .as_ref()
        .and_then(|list| list.get(m as usize))
        .and_then(|m| m.required_permission.as_ref());
    required.is_none_or(|p| perms.binary_search(p).is_ok())
}

/// Published dashboards agree when they are the same JSON, numbers compared by value.
fn same_dashboard(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => crate::json::same(a, b),
        (a, b) => a.is_none() && b.is_none(),
    }
}

/// Resolves where user `u` lands.
pub fn resolve(dir: &Directory, u: u32) -> Homepage<'_> {
    let Some(user) = dir.snap.users.get(u as usize) else {
        return Homepage {
            redirect: None,
            source: "default",
            group: None,
            note: None,
            dashboard_source: "none",
            dashboard_group: None,
            layout: None,
        };
    };
    let perms = permissions(dir, &roles(dir, u));
    let module_of = |g: u32| -> Option<&str> {
        dir.snap
            .groups
            .get(g as usize)
            .and_then(|x| x.homepage_module.as_deref())
            .filter(|m| valid_module(dir, m, &perms))
    };
    let dashboard_of = |g: u32| {
        dir.snap
            .groups
            .get(g as usize)
            .and_then(|x| x.dashboard.as_ref())
    };

    let primary = user
        .primary_group
        .as_deref()
        .and_then(|id| dir.group_index(id))
        .filter(|&g| is_active(dir, g));
    let mut note = None;
    let home = match primary {
        Some(g) => Some(g),
        None => {
            let candidates: Vec<u32> = active_groups(dir, u)
                .filter(|&g| module_of(g).is_some() || dashboard_of(g).is_some())
                .collect();
            let first = candidates.first().copied();
            let agree = first.is_some_and(|f| {
                candidates.iter().all(|&g| {
                    module_of(g) == module_of(f) && same_dashboard(dashboard_of(g), dashboard_of(f))
                })
            });
            if agree {
                first
            } else {
                if candidates.len() > 1 {
                    let names: Vec<String> = candidates
                        .iter()
                        .filter_map(|&g| dir.snap.groups.get(g as usize))
                        .map(|g| format!("`{}`", g.id))
                        .collect();
                    note = Some(format!(
                        "groups {} set different homepages; no home group is chosen",
                        names.join(", ")
                    ));
                }
                None
            }
        }
    };

    let (redirect, source) = if user.prevent_homepage_redirect {
        (None, "prevented")
    } else if let Some(m) = user
        .homepage_module
        .as_deref()
        .filter(|m| valid_module(dir, m, &perms))
    {
        (Some(m), "user")
    } else if let Some(m) = home.and_then(module_of) {
        (Some(m), "group")
    } else {
        (None, "default")
    };

    let (dashboard_source, dashboard_group, layout) = if let Some(d) = user.dashboard.as_ref() {
        ("user", None, Some(d))
    } else if let Some((g, d)) = home.and_then(|g| dashboard_of(g).map(|d| (g, d))) {
        ("group", Some(g), Some(d))
    } else if let Some(d) = dir.snap.default_dashboard.as_ref() {
        ("default", None, Some(d))
    } else {
        ("none", None, None)
    };

    Homepage {
        redirect,
        source,
        group: home,
        note,
        dashboard_source,
        dashboard_group,
        layout,
    }
}
