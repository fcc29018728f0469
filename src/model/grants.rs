//! What groups grant, indexed for the questions asked most (SPEC §5): per product, the active
//! groups that carry it and the users they reach; per user, the groups that hold them.
//!
//! Per-product user sets make the access check one bit probe. They are materialized only while
//! they fit a budget: a tenant where every user reaches every one of many products would
//! otherwise need users × products bits for a few megabytes of JSON. Past the budget the check
//! asks the product's groups instead, which costs what the product's grants cost.

use std::sync::Arc;

use crate::ids::{GroupIx, Ix, ProductIx, UserIx};
use crate::sets::{Bits, UserSet};

use super::store::Lists;
use super::{MemberIndex, Tenant};

/// The most bytes per-product user sets may take.
pub const GRANT_BUDGET: usize = 96 << 20;

impl Tenant {
    /// Rebuilds, for every product, the active groups that carry it.
    pub(crate) fn rebuild_product_groups(&mut self) {
        let mut groups: Vec<Vec<GroupIx>> = vec![Vec::new(); self.catalog.products.len()];
        for g in self.groups_by_id().collect::<Vec<_>>() {
            if !self.grants(g) {
                continue;
            }
            for p in self.group_products(g) {
                if let Some(list) = groups.get_mut(p.index()) {
                    list.push(g);
                }
            }
        }
        self.grants.groups = Arc::new(groups);
    }

    /// The users the groups carrying `p` reach.
    pub(crate) fn product_reach(&self, p: ProductIx) -> UserSet {
        let slots = self.user_slots();
        let groups = self.product_groups(p);
        match groups {
            [] => UserSet::default(),
            [only] => (**self.def_members(*only)).clone(),
            many => {
                let mut bits = Bits::empty(slots);
                for &g in many {
                    self.members(g).or_into(&mut bits);
                }
                UserSet::from_bits(bits, slots)
            }
        }
    }

    fn def_members(&self, g: GroupIx) -> &Arc<UserSet> {
        &self.def(g).members
    }

    /// Rebuilds every product's users, or drops them when they would not fit the budget.
    pub(crate) fn rebuild_product_users(&mut self) {
        let slots = self.user_slots();
        let row = slots.div_ceil(8);
        let mut estimate = 0usize;
        for p in 0..self.catalog.products.len() {
            let reach: usize = self
                .grants
                .groups
                .get(p)
                .into_iter()
                .flatten()
                .map(|&g| self.members(g).len())
                .sum();
            estimate = estimate.saturating_add(reach.saturating_mul(4).min(row) + 48);
            if estimate > GRANT_BUDGET {
                self.grants.users = None;
                return;
            }
        }
        let users = (0..self.catalog.products.len())
            .map(|p| {
                let p = ProductIx::from_usize(p).unwrap_or(ProductIx::new(0));
                Arc::new(self.product_reach(p))
            })
            .collect();
        self.grants.users = Some(users);
    }

    /// Recomputes whether `u` reaches `p`, after `u`'s groups or `p`'s groups changed.
    pub(crate) fn refresh_reach(&mut self, u: UserIx, p: ProductIx) {
        let reaches =
            self.user_live(u) && self.product_groups(p).iter().any(|&g| self.is_member(g, u));
        let slots = self.user_slots();
        if let Some(users) = &mut self.grants.users {
            if let Some(set) = users.get_mut(p.index()) {
                if set.contains(u) != reaches {
                    let set = Arc::make_mut(set);
                    if reaches {
                        set.insert(u);
                    } else {
                        set.remove(u);
                    }
                    set.reshape(slots);
                }
            }
        }
    }

    /// Rebuilds the index of which groups hold each user.
    pub(crate) fn rebuild_member_index(&mut self) {
        let slots = self.user_slots();
        let mut counts = vec![0u32; slots];
        let mut dense = Vec::new();
        for (g, def) in self.groups.defs.iter().enumerate() {
            if !def.live {
                continue;
            }
            match &*def.members {
                UserSet::Sparse(list) => {
                    for &u in list {
                        if let Some(c) = counts.get_mut(u as usize) {
                            *c += 1;
                        }
                    }
                }
                UserSet::Dense { .. } => dense.extend(GroupIx::from_usize(g)),
            }
        }
        let mut starts = Vec::with_capacity(slots + 1);
        let mut total = 0usize;
        for &c in &counts {
            starts.push(total);
            total += c as usize;
        }
        let mut items = vec![GroupIx::new(0); total];
        let mut fill = starts.clone();
        for (g, def) in self.groups.defs.iter().enumerate() {
            if !def.live {
                continue;
            }
            if let UserSet::Sparse(list) = &*def.members {
                for &u in list {
                    if let Some(at) = fill.get_mut(u as usize) {
                        if let (Some(slot), Some(g)) = (items.get_mut(*at), GroupIx::from_usize(g))
                        {
                            *slot = g;
                        }
                        *at += 1;
                    }
                }
            }
        }
        self.index = MemberIndex {
            sparse: Arc::new(Lists::from_flat(items, &counts).unwrap_or_default()),
            dense: Arc::new(dense),
        };
    }
}
