//! The second step of a change list: settling what is derived from what the changes edited —
//! members in dependency order (a user alone where few moved, a component whole where many
//! did), product reach, the member index, the order of names and diagnostics — touching only
//! what the edits noted in [`Work`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::hash::Map;
use crate::ids::{GroupIx, Ix, ProductIx, UserIx};
use crate::rules::Op;
use crate::sets::{Bits, UserSet};
use crate::text::lower;

use super::super::Tenant;
use super::{Delta, Work};

/// A component with more users to re-check than one in this many user slots is recomputed
/// whole: re-checking one user asks each of its groups' inputs (about a microsecond on
/// `large`), a whole pass ORs the inputs' member sets a word at a time.
const WHOLE_PER_USER: usize = 256;

impl Tenant {
    /// Recomputes what the changes touched.
    pub(super) fn settle(&mut self, before: &Tenant, mut work: Work) -> Delta {
        let mut delta = Delta::default();
        // Rules over names read users in name order: place new and renamed users first.
        if !work.names.is_empty() {
            self.reposition_by_name(&work.names);
        }
        if work.graph || !work.group_liveness.is_empty() {
            self.rebuild_graph();
        }
        // Rules that name a group that came or went, and rules that follow chains through users
        // that came or went, change as a whole.
        let rule_groups: Vec<GroupIx> = self
            .groups_by_id()
            .filter(|&g| self.rule(g).is_some())
            .collect();
        // A rule that came onto a `MEMBER OF` cycle now matches nobody, and one that left it
        // matches again (§4.4): either way its members change as a whole.
        if work.graph || !work.group_liveness.is_empty() {
            for &g in &rule_groups {
                let was = g.index() < before.groups.defs.len() && before.rule_on_cycle(g);
                if was != self.rule_on_cycle(g) {
                    work.full.insert(g);
                }
            }
        }
        let reads_rules = !work.group_liveness.is_empty()
            || !work.liveness.is_empty()
            || !work.attr_users.is_empty();
        // Who changed what, by key, once for the whole list: each rule then gathers the users
        // of the keys it reads instead of asking every changed user.
        let mut by_key: Map<&str, Vec<UserIx>> = Map::default();
        let mut every_key: Vec<UserIx> = Vec::new();
        for (u, keys) in &work.attr_users {
            match keys {
                None => every_key.push(*u),
                Some(keys) => {
                    for k in keys {
                        by_key.entry(k.as_str()).or_default().push(*u);
                    }
                }
            }
        }
        for users in by_key.values_mut() {
            users.sort_unstable();
            users.dedup();
        }
        every_key.sort_unstable();
        every_key.dedup();
        let slots = self.user_slots();
        let mut affected_by_attrs: Vec<(GroupIx, Vec<UserIx>)> = Vec::new();
        // The keys each field reads, once per distinct field: rules share a handful of fields.
        let mut fields_read: Map<&str, Vec<String>> = Map::default();
        for &g in rule_groups.iter().filter(|_| reads_rules) {
            let Some(rule) = self.rule(g) else { continue };
            let conditions = rule.conditions();
            let names_changed_group = conditions.iter().any(|c| {
                c.op == Op::MemberOf
                    && work
                        .group_liveness
                        .iter()
                        .any(|id| matches!(&c.value, crate::rules::Operand::Scalar(s) if s.text() == *id))
            });
            let chains = conditions.iter().any(|c| c.op == Op::ReportsTo);
            let chain_through_users = chains && !work.liveness.is_empty();
            let chain_keys_changed = chains
                && work.attr_users.iter().any(|(_, keys)| match keys {
                    None => true,
                    Some(keys) => conditions
                        .iter()
                        .filter(|c| c.op == Op::ReportsTo)
                        .any(|c| reads(c.field.as_deref(), keys)),
                });
            if names_changed_group || chain_through_users || chain_keys_changed {
                work.full.insert(g);
            }
            if work.full.contains(&g) {
                continue;
            }
            // Users whose attributes changed are re-checked by the rules that read them; when
            // they are many, the rule is evaluated once over everyone instead (as a change
            // that reaches many users recomputes its dependents whole).
            let fields = || conditions.iter().filter_map(|c| c.field.as_deref());
            for field in fields() {
                if !fields_read.contains_key(field) {
                    fields_read.insert(field, keys_read(field));
                }
            }
            let mut keys: Vec<&str> = fields()
                .filter_map(|field| fields_read.get(field))
                .flatten()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            keys.dedup();
            let lists: Vec<&Vec<UserIx>> = std::iter::once(&every_key)
                .chain(keys.iter().filter_map(|k| by_key.get(k)))
                .filter(|l| !l.is_empty())
                .collect();
            // Each list is sorted and free of duplicates, so the longest bounds the union from
            // below: past the threshold, the rule is recomputed whole without merging.
            let longest = lists.iter().map(|l| l.len()).max().unwrap_or(0);
            if longest == 0 {
                continue;
            }
            if longest.saturating_mul(16) > slots {
                work.full.insert(g);
                continue;
            }
            let mut affected: Vec<UserIx> = lists.into_iter().flatten().copied().collect();
            affected.sort_unstable();
            affected.dedup();
            if affected.len().saturating_mul(16) > slots {
                work.full.insert(g);
            } else {
                affected_by_attrs.push((g, affected));
            }
        }
        for (g, users) in affected_by_attrs {
            work.users.entry(g).or_default().extend(users);
        }
        // Entries naming users that came or went.
        if !work.liveness.is_empty() {
            for (g, def) in self.groups.defs.iter().enumerate() {
                if def.live && def.entries.iter().any(|e| work.liveness.contains(&e.user)) {
                    work.manual.extend(GroupIx::from_usize(g));
                }
            }
        }
        for &g in &work.manual.clone() {
            let old = self.def(g).manual.clone();
            self.refresh_manual(g);
            let new = &self.def(g).manual;
            if old != *new {
                let changed = diff(&old, new, self.user_slots());
                work.users.entry(g).or_default().extend(changed);
            }
        }
        self.sweep(before, &mut work, &mut delta);

        // Products whose carrying groups changed, then each changed membership's products.
        let mut products: BTreeSet<ProductIx> = work.products.clone();
        for &g in &work.grant_groups {
            products.extend(before_products(before, g));
            products.extend(self.group_products(g));
        }
        if !products.is_empty() {
            self.refresh_product_groups(&products);
            if self.grants.users.is_some() {
                for &p in &products {
                    let reach = Arc::new(self.product_reach(p));
                    if let Some(users) = &mut self.grants.users {
                        if let Some(slot) = users.get_mut(p.index()) {
                            *slot = reach;
                        }
                    }
                }
            }
        }
        if self.grants.users.is_some() {
            // Each changed membership's products, as (product, user) pairs, by product.
            let mut whole = vec![false; self.product_slots()];
            for p in &products {
                if let Some(w) = whole.get_mut(p.index()) {
                    *w = true;
                }
            }
            let mut by_product: Vec<Vec<UserIx>> = vec![Vec::new(); self.product_slots()];
            for &(g, u, _) in &delta.members {
                for &p in &self.def(g).products {
                    if !whole.get(p.index()).copied().unwrap_or(true) && self.product_live(p) {
                        if let Some(users) = by_product.get_mut(p.index()) {
                            users.push(u);
                        }
                    }
                }
            }
            let slots = self.user_slots();
            for (p, mut run) in by_product.into_iter().enumerate() {
                let Some(p) = ProductIx::from_usize(p).filter(|_| !run.is_empty()) else {
                    continue;
                };
                // Asking each user's groups costs users × groups lookups; past a pass over
                // the groups' member sets, recompute the product's users whole (decided
                // before sorting: repeats only overstate a count already past the line).
                let per_user = self.product_groups(p).len().max(1);
                let whole = |n: usize| n.saturating_mul(per_user).saturating_mul(8) > slots;
                if !whole(run.len()) {
                    run.sort_unstable();
                    run.dedup();
                }
                let users = run.iter().copied();
                if whole(run.len()) {
                    let reach = Arc::new(self.product_reach(p));
                    if let Some(slot) = self
                        .grants
                        .users
                        .as_mut()
                        .and_then(|users| users.get_mut(p.index()))
                    {
                        *slot = reach;
                    }
                } else {
                    for u in users {
                        self.refresh_reach(u, p);
                    }
                }
            }
        }
        if work.notes_all {
            self.refresh_all_notes();
        } else {
            for &u in &work.notes_users {
                self.refresh_user_notes(u);
            }
            for &g in &work.notes_groups {
                self.refresh_group_notes(g);
            }
            if work.group_wide || work.graph {
                self.refresh_group_wide_notes();
            }
        }
        delta.users = work.touched_users.into_iter().collect();
        delta.roles = work.roles.into_iter().collect();
        delta.products = products.into_iter().collect();
        delta.grant_groups = work.grant_groups.into_iter().collect();
        delta
    }

