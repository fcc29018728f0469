//! Membership (SPEC §3): manual entries and their time windows, dynamic matches, included
//! groups, and members as the least fixpoint of
//!
//! ```text
//! members(G) = manual(G) ∪ dynamic(G) ∪ ⋃ { members(S) : S in G.includeGroups, S active }
//! ```
//!
//! Groups are computed one dependency component at a time (see [`super::graph`]). Inside a
//! component, members flow along the include edges of active groups; the groups of one
//! strongly connected part of that flow all end with the same members, so the fixpoint is one
//! pass over the flow's own components, and those groups share one set.

use std::sync::Arc;

use crate::ids::{GroupIx, Ix, UserIx};
use crate::sets::{Bits, UserSet};
use crate::snapshot::Stamp;
use crate::time::Instant;

use super::graph::components;
use super::{Group, Tenant};

/// Whether a member entry is in effect at `as_of` (SPEC §3.1): every timestamp it has
/// parses, and when it has a window, `startsAt <= asOf < expiresAt` with a missing bound
/// open. An entry with a window and no `asOf` is not in effect (`missing-as-of`).
pub fn in_effect(stamps: Option<&[Option<Stamp>; 3]>, as_of: Option<Instant>) -> bool {
    let Some([added, starts, expires]) = stamps else {
        return true;
    };
    if [added, starts, expires]
        .iter()
        .any(|s| s.as_ref().is_some_and(|s| s.instant.is_none()))
    {
        return false;
    }
    if starts.is_none() && expires.is_none() {
        return true;
    }
    let Some(now) = as_of else {
        return false;
    };
    let started = starts
        .as_ref()
        .and_then(|s| s.instant)
        .is_none_or(|s| s <= now);
    let not_expired = expires
        .as_ref()
        .and_then(|e| e.instant)
        .is_none_or(|e| now < e);
    started && not_expired
}

/// Whether an entry has a time window.
pub fn has_window(stamps: Option<&[Option<Stamp>; 3]>) -> bool {
    stamps.is_some_and(|[_, starts, expires]| starts.is_some() || expires.is_some())
}

impl Tenant {
    /// Recomputes `g`'s manual members and their `addedAt` from its entries.
    pub(crate) fn refresh_manual(&mut self, g: GroupIx) {
        let slots = self.user_slots();
        let as_of = self.meta.as_of;
        let live = Arc::clone(&self.users.live);
        let Some(def) = self.groups.defs.get_mut(g.index()) else {
            return;
        };
        let (manual, added) = manual_of(def, as_of, &live, slots);
        if def.manual != manual || def.added != added {
            let def = Arc::make_mut(def);
            def.manual = manual;
            def.added = added;
        }
    }

    /// Computes every group's members, dependencies first.
    pub(crate) fn compute_all_members(&mut self) {
        let graph = Arc::clone(&self.graph);
        for (c, comp) in graph.comps.iter().enumerate() {
            let (sets, counts) = self.component_members(comp, u32::try_from(c).unwrap_or(u32::MAX));
            for ((&g, set), count) in comp.iter().zip(sets).zip(counts) {
                if let Some(def) = self.groups.defs.get_mut(g.index()) {
                    if *def.members != *set || def.dynamic_count != count {
                        let def = Arc::make_mut(def);
                        def.members = set;
                        def.dynamic_count = count;
                    }
                }
            }
        }
    }

    /// The members of each group of one dependency component, given the components before it,
    /// and how many users each group's rule matches.
    pub(crate) fn component_members(
        &self,
        comp: &[GroupIx],
        comp_id: u32,
    ) -> (Vec<Arc<UserSet>>, Vec<usize>) {
        let slots = self.user_slots();
        // Most groups are a list of people: no rule, no includes, their members their entries.
        if let [g] = comp {
            let def = self.def(*g);
            if def.live && def.rule.is_none() && def.include.is_empty() {
                return (vec![Arc::new(def.manual.clone())], vec![0]);
            }
        }
        let mut counts = vec![0usize; comp.len()];
        let seeds: Vec<Bits> = comp
            .iter()
            .zip(counts.iter_mut())
            .map(|(&g, count)| {
                let def = self.def(g);
                if !def.live {
                    return Bits::default();
                }
                let mut bits = def.manual.to_bits(slots);
                let dynamic = self.dynamic_members(g);
                *count = dynamic.count();
                bits.or_with(&dynamic);
                for s in self.includes(g) {
                    if self.grants(s) && self.graph.comp(s) != comp_id {
                        self.members(s).or_into(&mut bits);
                    }
                }
                bits
            })
            .collect();
        // Members flow from an active included group to its includer, inside the component.
        let local = |s: GroupIx| comp.binary_search(&s).ok();
        let flow: Vec<Vec<u32>> = comp
            .iter()
            .map(|&g| {
                if !self.group_live(g) {
                    return Vec::new();
                }
                let mut edges: Vec<u32> = self
                    .includes(g)
                    .into_iter()
                    .filter(|&s| s != g && self.grants(s))
                    .filter_map(local)
                    .filter_map(|i| u32::try_from(i).ok())
                    .collect();
                edges.sort_unstable();
                edges.dedup();
                edges
            })
            .collect();
        if flow.iter().all(Vec::is_empty) {
            let sets = seeds
                .into_iter()
                .map(|bits| Arc::new(UserSet::from_bits(bits, slots)))
                .collect();
            return (sets, counts);
        }
        let mut out: Vec<Option<Arc<UserSet>>> = vec![None; comp.len()];
        let mut part_bits: Vec<Option<Bits>> = vec![None; comp.len()];
        for part in components(&flow) {
            let mut bits = Bits::empty(slots);
            for &k in &part {
                if let Some(seed) = seeds.get(k as usize) {
                    bits.or_with(seed);
                }
                for &t in flow.get(k as usize).into_iter().flatten() {
                    if let Some(Some(upstream)) = part_bits.get(t as usize) {
                        bits.or_with(upstream);
                    }
                }
            }
            let set = Arc::new(UserSet::from_bits(bits.clone(), slots));
            for &k in &part {
                if let Some(slot) = out.get_mut(k as usize) {
                    *slot = Some(Arc::clone(&set));
                }
                if let Some(slot) = part_bits.get_mut(k as usize) {
                    *slot = Some(bits.clone());
                }
            }
        }
        let sets = out.into_iter().map(|s| s.unwrap_or_default()).collect();
        (sets, counts)
    }

