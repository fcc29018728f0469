//! Diagnostics (SPEC §1.1): what reading found in each item, what dangles, what loops, in
//! document order.
//!
//! Each item keeps its own notes: those found while reading it, and those about its references,
//! recomputed whenever the item or what it refers to changes. Paths are formatted only when the
//! diagnostics are listed, from each item's current place in the document, so that removing an
//! item re-numbers the paths after it without touching them.

use std::sync::Arc;

use crate::hash::Map;
use crate::ids::{GroupIx, Ix, UserIx};
use crate::rules::{Op, Operand};
use crate::sets::Bits;
use crate::snapshot::{slug_well_formed, At, Note, Severity, GROUP_KEYS, USER_KEYS};

use super::membership::has_window;
use super::Tenant;
use crate::ids::NO_INDEX;

/// One diagnostic, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stable code.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// The JSON path in the snapshot.
    pub path: String,
    /// The group it lies in, if any (for lint findings).
    pub(crate) group: Option<GroupIx>,
}

/// Notes about references and structure, by item.
#[derive(Debug, Clone, Default)]
pub(crate) struct Notes {
    pub users: Map<UserIx, Vec<Note>>,
    pub groups: Map<GroupIx, Vec<Note>>,
    /// `include-cycle` and `member-of-cycle`, by group.
    pub graph: Vec<(GroupIx, Note)>,
    /// Groups whose slug an earlier group holds (the slug is ignored).
    pub slug_taken: Bits,
    pub slugs: Map<GroupIx, Note>,
}

fn dangling(at: At, message: String) -> Note {
    Note {
        severity: Severity::Warning,
        code: "dangling-reference",
        message,
        at,
    }
}

impl Tenant {
    /// The notes about `u`'s references.
    pub(crate) fn user_ref_notes(&self, u: UserIx) -> Vec<Note> {
        let mut out = Vec::new();
        if !self.user_live(u) {
            return out;
        }
        let owner = self.user_id(u);
        for (j, &r) in self.users.roles.get(u.index()).iter().enumerate() {
            if !self.role_live(r) {
                out.push(dangling(
                    At::element("roles", j),
                    format!(
                        "user `{owner}` refers to unknown role `{}`",
                        self.role_id(r)
                    ),
                ));
            }
        }
        if let Some(&g) = self
            .users
            .primary
            .get(u.index())
            .filter(|&&g| g != NO_INDEX)
        {
            let g = GroupIx::new(g);
            if !self.group_live(g) {
                out.push(dangling(
                    At::key("primaryGroup"),
                    format!(
                        "user `{owner}` refers to unknown group `{}`",
                        self.group_id(g)
                    ),
                ));
            }
        }
        if let Some(m) = self.user_homepage(u) {
            if self.module_unknown(m) {
                out.push(dangling(
                    At::key("homepageModule"),
                    format!(
                        "user `{owner}` refers to unknown module `{}`",
                        self.module_id(m)
                    ),
                ));
            }
        }
        out
    }

    /// The notes about `g`'s references and member entries.
    pub(crate) fn group_ref_notes(&self, g: GroupIx) -> Vec<Note> {
        let mut out = Vec::new();
        let def = self.def(g);
        if !def.live {
            return out;
        }
        let id = self.group_id(g);
        for (j, &s) in def.include.iter().enumerate() {
            if !self.group_live(s) {
                out.push(dangling(
                    At::element("includeGroups", j),
                    format!(
                        "group `{id}` refers to unknown group `{}`",
                        self.group_id(s)
                    ),
                ));
            }
        }
        for (j, &r) in def.roles.iter().enumerate() {
            if !self.role_live(r) {
                out.push(dangling(
                    At::element("roles", j),
                    format!("group `{id}` refers to unknown role `{}`", self.role_id(r)),
                ));
            }
        }
        for (j, &p) in def.products.iter().enumerate() {
            if !self.product_live(p) {
                out.push(dangling(
                    At::element("products", j),
                    format!(
                        "group `{id}` refers to unknown product `{}`",
                        self.product_id(p)
                    ),
                ));
            }
        }
        if let Some(m) = def.homepage {
            if self.module_unknown(m) {
                out.push(dangling(
                    At::key("homepageModule"),
                    format!(
                        "group `{id}` refers to unknown module `{}`",
                        self.module_id(m)
                    ),
                ));
            }
        }
        for (j, entry) in def.entries.iter().enumerate() {
            if !self.user_live(entry.user) {
                out.push(dangling(
                    At::element("members", j),
                    format!(
                        "group `{id}` lists unknown user `{}`",
                        self.user_id(entry.user)
                    ),
                ));
                continue;
            }
            if self.meta.as_of.is_none() && has_window(def.stamps.get(entry.stamps as usize)) {
                out.push(Note {
                    severity: Severity::Error,
                    code: "missing-as-of",
                    message: format!(
                        "member `{}` of group `{id}` has a time bound but the snapshot has no `asOf`; not in effect",
                        self.user_id(entry.user)
                    ),
                    at: At::element("members", j),
                });
            }
        }
        if let Some(rule) = &def.rule {
            for cond in rule.conditions() {
                let Operand::Scalar(value) = &cond.value else {
                    continue;
                };
                let target = value.text();
                let (known, what) = match cond.op {
                    Op::MemberOf => (self.group(&target).is_some(), "group"),
                    Op::ReportsTo => (self.user(&target).is_some(), "user"),
                    _ => continue,
                };
                if !known {
                    out.push(dangling(
                        At::key("rule"),
                        format!("rule of group `{id}` refers to unknown {what} `{target}`"),
                    ));
                }
            }
        }
        out
    }