    /// Recomputes members, one dependency component at a time, dependencies first: whole for
    /// components marked so, user by user for the rest; differences flow to dependents.
    fn sweep(&mut self, before: &Tenant, work: &mut Work, delta: &mut Delta) {
        let slots = self.user_slots();
        let graph = Arc::clone(&self.graph);
        // Per component: whether to recompute it whole, and the users to re-check otherwise
        // (gathered with repeats, sorted once when the component's turn comes).
        let mut pending: BTreeMap<u32, (bool, Vec<UserIx>)> = BTreeMap::new();
        for &g in &work.full {
            pending.entry(graph.comp(g)).or_default().0 = true;
        }
        for (g, users) in &work.users {
            pending
                .entry(graph.comp(*g))
                .or_default()
                .1
                .extend(users.iter().copied());
        }
        while let Some((c, (full, mut users))) = pending.pop_first() {
            let Some(comp) = graph.comps.get(c as usize) else {
                continue;
            };
            users.sort_unstable();
            users.dedup();
            // Re-checking a user asks each group's inputs in turn; past a few hundred users a
            // pass over the component's member sets costs less.
            if full || users.len().saturating_mul(WHOLE_PER_USER) > slots {
                let (sets, counts) = self.component_members(comp, c);
                for ((&g, set), count) in comp.iter().zip(sets).zip(counts) {
                    let old = Arc::clone(&self.def(g).members);
                    let changed = diff(&old, &set, slots);
                    if let Some(def) = self.def_mut(g) {
                        def.members = Arc::clone(&set);
                        def.dynamic_count = count;
                    }
                    self.reindex(g, &old, &set);
                    if changed.is_empty() {
                        continue;
                    }
                    for &u in &changed {
                        delta.members.push((g, u, set.contains(u)));
                    }
                    let wholesale = changed.len().saturating_mul(16) > slots;
                    for &d in graph.dependents.get(g.index()) {
                        let dc = graph.comp(d);
                        if dc == c {
                            continue;
                        }
                        let entry = pending.entry(dc).or_default();
                        if wholesale {
                            entry.0 = true;
                        } else if !entry.0 {
                            entry.1.extend(changed.iter().copied());
                        }
                    }
                }
            } else {
                let mut touched: BTreeSet<GroupIx> = BTreeSet::new();
                for &u in &users {
                    let dynamic: Vec<bool> = comp.iter().map(|&g| self.is_dynamic(g, u)).collect();
                    let states = self.component_members_of(comp, u, &dynamic);
                    for ((&g, &now), &is_dynamic) in comp.iter().zip(&states).zip(&dynamic) {
                        if self.rule(g).is_some() && !self.rule_on_cycle(g) {
                            let was_dynamic = before.is_dynamic(g, u);
                            if was_dynamic != is_dynamic {
                                if let Some(def) = self.def_mut(g) {
                                    if is_dynamic {
                                        def.dynamic_count += 1;
                                    } else {
                                        def.dynamic_count = def.dynamic_count.saturating_sub(1);
                                    }
                                }
                            }
                        }
                        let was = self.is_member(g, u);
                        if was == now {
                            continue;
                        }
                        if let Some(def) = self.def_mut(g) {
                            let set = Arc::make_mut(&mut def.members);
                            if now {
                                set.insert(u);
                            } else {
                                set.remove(u);
                            }
                        }
                        if !self.def(g).members.is_dense() {
                            self.index_user(u, g, now);
                        }
                        touched.insert(g);
                        delta.members.push((g, u, now));
                        for &d in graph.dependents.get(g.index()) {
                            let dc = graph.comp(d);
                            if dc != c {
                                let entry = pending.entry(dc).or_default();
                                if !entry.0 {
                                    entry.1.push(u);
                                }
                            }
                        }
                    }
                }
                for g in touched {
                    // Only a set that drifted far from its form is copied to change form.
                    if !self.def(g).members.drifted(slots) {
                        continue;
                    }
                    let old = Arc::clone(&self.def(g).members);
                    let mut set = (*old).clone();
                    set.reshape(slots);
                    let set = Arc::new(set);
                    self.reindex(g, &old, &set);
                    if let Some(def) = self.def_mut(g) {
                        def.members = set;
                    }
                }
            }
        }
    }

