//! The compiled tenant: ids interned, references resolved, membership computed.
//!
//! Loading reads the [`Snapshot`], sorts every table by id (so index order is id order,
//! the order of most answers), resolves references (reporting what dangles), and computes
//! every group's members in dependency order (SPEC §3, §4.4).
//!
//! INVARIANT: after [`Directory::compile`], every index stored here is in range of the
//! table it points into, and every member list is sorted and free of duplicates.

use crate::eval::{matching_users, Attributes, Bits, Context, MemberSet};
use crate::hash::FxMap;
use crate::json::path_key;
use crate::rules::{Op, Operand};
use crate::snapshot::{Diagnostic, Findings, Group, RuleState, Severity, Snapshot};
use crate::text::lower;
use crate::time::parse_rfc3339;

/// Id → index.
pub type IdMap = FxMap<String, u32>;

fn index_of<'a>(ids: impl Iterator<Item = &'a String>) -> IdMap {
    let mut map = IdMap::default();
    for (i, id) in ids.enumerate() {
        map.insert(id.clone(), u32::try_from(i).unwrap_or(u32::MAX));
    }
    map
}

/// What loading computed for one group.
#[derive(Debug, Clone, Default)]
pub struct GroupState {
    /// Known groups of `includeGroups`, sorted, without duplicates.
    pub include: Vec<u32>,
    pub roles: Vec<u32>,
    pub products: Vec<u32>,
    /// Manual members with an entry in effect.
    pub manual: Vec<u32>,
    /// The earliest `addedAt` given for a user, as written.
    pub added_at: Vec<(u32, String)>,
    pub dynamic: MemberSet,
    pub members: MemberSet,
    /// The rule holds a `MEMBER OF` on a dependency cycle and matches nobody.
    pub rule_on_cycle: bool,
}

/// The compiled tenant.
pub struct Directory {
    pub snap: Snapshot,
    pub diagnostics: Vec<Diagnostic>,
    pub users: IdMap,
    pub groups: IdMap,
    pub products: IdMap,
    /// `None` when the snapshot has no `modules` list (every module is valid).
    pub modules: Option<IdMap>,
    pub attributes: Attributes,
    /// User indices in the order people see lists: by name, then id.
    pub by_name: Vec<u32>,
    pub group_state: Vec<GroupState>,
    /// Per user, the groups with a sparse member list that hold it (ascending).
    pub user_sparse_groups: Vec<Vec<u32>>,
    /// The groups whose members are a bitset (ascending): tested one by one.
    pub dense_groups: Vec<u32>,
    pub user_roles: Vec<Vec<u32>>,
    /// Per product, the active groups that carry it (ascending).
    pub product_groups: Vec<Vec<u32>>,
    /// Per product, the users some active group of theirs gives it to.
    pub product_users: Vec<Bits>,
    /// Each user's org role, packed: the access check reads it without touching the user.
    pub org_roles: Vec<crate::snapshot::OrgRole>,
}

fn sorted_unique(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v.dedup();
    v
}