    /// Recomputes the notes about `u`'s references.
    pub(crate) fn refresh_user_notes(&mut self, u: UserIx) {
        let notes = self.user_ref_notes(u);
        let current = self.notes.users.get(&u);
        if current.map_or(notes.is_empty(), |c| *c == notes) {
            return;
        }
        let all = Arc::make_mut(&mut self.notes);
        if notes.is_empty() {
            all.users.remove(&u);
        } else {
            all.users.insert(u, notes);
        }
    }

    /// Recomputes the notes about `g`'s references.
    pub(crate) fn refresh_group_notes(&mut self, g: GroupIx) {
        let notes = self.group_ref_notes(g);
        let current = self.notes.groups.get(&g);
        if current.map_or(notes.is_empty(), |c| *c == notes) {
            return;
        }
        let all = Arc::make_mut(&mut self.notes);
        if notes.is_empty() {
            all.groups.remove(&g);
        } else {
            all.groups.insert(g, notes);
        }
    }

    /// Recomputes the cycle notes and the slug notes, which depend on every group.
    pub(crate) fn refresh_group_wide_notes(&mut self) {
        let mut graph_notes = Vec::new();
        for cycle in &self.graph.include_cycles {
            let live: Vec<GroupIx> = cycle
                .iter()
                .copied()
                .filter(|&g| self.group_live(g))
                .collect();
            let Some(&first) = live.iter().min_by_key(|&&g| self.groups.doc.pos(g.index())) else {
                continue;
            };
            let mut by_id = live.clone();
            self.sort_groups(&mut by_id);
            let names: Vec<String> = by_id
                .iter()
                .map(|&g| format!("`{}`", self.group_id(g)))
                .collect();
            graph_notes.push((
                first,
                Note {
                    severity: Severity::Warning,
                    code: "include-cycle",
                    message: format!(
                        "groups {} include each other; each passes its members around the cycle",
                        names.join(", ")
                    ),
                    at: At::key("includeGroups"),
                },
            ));
        }
        for g in self.groups_by_id().collect::<Vec<_>>() {
            if self.graph.rule_on_cycle(g) && self.def(g).rule.is_some() {
                graph_notes.push((
                    g,
                    Note {
                        severity: Severity::Error,
                        code: "member-of-cycle",
                        message: format!(
                            "rule of group `{}` uses `MEMBER OF` on a dependency cycle; it matches nobody",
                            self.group_id(g)
                        ),
                        at: At::key("rule"),
                    },
                ));
            }
        }
        // Slugs: the first group in the document keeps a slug; later ones lose it.
        let mut in_doc: Vec<GroupIx> = self.groups_by_id().collect();
        in_doc.sort_by_key(|g| self.groups.doc.pos(g.index()));
        let mut seen: Map<&str, ()> = Map::default();
        let mut taken = Bits::default();
        let mut slugs = Map::default();
        for g in in_doc {
            let Some(slug) = self.def(g).slug.as_deref().filter(|s| slug_well_formed(s)) else {
                continue;
            };
            if seen.insert(slug, ()).is_some() {
                taken.insert(g.get());
                slugs.insert(
                    g,
                    Note {
                        severity: Severity::Warning,
                        code: "invalid-value",
                        message: format!(
                            "slug `{slug}` of group `{}` is already used by another group; ignored",
                            self.group_id(g)
                        ),
                        at: At::key("slug"),
                    },
                );
            }
        }
        let all = Arc::make_mut(&mut self.notes);
        all.graph = graph_notes;
        all.slug_taken = taken;
        all.slugs = slugs;
    }