    /// Adds or removes `g` from `u`'s list of sparse groups.
    fn index_user(&mut self, u: UserIx, g: GroupIx, member: bool) {
        let sparse = Arc::make_mut(&mut self.index.sparse);
        let mut row = sparse.get(u.index()).to_vec();
        match (row.binary_search(&g), member) {
            (Err(at), true) => row.insert(at, g),
            (Ok(at), false) => {
                row.remove(at);
            }
            _ => return,
        }
        sparse.set(u.index(), &row);
    }

    /// Brings the member index from `old` to `new` for group `g`.
    fn reindex(&mut self, g: GroupIx, old: &UserSet, new: &UserSet) {
        match (old.is_dense(), new.is_dense()) {
            (true, true) => {}
            (false, false) => {
                for u in diff(old, new, self.user_slots()) {
                    self.index_user(u, g, new.contains(u));
                }
            }
            (false, true) => {
                for u in old.iter() {
                    self.index_user(u, g, false);
                }
                let dense = Arc::make_mut(&mut self.index.dense);
                if let Err(at) = dense.binary_search(&g) {
                    dense.insert(at, g);
                }
            }
            (true, false) => {
                let dense = Arc::make_mut(&mut self.index.dense);
                if let Ok(at) = dense.binary_search(&g) {
                    dense.remove(at);
                }
                for u in new.iter() {
                    self.index_user(u, g, true);
                }
            }
        }
    }