impl Directory {
    /// Compiles a snapshot read by `crate::snapshot::read`.
    pub fn compile(mut snap: Snapshot, mut findings: Findings) -> Directory {
        snap.users.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        snap.groups.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        snap.roles.sort_by(|a, b| a.id.cmp(&b.id));
        snap.products.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(modules) = &mut snap.modules {
            modules.sort_by(|a, b| a.id.cmp(&b.id));
        }
        let users = index_of(snap.users.iter().map(|u| &u.id));
        let groups = index_of(snap.groups.iter().map(|g| &g.id));
        let roles = index_of(snap.roles.iter().map(|r| &r.id));
        let products = index_of(snap.products.iter().map(|p| &p.id));
        let modules = snap
            .modules
            .as_ref()
            .map(|m| index_of(m.iter().map(|m| &m.id)));

        let dangling =
            |findings: &mut Findings, at: (Vec<u32>, String), what: &str, id: &str, owner: &str| {
                findings.push(
                    Severity::Warning,
                    "dangling-reference",
                    at,
                    format!("{owner} refers to unknown {what} `{id}`"),
                );
            };

        let mut user_roles = Vec::with_capacity(snap.users.len());
        for user in &snap.users {
            let owner = format!("user `{}`", user.id);
            let mut mine = Vec::new();
            for (j, role) in user.roles.iter().enumerate() {
                match roles.get(role) {
                    Some(&r) => mine.push(r),
                    None => dangling(
                        &mut findings,
                        user.place.at("roles", Some(j)),
                        "role",
                        role,
                        &owner,
                    ),
                }
            }
            user_roles.push(sorted_unique(mine));
            if let Some(group) = &user.primary_group {
                if !groups.contains_key(group) {
                    dangling(
                        &mut findings,
                        user.place.at("primaryGroup", None),
                        "group",
                        group,
                        &owner,
                    );
                }
            }
            if let (Some(module), Some(known)) = (&user.homepage_module, &modules) {
                if !known.contains_key(module) {
                    dangling(
                        &mut findings,
                        user.place.at("homepageModule", None),
                        "module",
                        module,
                        &owner,
                    );
                }
            }
        }

        let mut state: Vec<GroupState> = Vec::with_capacity(snap.groups.len());
        for group in &snap.groups {
            state.push(resolve_group(
                group,
                &snap,
                &users,
                &groups,
                &roles,
                &products,
                modules.as_ref(),
                &mut findings,
            ));
        }

        let order: Vec<u32> = snap.users.iter().map(|u| u.place.index).collect();
        let attributes =
            Attributes::build(&snap.users, std::mem::take(&mut snap.attributes), &order);
        compute_membership(
            &snap,
            &users,
            &groups,
            &attributes,
            &mut state,
            &mut findings,
        );

        let n_users = snap.users.len();
        let mut user_sparse_groups: Vec<Vec<u32>> = vec![Vec::new(); n_users];
        let mut dense_groups = Vec::new();
        let mut product_groups: Vec<Vec<u32>> = vec![Vec::new(); snap.products.len()];
        let mut product_users: Vec<Bits> = vec![Bits::empty(n_users); snap.products.len()];
        for (g, (group, gs)) in snap.groups.iter().zip(&state).enumerate() {
            let g = u32::try_from(g).unwrap_or(u32::MAX);
            match &gs.members {
                MemberSet::Sparse(list) => {
                    for &u in list {
                        if let Some(groups_of) = user_sparse_groups.get_mut(u as usize) {
                            groups_of.push(g);
                        }
                    }
                }
                MemberSet::Dense { .. } => dense_groups.push(g),
            }
            if group.is_active {
                for &p in &gs.products {
                    if let Some(list) = product_groups.get_mut(p as usize) {
                        list.push(g);
                    }
                    if let Some(bits) = product_users.get_mut(p as usize) {
                        gs.members.or_into(bits);
                    }
                }
            }
        }

        let mut by_name: Vec<u32> = (0..u32::try_from(n_users).unwrap_or(u32::MAX)).collect();
        let keys: Vec<String> = snap
            .users
            .iter()
            .map(|u| lower(u.name.as_deref().unwrap_or("")))
            .collect();
        by_name.sort_unstable_by(|&a, &b| {
            let (ua, ub) = (snap.users.get(a as usize), snap.users.get(b as usize));
            keys.get(a as usize)
                .cmp(&keys.get(b as usize))
                .then_with(|| {
                    ua.and_then(|u| u.name.as_deref())
                        .cmp(&ub.and_then(|u| u.name.as_deref()))
                })
                .then_with(|| a.cmp(&b))
        });

        let org_roles = snap.users.iter().map(|u| u.org_role).collect();
        shed(&mut snap);
        let mut diagnostics = findings.list;
        diagnostics.sort_by(|a, b| a.order.cmp(&b.order));

        Directory {
            snap,
            diagnostics,
            users,
            groups,
            products,
            modules,
            attributes,
            by_name,
            group_state: state,
            user_sparse_groups,
            dense_groups,
            user_roles,
            product_groups,
            product_users,
            org_roles,
        }
    }

    pub fn user_index(&self, id: &str) -> Option<u32> {
        self.users.get(id).copied()
    }

