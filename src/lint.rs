//! Group hygiene findings (SPEC §7.3): what an admin should look at, group by group.
//!
//! Lint costs about what sorting the groups costs: duplicate names are found by sorting groups
//! by a folded key, never by comparing pairs, and messages name a bounded number of others.

use crate::ids::GroupIx;
use crate::model::Tenant;
use crate::snapshot::Severity;
use crate::text::fold;

/// One finding about a group (or about the snapshot, when `group` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The stable code.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// The group it is about.
    pub group: Option<GroupIx>,
    /// What to look at.
    pub message: String,
}

/// How many others a message names before it counts the rest.
const NAMED: usize = 5;

/// Markers that make a name a copy of another, after folding.
const COPY_SUFFIXES: [&str; 6] = [
    "(copy)",
    "- copy",
    "- new",
    "- updated",
    "(new)",
    "(updated)",
];

/// The name with copy markers and a bracketed number set aside, folded as for search:
/// `Copy of Équipe Paris (2)` and `equipe paris - new` have the same key; `Team 1` and `Team 2`
/// do not. Linear in the name's length.
pub fn name_key(name: &str) -> String {
    let folded = fold(name);
    let mut key: &str = folded.trim();
    loop {
        let before = key.len();
        for marker in COPY_SUFFIXES {
            if let Some(stripped) = key.strip_suffix(marker) {
                key = stripped.trim_end();
            }
        }
        key = strip_bracketed_number(key).trim_end();
        if let Some(stripped) = key.strip_prefix("copy of ") {
            key = stripped.trim_start();
        }
        if key.len() == before {
            return key.to_owned();
        }
    }
}