    /// Recomputes which active groups carry each of `products`.
    fn refresh_product_groups(&mut self, products: &BTreeSet<ProductIx>) {
        let mut lists: BTreeMap<ProductIx, Vec<GroupIx>> =
            products.iter().map(|&p| (p, Vec::new())).collect();
        for g in self.groups_by_id().collect::<Vec<_>>() {
            if !self.grants(g) {
                continue;
            }
            for p in self.group_products(g) {
                if let Some(list) = lists.get_mut(&p) {
                    list.push(g);
                }
            }
        }
        let groups = Arc::make_mut(&mut self.grants.groups);
        for (p, list) in lists {
            if groups.len() <= p.index() {
                groups.resize(p.index() + 1, Vec::new());
            }
            if let Some(slot) = groups.get_mut(p.index()) {
                *slot = list;
            }
        }
    }

    /// Moves `moved` to their places in the order people see users (or out of it).
    fn reposition_by_name(&mut self, moved: &BTreeSet<UserIx>) {
        // All of them leave first: while one renamed user still sits at its old place, the
        // order is not sorted by the current names, and a search in it would misplace others.
        let mut by_name = std::mem::take(Arc::make_mut(&mut self.by_name));
        by_name.retain(|u| !moved.contains(u));
        let key = |x: UserIx| (self.user_name_key(x), self.users.ids.rank(x));
        for &u in moved {
            if self.users.live.contains(u.get()) {
                let mine = key(u);
                let at = by_name.partition_point(|&x| key(x) < mine);
                by_name.insert(at, u);
            }
        }
        self.by_name = Arc::new(by_name);
        self.rebuild_name_rank();
    }
}

/// The products `g` carried in `before`, when `before` had it.
fn before_products(before: &Tenant, g: GroupIx) -> Vec<ProductIx> {
    if g.index() < before.groups.defs.len() && before.group_live(g) {
        before.group_products(g)
    } else {
        Vec::new()
    }
}

/// Whether a condition on `field` reads any of `keys` (lowercase), as SPEC §4.1 resolves
/// fields: any spelling of the key, and `job` falling back to `jobTitle`.
fn reads(field: Option<&str>, keys: &[String]) -> bool {
    let Some(field) = field else { return false };
    let read = keys_read(field);
    keys.iter().any(|k| read.contains(k))
}

/// The lowercase attribute keys a condition on `field` reads (SPEC §4.1): its own, and
/// `jobtitle` for `job`.
fn keys_read(field: &str) -> Vec<String> {
    let lowered = lower(field);
    let alias = (lowered == "job").then(|| "jobtitle".to_owned());
    std::iter::once(lowered).chain(alias).collect()
}

/// The users in exactly one of two sets, by slot.
fn diff(a: &UserSet, b: &UserSet, slots: usize) -> Vec<UserIx> {
    match (a, b) {
        (UserSet::Sparse(x), UserSet::Sparse(y)) => {
            let (mut i, mut j) = (0, 0);
            let mut out = Vec::new();
            loop {
                match (x.get(i), y.get(j)) {
                    (Some(&p), Some(&q)) if p == q => {
                        i += 1;
                        j += 1;
                    }
                    (Some(&p), Some(&q)) if p < q => {
                        out.push(UserIx::new(p));
                        i += 1;
                    }
                    (Some(_), Some(&q)) => {
                        out.push(UserIx::new(q));
                        j += 1;
                    }
                    (Some(&p), None) => {
                        out.push(UserIx::new(p));
                        i += 1;
                    }
                    (None, Some(&q)) => {
                        out.push(UserIx::new(q));
                        j += 1;
                    }
                    (None, None) => return out,
                }
            }
        }
        _ => {
            let mut x: Bits = a.to_bits(slots);
            let y = b.to_bits(slots);
            let mut both = x.clone();
            both.and_with(&y);
            x.or_with(&y);
            x.and_not(&both);
            x.iter().map(UserIx::new).collect()
        }
    }
}