    pub fn group_index(&self, id: &str) -> Option<u32> {
        self.groups.get(id).copied()
    }

    /// Whether user `u` is a member of group `g`.
    pub fn is_member(&self, g: u32, u: u32) -> bool {
        self.group_state
            .get(g as usize)
            .is_some_and(|s| s.members.contains(u))
    }

    /// The groups user `u` is a member of, ascending (so by id).
    pub fn groups_of(&self, u: u32) -> Vec<u32> {
        let sparse = self
            .user_sparse_groups
            .get(u as usize)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let dense = self
            .dense_groups
            .iter()
            .copied()
            .filter(|&g| self.is_member(g, u));
        let mut out: Vec<u32> = sparse.iter().copied().chain(dense).collect();
        out.sort_unstable();
        out
    }

    /// The rule-evaluation context over the computed membership.
    pub fn with_context<R>(&self, f: impl FnOnce(&Context<'_>) -> R) -> R {
        let user_index = |id: &str| self.user_index(id);
        let group_members = |id: &str| {
            self.group_index(id)
                .and_then(|g| self.group_state.get(g as usize))
                .map(|s| s.members.to_bits(self.snap.users.len()))
        };
        let is_member =
            |id: &str, u: u32| self.group_index(id).is_some_and(|g| self.is_member(g, u));
        let cx = Context {
            attributes: &self.attributes,
            users: &self.snap.users,
            user_index: &user_index,
            group_members: &group_members,
            is_member: &is_member,
        };
        f(&cx)
    }
}

#[allow(clippy::too_many_arguments)]
fn resolve_group(
    group: &Group,
    snap: &Snapshot,
    users: &IdMap,
    groups: &IdMap,
    roles: &IdMap,
    products: &IdMap,
    modules: Option<&IdMap>,
    findings: &mut Findings,
) -> GroupState {
    let owner = format!("group `{}`", group.id);
    let mut gs = GroupState::default();
    let lookup = |list: &[String],
                  map: &IdMap,
                  key: &str,
                  what: &str,
                  findings: &mut Findings|
     -> Vec<u32> {
        let mut out = Vec::new();
        for (j, id) in list.iter().enumerate() {
            match map.get(id) {
                Some(&i) => out.push(i),
                None => findings.push(
                    Severity::Warning,
                    "dangling-reference",
                    group.place.at(key, Some(j)),
                    format!("{owner} refers to unknown {what} `{id}`"),
                ),
            }
        }
        sorted_unique(out)
    };
    gs.include = lookup(
        &group.include_groups,
        groups,
        "includeGroups",
        "group",
        findings,
    );
    gs.roles = lookup(&group.roles, roles, "roles", "role", findings);
    gs.products = lookup(&group.products, products, "products", "product", findings);
    if let (Some(module), Some(known)) = (&group.homepage_module, modules) {
        if !known.contains_key(module) {
            findings.push(
                Severity::Warning,
                "dangling-reference",
                group.place.at("homepageModule", None),
                format!("group `{}` refers to unknown module `{module}`", group.id),
            );
        }
    }

    // Manual members and their time windows (SPEC §3.1).
    let mut earliest: FxMap<u32, (i128, String)> = FxMap::default();
    let mut manual = Vec::new();
    for (j, entry) in group.members.iter().enumerate() {
        // Paths are formatted only when a diagnostic needs one.
        let here = || group.place.at("members", Some(j));
        let Some(&u) = users.get(&entry.user) else {
            findings.push(
                Severity::Warning,
                "dangling-reference",
                here(),
                format!("group `{}` lists unknown user `{}`", group.id, entry.user),
            );
            continue;
        };
        let mut in_effect = true;
        let mut instants = [None, None, None];
        for (k, (key, text)) in [
            ("addedAt", &entry.added_at),
            ("startsAt", &entry.starts_at),
            ("expiresAt", &entry.expires_at),
        ]
        .into_iter()
        .enumerate()
        {
            let Some(text) = text else { continue };
            match parse_rfc3339(text) {
                Some(instant) => {
                    if let Some(slot) = instants.get_mut(k) {
                        *slot = Some(instant);
                    }
                }
                None => {
                    in_effect = false;
                    let (mut o, path) = here();
                    o.push(u32::try_from(k).unwrap_or(0));
                    findings.push(
                        Severity::Warning,
                        "invalid-value",
                        (o, path_key(&path, key)),
                        format!("`{key}` of a member entry of group `{}` is not an RFC 3339 timestamp: `{text}`", group.id),
                    );
                }
            }
        }
        let [added, starts, expires] = instants;
        if entry.starts_at.is_some() || entry.expires_at.is_some() {
            match snap.as_of {
                None => {
                    in_effect = false;
                    findings.push(
                        Severity::Error,
                        "missing-as-of",
                        here(),
                        format!(
                            "member `{}` of group `{}` has a time bound but the snapshot has no `asOf`; not in effect",
                            entry.user, group.id
                        ),
                    );
                }
                Some(now) => {
                    if starts.is_some_and(|s| s > now) || expires.is_some_and(|e| now >= e) {
                        in_effect = false;
                    }
                }
            }
        }
        if let (Some(instant), Some(text)) = (added, &entry.added_at) {
            let slot = earliest.entry(u).or_insert_with(|| (instant, text.clone()));
            if instant < slot.0 {
                *slot = (instant, text.clone());
            }
        }
        if in_effect {
            manual.push(u);
        }
    }
    gs.manual = sorted_unique(manual);
    let mut added_at: Vec<(u32, String)> = earliest
        .into_iter()
        .map(|(u, (_, text))| (u, text))
        .collect();
    added_at.sort_unstable();
    gs.added_at = added_at;

    // References inside the rule.
    if let RuleState::Valid(rule) = &group.rule {
        for cond in rule.conditions() {
            let Operand::Scalar(value) = &cond.value else {
                continue;
            };
            let id = value.text();
            let (known, what) = match cond.op {
                Op::MemberOf => (groups.contains_key(&id), "group"),
                Op::ReportsTo => (users.contains_key(&id), "user"),
                _ => continue,
            };
            if !known {
                findings.push(
                    Severity::Warning,
                    "dangling-reference",
                    group.place.at("rule", None),
                    format!(
                        "rule of group `{}` refers to unknown {what} `{id}`",
                        group.id
                    ),
                );
            }
        }
    }
    gs
}

/// Drops what compiling has turned into indexes: raw member entries, id lists already
/// resolved, and key positions (only diagnostics use them, and those are made).
/// A tenant's resident size is then mostly its indexes.
fn shed(snap: &mut Snapshot) {
    for user in &mut snap.users {
        user.roles = Vec::new();
        user.place.keys = Vec::new();
    }
    for group in &mut snap.groups {
        group.members = Vec::new();
        group.include_groups = Vec::new();
        group.roles = Vec::new();
        group.products = Vec::new();
        group.place.keys = Vec::new();
    }
}

/// Strongly connected components of a graph over `0..n` (Tarjan, iterative so that deep
/// chains cannot exhaust the stack). Components come out dependencies first: a component
/// is emitted after every component its edges reach.
pub fn components(edges: &[Vec<u32>]) -> Vec<Vec<u32>> {
    const UNSEEN: u32 = u32::MAX;
    let n = edges.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    let mut counter = 0u32;
    for root in 0..n {
        if index.get(root) != Some(&UNSEEN) {
            continue;
        }
        let mut calls: Vec<(u32, usize)> = Vec::new();
        let visit = |v: u32,
                     index: &mut Vec<u32>,
                     low: &mut Vec<u32>,
                     on_stack: &mut Vec<bool>,
                     stack: &mut Vec<u32>,
                     counter: &mut u32| {
            if let (Some(i), Some(l), Some(s)) = (
                index.get_mut(v as usize),
                low.get_mut(v as usize),
                on_stack.get_mut(v as usize),
            ) {
                *i = *counter;
                *l = *counter;
                *s = true;
            }
            *counter += 1;
            stack.push(v);
        };
        let root = u32::try_from(root).unwrap_or(UNSEEN);
        visit(
            root,
            &mut index,
            &mut low,
            &mut on_stack,
            &mut stack,
            &mut counter,
        );
        calls.push((root, 0));
        while let Some(&mut (v, ref mut next)) = calls.last_mut() {
            let vs = v as usize;
            if let Some(&w) = edges.get(vs).and_then(|e| e.get(*next)) {
                *next += 1;
                let ws = w as usize;
                if index.get(ws) == Some(&UNSEEN) {
                    visit(
                        w,
                        &mut index,
                        &mut low,
                        &mut on_stack,
                        &mut stack,
                        &mut counter,
                    );
                    calls.push((w, 0));
                } else if on_stack.get(ws) == Some(&true) {
                    let wi = index.get(ws).copied().unwrap_or(UNSEEN);
                    if let Some(l) = low.get_mut(vs) {
                        *l = (*l).min(wi);
                    }
                }
                continue;
            }
            calls.pop();
            let v_low = low.get(vs).copied().unwrap_or(0);
            if let Some(&(parent, _)) = calls.last() {
                if let Some(l) = low.get_mut(parent as usize) {
                    *l = (*l).min(v_low);
                }
            }
            if Some(&v_low) == index.get(vs) {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    if let Some(s) = on_stack.get_mut(w as usize) {
                        *s = false;
                    }
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                component.sort_unstable();
                out.push(component);
            }
        }
    }
    out
}

/// Computes every group's dynamic and total members (SPEC §3.2, §4.4), reporting
/// `include-cycle` and `member-of-cycle`.
fn compute_membership(
    snap: &Snapshot,
    users: &IdMap,
    groups: &IdMap,
    attributes: &Attributes,
    state: &mut [GroupState],
    findings: &mut Findings,
) {
    let n = snap.groups.len();
    let member_of_targets: Vec<Vec<u32>> = snap
        .groups
        .iter()
        .map(|g| match &g.rule {
            RuleState::Valid(rule) => sorted_unique(
                rule.conditions()
                    .into_iter()
                    .filter(|c| c.op == Op::MemberOf)
                    .filter_map(|c| match &c.value {
                        Operand::Scalar(s) => groups.get(&s.text()).copied(),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => Vec::new(),
        })
        .collect();

    // Include cycles: a warning per cycle, at its first group in the document.
    let include_edges: Vec<Vec<u32>> = state.iter().map(|s| s.include.clone()).collect();
    for component in components(&include_edges) {
        let looped = component.len() > 1
            || component.first().is_some_and(|&g| {
                include_edges
                    .get(g as usize)
                    .is_some_and(|e| e.contains(&g))
            });
        if !looped {
            continue;
        }
        let Some(first) = component
            .iter()
            .filter_map(|&g| snap.groups.get(g as usize))
            .min_by_key(|g| g.place.index)
        else {
            continue;
        };
        let names: Vec<String> = component
            .iter()
            .filter_map(|&g| snap.groups.get(g as usize))
            .map(|g| format!("`{}`", g.id))
            .collect();
        findings.push(
            Severity::Warning,
            "include-cycle",
            first.place.at("includeGroups", None),
            format!(
                "groups {} include each other; each passes its members around the cycle",
                names.join(", ")
            ),
        );
    }

    // Dependency order over includes and MEMBER OF.
    let edges: Vec<Vec<u32>> = (0..n)
        .map(|g| {
            let mut e = include_edges.get(g).cloned().unwrap_or_default();
            e.extend(member_of_targets.get(g).into_iter().flatten());
            sorted_unique(e)
        })
        .collect();
    let comps = components(&edges);
    let mut comp_of = vec![0usize; n];
    for (c, component) in comps.iter().enumerate() {
        for &g in component {
            if let Some(slot) = comp_of.get_mut(g as usize) {
                *slot = c;
            }
        }
    }
    for (g, group) in snap.groups.iter().enumerate() {
        let own = comp_of.get(g).copied();
        let on_cycle = member_of_targets.get(g).is_some_and(|targets| {
            targets
                .iter()
                .any(|&t| comp_of.get(t as usize).copied() == own)
        });
        if on_cycle {
            if let Some(s) = state.get_mut(g) {
                s.rule_on_cycle = true;
            }
            findings.push(
                Severity::Error,
                "member-of-cycle",
                group.place.at("rule", None),
                format!(
                    "rule of group `{}` uses `MEMBER OF` on a dependency cycle; it matches nobody",
                    group.id
                ),
            );
        }
    }

    let n_users = snap.users.len();
    let user_index = |id: &str| users.get(id).copied();
    let active = |g: u32| snap.groups.get(g as usize).is_some_and(|x| x.is_active);
    for (c, component) in comps.iter().enumerate() {
        // One bitset per group of the component while its members are gathered.
        let mut acc: Vec<Bits> = Vec::with_capacity(component.len());
        for &g in component {
            let gi = g as usize;
            let mut bits = Bits::empty(n_users);
            let dynamic = match (snap.groups.get(gi).map(|x| &x.rule), state.get(gi)) {
                (Some(RuleState::Valid(rule)), Some(s)) if !s.rule_on_cycle => {
                    let members_of = |id: &str| {
                        groups
                            .get(id)
                            .and_then(|&t| state.get(t as usize))
                            .map(|s| s.members.to_bits(n_users))
                    };
                    let is_member = |id: &str, u: u32| {
                        groups
                            .get(id)
                            .and_then(|&t| state.get(t as usize))
                            .is_some_and(|s| s.members.contains(u))
                    };
                    let cx = Context {
                        attributes,
                        users: &snap.users,
                        user_index: &user_index,
                        group_members: &members_of,
                        is_member: &is_member,
                    };
                    let dynamic = matching_users(rule, &cx);
                    bits.or_with(&dynamic);
                    MemberSet::from_bits(dynamic)
                }
                _ => MemberSet::default(),
            };
            let Some(s) = state.get(gi) else {
                acc.push(bits);
                continue;
            };
            for &u in &s.manual {
                bits.insert(u);
            }
            for &inc in &s.include {
                if active(inc) && comp_of.get(inc as usize) != Some(&c) {
                    if let Some(src) = state.get(inc as usize) {
                        src.members.or_into(&mut bits);
                    }
                }
            }
            acc.push(bits);
            if let Some(s) = state.get_mut(gi) {
                s.dynamic = dynamic;
            }
        }
        // Within a component, pass members around until nothing changes (least fixpoint).
        let looped = component.len() > 1
            || component.first().is_some_and(|&g| {
                include_edges
                    .get(g as usize)
                    .is_some_and(|e| e.contains(&g))
            });
        let mut changed = looped;
        while changed {
            changed = false;
            for (k, &g) in component.iter().enumerate() {
                let sources: Vec<usize> = state
                    .get(g as usize)
                    .map(|s| {
                        s.include
                            .iter()
                            .filter(|&&i| active(i) && i != g)
                            .filter_map(|i| component.iter().position(|x| x == i))
                            .collect()
                    })
                    .unwrap_or_default();
                for src in sources {
                    let Some(incoming) = acc.get(src).cloned() else {
                        continue;
                    };
                    if let Some(mine) = acc.get_mut(k) {
                        let before = mine.count();
                        mine.or_with(&incoming);
                        if mine.count() != before {
                            changed = true;
                        }
                    }
                }
            }
        }
        for (&g, bits) in component.iter().zip(acc) {
            if let Some(s) = state.get_mut(g as usize) {
                s.members = MemberSet::from_bits(bits);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_come_dependencies_first() {
        // 0 → 1 → 2 → 1, 3 → 0, 4 alone with a self-loop.
        let edges = vec![vec![1], vec![2], vec![1], vec![0], vec![4]];
        let comps = components(&edges);
        assert_eq!(comps, vec![vec![1, 2], vec![0], vec![3], vec![4]]);
    }

    #[test]
    fn deep_chains_do_not_overflow() {
        let n = 200_000u32;
        let edges: Vec<Vec<u32>> = (0..n)
            .map(|i| if i + 1 < n { vec![i + 1] } else { vec![0] })
            .collect();
        let comps = components(&edges);
        assert_eq!(comps.len(), 1);
        assert_eq!(comps.first().map(Vec::len), Some(n as usize));
    }
}
