//! Group hygiene findings (SPEC §7.3): what an admin should look at, group by group.

use std::collections::BTreeMap;

use crate::directory::Directory;
use crate::snapshot::{Localized, RuleState, Severity};
use crate::text::fold;

/// One finding about a group (or about the snapshot, when `group` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub group: Option<String>,
    pub message: String,
}

/// The name with copy markers and a trailing number set aside, folded as for search.
pub fn name_key(name: &str) -> String {
    let mut key = fold(name).trim().to_owned();
    loop {
        let before = key.clone();
        for marker in [
            "(copy)",
            "- copy",
            "- new",
            "- updated",
            "(new)",
            "(updated)",
        ] {
            if let Some(stripped) = key.strip_suffix(marker) {
                key = stripped.trim_end().to_owned();
            }
        }
        if let Some(stripped) = key.strip_prefix("copy of ") {
            key = stripped.trim_start().to_owned();
        }
        let without_number = key
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .trim_end();
        let without_number = without_number
            .trim_end_matches(['-', '#', '(', ')', '_'])
            .trim_end();
        if !without_number.is_empty() {
            key = without_number.to_owned();
        }
        if key == before {
            return key;
        }
    }
}

const VAGUE: [&str; 16] = [
    "group",
    "new group",
    "newgroup",
    "test",
    "tests",
    "testing",
    "untitled",
    "temp",
    "tmp",
    "misc",
    "new",
    "default",
    "sample",
    "demo",
    "foo",
    "my group",
];

fn is_vague(name: &str) -> bool {
    let key = name_key(name);
    key.is_empty()
        || VAGUE.contains(&key.as_str())
        || key.starts_with("untitled")
        || key.starts_with("test group")
}

/// Every finding, ordered by group id (snapshot-wide ones first), then code, then message.
pub fn lint(dir: &Directory) -> Vec<Finding> {
    let mut out = Vec::new();
    let n_users = dir.snap.users.len();
    let default = dir.snap.default_locale.as_str();

    let mut locales: Vec<&str> = dir
        .snap
        .groups
        .iter()
        .flat_map(|g| match &g.name {
            Localized::Plain(_) => vec![default],
            Localized::PerLocale(entries) => entries.iter().map(|(l, _)| l.as_str()).collect(),
        })
        .collect();
    locales.sort_unstable();
    locales.dedup();

    let mut by_key: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for group in &dir.snap.groups {
        by_key
            .entry(name_key(group.name.resolve(&[], default)))
            .or_default()
            .push(&group.id);
    }

    for (group, state) in dir.snap.groups.iter().zip(&dir.group_state) {
        let mut add = |code: &'static str, severity: Severity, message: String| {
            out.push(Finding {
                code,
                severity,
                group: Some(group.id.clone()),
                message,
            });
        };
        let count = state.members.len();
        let name = group.name.resolve(&[], default);
        if count == 0 && (!state.roles.is_empty() || !state.products.is_empty()) {
            add(
                "empty-group-with-roles",
                Severity::Warning,
                format!(
                    "group `{}` has no members but grants roles or products",
                    group.id
                ),
            );
        }
        if (1..=2).contains(&count) {
            add(
                "tiny-group",
                Severity::Warning,
                format!("group `{}` has only {count} member(s)", group.id),
            );
        }
        if count > 1000 {
            add(
                "huge-group",
                Severity::Warning,
                format!("group `{}` has {count} members", group.id),
            );
        }
        if let Some(same) = by_key.get(&name_key(name)).filter(|ids| ids.len() > 1) {
            let others: Vec<String> = same
                .iter()
                .filter(|&&id| id != group.id)
                .map(|id| format!("`{id}`"))
                .collect();
            add(
                "duplicate-name",
                Severity::Warning,
                format!("group `{}` is named like {}", group.id, others.join(", ")),
            );
        }
        if is_vague(name) {
            add(
                "vague-name",
                Severity::Warning,
                format!("group `{}` has a vague name `{name}`", group.id),
            );
        }
        let own: Vec<&str> = match &group.name {
            Localized::Plain(_) => vec![default],
            Localized::PerLocale(entries) => entries.iter().map(|(l, _)| l.as_str()).collect(),
        };
        let missing: Vec<&str> = locales
            .iter()
            .copied()
            .filter(|l| !own.contains(l))
            .collect();
        if !missing.is_empty() {
            add(
                "missing-translation",
                Severity::Warning,
                format!(
                    "group `{}` has no name in {}",
                    group.id,
                    missing
                        .iter()
                        .map(|l| format!("`{l}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        for &r in &state.roles {
            if let Some(role) = dir.snap.roles.get(r as usize).filter(|r| r.privileged) {
                if count * 2 > n_users {
                    add(
                        "broad-privileged-role",
                        Severity::Error,
                        format!(
                            "group `{}` gives privileged role `{}` to {count} of {n_users} users",
                            group.id, role.id
                        ),
                    );
                }
            }
        }
        if matches!(group.rule, RuleState::Valid(_)) {
            if state.dynamic.is_empty() {
                add(
                    "rule-matches-nobody",
                    Severity::Warning,
                    format!("the rule of group `{}` matches nobody", group.id),
                );
            } else if state.dynamic.len() == n_users {
                add(
                    "rule-matches-everyone",
                    Severity::Warning,
                    format!("the rule of group `{}` matches every user", group.id),
                );
            }
        }
        for &inc in &state.include {
            if let Some(inactive) = dir.snap.groups.get(inc as usize).filter(|g| !g.is_active) {
                add(
                    "includes-inactive",
                    Severity::Warning,
                    format!(
                        "group `{}` includes inactive group `{}`",
                        group.id, inactive.id
                    ),
                );
            }
        }
    }

    for diagnostic in &dir.diagnostics {
        let group = diagnostic
            .path
            .strip_prefix("$.groups[")
            .and_then(|rest| rest.split(']').next())
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| dir.snap.groups.iter().find(|g| g.place.index as usize == i))
            .map(|g| g.id.clone());
        out.push(Finding {
            code: diagnostic.code,
            severity: diagnostic.severity,
            group,
            message: diagnostic.message.clone(),
        });
    }
    out.sort_by(|a, b| (&a.group, a.code, &a.message).cmp(&(&b.group, b.code, &b.message)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_markers_and_numbers_are_set_aside() {
        let key = name_key("Équipe Paris");
        for twin in [
            "Copy of Equipe Paris",
            "equipe paris (copy)",
            "Equipe Paris - New",
            "Équipe Paris 2",
            "EQUIPE PARIS - Updated",
        ] {
            assert_eq!(name_key(twin), key, "{twin}");
        }
        assert_ne!(name_key("Equipe Lyon"), key);
    }

    #[test]
    fn vague_names() {
        for vague in [
            "Group1",
            "New Group",
            "Test",
            "Untitled group",
            "temp",
            "Group 12",
        ] {
            assert!(is_vague(vague), "{vague}");
        }
        for fine in ["Paris Office", "Backend", "Temp Workers Union"] {
            assert!(!is_vague(fine), "{fine}");
        }
    }
}