/// `name (12)` → `name`.
fn strip_bracketed_number(key: &str) -> &str {
    let Some(inner) = key.strip_suffix(')') else {
        return key;
    };
    let digits = inner.trim_end_matches(|c: char| c.is_ascii_digit());
    if digits.len() == inner.len() {
        return key;
    }
    digits.strip_suffix('(').unwrap_or(key)
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

/// Whether a name says nothing: `Group1`, `New Group`, `Test`, `Untitled group`, `Temp 3`.
pub fn is_vague(name: &str) -> bool {
    let key = name_key(name);
    let bare = key
        .trim_end_matches(|c: char| c.is_ascii_digit() || matches!(c, ' ' | '-' | '#' | '_'))
        .trim_end();
    bare.is_empty()
        || VAGUE.contains(&bare)
        || bare.starts_with("untitled")
        || bare.starts_with("test group")
}

/// Every finding, ordered by group id (snapshot-wide ones first), then code, then message.
pub fn lint(t: &Tenant) -> Vec<Finding> {
    let mut out = Vec::new();
    let n_users = t.user_count();
    let default = t.default_locale();
    let groups: Vec<GroupIx> = t.groups_by_id().collect();

    // Every locale a group name uses, sorted.
    let mut locales: Vec<&str> = groups
        .iter()
        .flat_map(|&g| t.group_name(g).locales(default))
        .collect();
    locales.sort_unstable();
    locales.dedup();

    // Duplicate names: groups sorted by key, then each run of one key.
    let mut keyed: Vec<(String, GroupIx)> = groups
        .iter()
        .map(|&g| (name_key(t.group_name(g).resolve(&[], default)), g))
        .collect();
    keyed.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(t.group_rank(a.1).cmp(&t.group_rank(b.1)))
    });
    let mut start = 0;
    while start < keyed.len() {
        let key = keyed.get(start).map(|k| k.0.as_str()).unwrap_or("");
        let end = start
            + keyed
                .get(start..)
                .unwrap_or(&[])
                .iter()
                .take_while(|k| k.0 == key)
                .count();
        let run = keyed.get(start..end).unwrap_or(&[]);
        if run.len() > 1 {
            for &(_, g) in run {
                let others: Vec<String> = run
                    .iter()
                    .filter(|(_, o)| *o != g)
                    .take(NAMED)
                    .map(|(_, o)| format!("`{}`", t.group_id(*o)))
                    .collect();
                let rest = run.len() - 1 - others.len();
                let mut message = format!(
                    "group `{}` is named like {}",
                    t.group_id(g),
                    others.join(", ")
                );
                if rest > 0 {
                    message.push_str(&format!(" and {rest} more"));
                }
                out.push(Finding {
                    code: "duplicate-name",
                    severity: Severity::Warning,
                    group: Some(g),
                    message,
                });
            }
        }
        start = end.max(start + 1);
    }

    for &g in &groups {
        let id = t.group_id(g);
        let mut add = |code: &'static str, severity: Severity, message: String| {
            out.push(Finding {
                code,
                severity,
                group: Some(g),
                message,
            });
        };
        let count = t.members(g).len();
        let roles = t.group_roles(g);
        if count == 0 && (!roles.is_empty() || !t.group_products(g).is_empty()) {
            add(
                "empty-group-with-roles",
                Severity::Warning,
                format!("group `{id}` has no members but grants roles or products"),
            );
        }
        if (1..=2).contains(&count) {
            add(
                "tiny-group",
                Severity::Warning,
                format!(
                    "group `{id}` has only {count} {}",
                    if count == 1 { "member" } else { "members" }
                ),
            );
        }
        if count > 1000 {
            add(
                "huge-group",
                Severity::Warning,
                format!("group `{id}` has {count} members"),
            );
        }
        let name = t.group_name(g).resolve(&[], default);
        if is_vague(name) {
            add(
                "vague-name",
                Severity::Warning,
                format!("group `{id}` has a vague name `{name}`"),
            );
        }
        let mut own: Vec<&str> = t.group_name(g).locales(default).collect();
        own.sort_unstable();
        own.dedup();
        let missing_count = locales.len() - own.len().min(locales.len());
        if missing_count > 0 {
            let named: Vec<String> = locales
                .iter()
                .filter(|l| own.binary_search(l).is_err())
                .take(NAMED)
                .map(|l| format!("`{l}`"))
                .collect();
            let mut message = format!("group `{id}` has no name in {}", named.join(", "));
            if missing_count > named.len() {
                message.push_str(&format!(" and {} more", missing_count - named.len()));
            }
            add("missing-translation", Severity::Warning, message);
        }
        if count * 2 > n_users {
            for &r in &roles {
                if t.role_privileged(r) {
                    add(
                        "broad-privileged-role",
                        Severity::Error,
                        format!(
                            "group `{id}` gives privileged role `{}` to {count} of {n_users} users",
                            t.role_id(r)
                        ),
                    );
                }
            }
        }
        if t.rule(g).is_some() {
            let matched = t.dynamic_count(g);
            if matched == 0 {
                add(
                    "rule-matches-nobody",
                    Severity::Warning,
                    format!("the rule of group `{id}` matches nobody"),
                );
            } else if matched == n_users {
                add(
                    "rule-matches-everyone",
                    Severity::Warning,
                    format!("the rule of group `{id}` matches every user"),
                );
            }
        }
        for s in t.includes(g) {
            if !t.is_active(s) {
                add(
                    "includes-inactive",
                    Severity::Warning,
                    format!("group `{id}` includes inactive group `{}`", t.group_id(s)),
                );
            }
        }
    }

    for diagnostic in t.diagnostics() {
        out.push(Finding {
            code: diagnostic.code,
            severity: diagnostic.severity,
            group: diagnostic.group,
            message: diagnostic.message,
        });
    }
    out.sort_by(|a, b| {
        a.group
            .map(|g| t.group_rank(g))
            .cmp(&b.group.map(|g| t.group_rank(g)))
            .then(a.code.cmp(b.code))
            .then_with(|| a.message.cmp(&b.message))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_markers_and_bracketed_numbers_are_set_aside() {
        let key = name_key("Équipe Paris");
        for twin in [
            "Copy of Equipe Paris",
            "equipe paris (copy)",
            "Equipe Paris - New",
            "Équipe Paris (2)",
            "EQUIPE PARIS - Updated",
            "Copy of Équipe Paris (copy) (3)",
        ] {
            assert_eq!(name_key(twin), key, "{twin}");
        }
        assert_ne!(name_key("Equipe Lyon"), key);
        assert_ne!(name_key("Team 1"), name_key("Team 2"));
    }

    #[test]
    fn long_hostile_names_are_linear() {
        let name = "(1)".repeat(300_000);
        assert_eq!(name_key(&name), "");
        let name = "x 1".repeat(300_000);
        assert!(!name_key(&name).is_empty());
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