    /// Recomputes every note.
    pub(crate) fn refresh_all_notes(&mut self) {
        let mut users = Map::default();
        for u in self.users_by_id().collect::<Vec<_>>() {
            let notes = self.user_ref_notes(u);
            if !notes.is_empty() {
                users.insert(u, notes);
            }
        }
        let mut groups = Map::default();
        for g in self.groups_by_id().collect::<Vec<_>>() {
            let notes = self.group_ref_notes(g);
            if !notes.is_empty() {
                groups.insert(g, notes);
            }
        }
        let all = Arc::make_mut(&mut self.notes);
        all.users = users;
        all.groups = groups;
        self.refresh_group_wide_notes();
    }

    /// Every diagnostic, in document order.
    pub(crate) fn collect_diagnostics<'a>(&'a self) -> Vec<Diagnostic> {
        // Users, then groups, as §1 lists them; items in document order; within an item, its
        // keys in the order §1 lists them, then the element, then the sub-key (a member entry's
        // timestamps in §1's order, attributes by key). The order does not depend on the order
        // of keys in the text, so a snapshot written back with sorted keys lists the same.
        type Key<'a> = (u32, u32, usize, Option<u32>, Option<(u32, &'a str)>);
        let mut found: Vec<(Key<'_>, Option<GroupIx>, &Note)> = Vec::new();
        let rank =
            |known: &[&str], key: &str| known.iter().position(|k| *k == key).unwrap_or(known.len());
        fn sub(note: &Note) -> Option<(u32, &str)> {
            note.at.sub.as_ref().map(|(s, r)| (*r, s.as_str()))
        }
        let user_key = |u: UserIx, note: &'a Note| -> Key<'a> {
            (
                0,
                self.users.doc.pos(u.index()),
                rank(USER_KEYS, note.at.key),
                note.at.element,
                sub(note),
            )
        };
        let group_key = |g: GroupIx, note: &'a Note| -> Key<'a> {
            (
                1,
                self.groups.doc.pos(g.index()),
                rank(GROUP_KEYS, note.at.key),
                note.at.element,
                sub(note),
            )
        };
        let mut users: Vec<(&UserIx, &Vec<Note>)> = self.users.notes.iter().collect();
        users.sort_by_key(|(u, _)| **u);
        let mut user_refs: Vec<(&UserIx, &Vec<Note>)> = self.notes.users.iter().collect();
        user_refs.sort_by_key(|(u, _)| **u);
        for (&u, notes) in users.into_iter().chain(user_refs) {
            if !self.user_live(u) {
                continue;
            }
            for note in notes {
                found.push((user_key(u, note), None, note));
            }
        }
        let mut group_refs: Vec<(&GroupIx, &Vec<Note>)> = self.notes.groups.iter().collect();
        group_refs.sort_by_key(|(g, _)| **g);
        for (g, def) in self.groups.defs.iter().enumerate() {
            let Some(g) = GroupIx::from_usize(g).filter(|_| def.live) else {
                continue;
            };
            for note in &def.notes {
                found.push((group_key(g, note), Some(g), note));
            }
        }
        for (&g, notes) in group_refs {
            for note in notes {
                found.push((group_key(g, note), Some(g), note));
            }
        }
        let mut slugs: Vec<(&GroupIx, &Note)> = self.notes.slugs.iter().collect();
        slugs.sort_by_key(|(g, _)| **g);
        for (&g, note) in slugs {
            found.push((group_key(g, note), Some(g), note));
        }
        for (g, note) in &self.notes.graph {
            found.push((group_key(*g, note), Some(*g), note));
        }
        found.sort_by_key(|(key, _, _)| *key);
        found
            .into_iter()
            .map(|(key, group, note)| {
                let list = if group.is_some() { "groups" } else { "users" };
                Diagnostic {
                    severity: note.severity,
                    code: note.code,
                    message: note.message.clone(),
                    path: note.at.path(&format!("$.{list}[{}]", key.1)),
                    group,
                }
            })
            .collect()
    }
}