    /// Whether `u` is a member of `g` by `g`'s own inputs: an entry in effect, the rule
    /// (`dynamic`: whether it matches `u`), or an active included group outside `g`'s
    /// component that holds `u`.
    pub(crate) fn seeded(&self, g: GroupIx, u: UserIx, dynamic: bool) -> bool {
        let def = self.def(g);
        if !def.live || !self.user_live(u) {
            return false;
        }
        if def.manual.contains(u) || dynamic {
            return true;
        }
        let comp = self.graph.comp(g);
        self.includes(g)
            .into_iter()
            .any(|s| self.grants(s) && self.graph.comp(s) != comp && self.is_member(s, u))
    }

    /// The groups of one component that hold `u`, computed for `u` alone: the groups seeded
    /// with `u`, and every group members flow to from them. `dynamic` says, per group of the
    /// component, whether its rule matches `u` ([`Tenant::is_dynamic`]), which the caller needs
    /// too.
    pub(crate) fn component_members_of(
        &self,
        comp: &[GroupIx],
        u: UserIx,
        dynamic: &[bool],
    ) -> Vec<bool> {
        let mut member: Vec<bool> = comp
            .iter()
            .zip(dynamic)
            .map(|(&g, &d)| self.seeded(g, u, d))
            .collect();
        if comp.len() == 1 {
            return member;
        }
        // Reverse flow edges: from an active group to the groups of the component including it.
        let mut queue: Vec<usize> = (0..comp.len())
            .filter(|&k| member.get(k).copied().unwrap_or(false))
            .collect();
        while let Some(k) = queue.pop() {
            let Some(&s) = comp.get(k) else { continue };
            if !self.grants(s) {
                continue;
            }
            for &g in self.graph.dependents.get(s.index()) {
                if let Ok(j) = comp.binary_search(&g) {
                    if !member.get(j).copied().unwrap_or(true)
                        && self.group_live(g)
                        && self.def(g).include.contains(&s)
                    {
                        if let Some(m) = member.get_mut(j) {
                            *m = true;
                        }
                        queue.push(j);
                    }
                }
            }
        }
        member
    }
}

/// The manual members of a group and, per member, the entry with the earliest `addedAt`.
pub(crate) fn manual_of(
    def: &Group,
    as_of: Option<Instant>,
    live: &Bits,
    slots: usize,
) -> (UserSet, Vec<(u32, u32)>) {
    let mut manual: Vec<u32> = Vec::new();
    let mut added: Vec<(u32, Instant, u32)> = Vec::new();
    for entry in &def.entries {
        if !live.contains(entry.user.get()) {
            continue;
        }
        let stamps = def.stamps.get(entry.stamps as usize);
        if in_effect(stamps, as_of) {
            manual.push(entry.user.get());
        }
        if let Some(Some(instant)) = stamps.map(|s| s[0].as_ref().and_then(|a| a.instant)) {
            added.push((entry.user.get(), instant, entry.stamps));
        }
    }
    manual.sort_unstable();
    manual.dedup();
    // The earliest per user; the first written among equals.
    added.sort_by_key(|a| (a.0, a.1));
    added.dedup_by_key(|a| a.0);
    (
        UserSet::from_sorted(manual, slots),
        added.into_iter().map(|(u, _, s)| (u, s)).collect(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::time::parse_rfc3339;

    fn stamp(text: &str) -> Option<Stamp> {
        Some(Stamp::new(text.to_owned()))
    }

    #[test]
    fn windows_are_half_open_and_need_as_of() {
        let now = parse_rfc3339("2025-06-01T00:00:00Z");
        let window = [
            None,
            stamp("2025-06-01T00:00:00Z"),
            stamp("2025-07-01T00:00:00Z"),
        ];
        assert!(in_effect(Some(&window), now));
        assert!(!in_effect(Some(&window), None));
        let ended = [None, None, stamp("2025-06-01T02:00:00+02:00")];
        assert!(!in_effect(Some(&ended), now));
        let bad = [stamp("yesterday"), None, None];
        assert!(!in_effect(Some(&bad), now));
        assert!(in_effect(None, None));
        assert!(has_window(Some(&ended)) && !has_window(Some(&bad)));
        let _ = now.unwrap();
    }
}
