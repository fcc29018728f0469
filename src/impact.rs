//! What a change would do (SPEC §7 `impact`): per user, the groups joined and left and the
//! roles, permissions and products gained and lost; their totals over every user that changes;
//! per group, the member counts and active states before and after.
//!
//! For a change list the two tenants share their slots (the changed one only adds), and the
//! answer is computed set by set from the apply's [`Delta`]: memberships from the delta itself,
//! and for each role, permission and product the changes could touch, its holders before and
//! after as bitsets. A user is looked at alone only when their own record changed. Removing a
//! group of 50,000 members so costs a few dozen bitset unions, not 50,000 user views.
//! For a whole `next` snapshot, slots differ, and users are compared by id one by one.

use std::collections::{BTreeMap, BTreeSet};

use crate::access::{self, Decision};
use crate::hash::Map;
use crate::ids::{GroupIx, Ix, PermIx, ProductIx, RoleIx, UserIx};
use crate::model::{Delta, Tenant};
use crate::sets::Bits;

/// How one user's access changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChange {
    /// The user's id.
    pub user: String,
    /// Groups joined, by id.
    pub joined: Vec<String>,
    /// Groups left, by id.
    pub left: Vec<String>,
    /// Roles gained, by id.
    pub roles_gained: Vec<String>,
    /// Roles lost, by id.
    pub roles_lost: Vec<String>,
    /// Permissions gained, by bytes.
    pub permissions_gained: Vec<String>,
    /// Permissions lost, by bytes.
    pub permissions_lost: Vec<String>,
    /// Products gained, by id.
    pub products_gained: Vec<String>,
    /// Products lost, by id.
    pub products_lost: Vec<String>,
}

impl UserChange {
    fn is_change(&self) -> bool {
        !(self.joined.is_empty()
            && self.left.is_empty()
            && self.roles_gained.is_empty()
            && self.roles_lost.is_empty()
            && self.permissions_gained.is_empty()
            && self.permissions_lost.is_empty()
            && self.products_gained.is_empty()
            && self.products_lost.is_empty())
    }
}

/// The sums of a [`UserChange`]'s lists over every user that changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Memberships gained.
    pub joined: usize,
    /// Memberships lost.
    pub left: usize,
    /// Roles gained.
    pub roles_gained: usize,
    /// Roles lost.
    pub roles_lost: usize,
    /// Permissions gained.
    pub permissions_gained: usize,
    /// Permissions lost.
    pub permissions_lost: usize,
    /// Products gained.
    pub products_gained: usize,
    /// Products lost.
    pub products_lost: usize,
}

impl Totals {
    fn add(&mut self, c: &UserChange) {
        self.joined += c.joined.len();
        self.left += c.left.len();
        self.roles_gained += c.roles_gained.len();
        self.roles_lost += c.roles_lost.len();
        self.permissions_gained += c.permissions_gained.len();
        self.permissions_lost += c.permissions_lost.len();
        self.products_gained += c.products_gained.len();
        self.products_lost += c.products_lost.len();
    }
}

/// One side of a group row: its member count and whether it is active, when it exists.
pub type GroupSide = Option<(usize, bool)>;

/// A group whose member count or active state changes, or that is added or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupChange {
    /// The group's id.
    pub group: String,
    /// Before the change; `None` when the group does not exist then.
    pub before: GroupSide,
    /// After the change; `None` when the group does not exist then.
    pub after: GroupSide,
}

impl GroupChange {
    /// The row for a group, when it is one to list.
    fn of(group: &str, before: GroupSide, after: GroupSide) -> Option<GroupChange> {
        (before != after).then(|| GroupChange {
            group: group.to_owned(),
            before,
            after,
        })
    }
}

/// The impact answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Impact {
    /// How many users change.
    pub total_users: usize,
    /// The first `limit` of them, by id.
    pub users: Vec<UserChange>,
    /// The sums over every user that changes, listed or not.
    pub totals: Totals,
    /// The groups whose member count or active state changes, or that are added or removed, by
    /// id.
    pub groups: Vec<GroupChange>,
}

/// A group's side of a row in `t`.
fn side(t: &Tenant, g: Option<GroupIx>) -> GroupSide {
    g.map(|g| (t.members(g).len(), t.is_active(g)))
}

/// Holders of roles, permissions and products in one tenant, computed as asked.
struct Holders<'t> {
    t: &'t Tenant,
    slots: usize,
    direct: Map<RoleIx, Bits>,
    carriers: Map<RoleIx, Vec<GroupIx>>,
    granting: Map<PermIx, Vec<RoleIx>>,
    roles: Map<RoleIx, Bits>,
    bypass: Bits,
}

impl<'t> Holders<'t> {
    fn new(t: &'t Tenant, slots: usize) -> Holders<'t> {
        let mut direct: Map<RoleIx, Bits> = Map::default();
        let mut bypass = Bits::empty(slots);
        for u in t.users_by_id() {
            for r in t.direct_roles(u) {
                direct
                    .entry(r)
                    .or_insert_with(|| Bits::empty(slots))
                    .insert(u.get());
            }
            if t.bypass(u).is_some() {
                bypass.insert(u.get());
            }
        }
        let mut carriers: Map<RoleIx, Vec<GroupIx>> = Map::default();
        for g in t.groups_by_id() {
            if t.grants(g) {
                for r in t.group_roles(g) {
                    carriers.entry(r).or_default().push(g);
                }
            }
        }
        let mut granting: Map<PermIx, Vec<RoleIx>> = Map::default();
        for r in t.catalog_roles() {
            for &p in t.role_permissions(r) {
                granting.entry(p).or_default().push(r);
            }
        }
        Holders {
            t,
            slots,
            direct,
            carriers,
            granting,
            roles: Map::default(),
            bypass,
        }
    }

    fn role(&mut self, r: RoleIx) -> Bits {
        if let Some(bits) = self.roles.get(&r) {
            return bits.clone();
        }
        let t = self.t;
        let mut bits = Bits::empty(self.slots);
        if t.role_live(r) {
            if let Some(direct) = self.direct.get(&r) {
                bits.or_with(direct);
            }
            for &g in self.carriers.get(&r).into_iter().flatten() {
                t.members(g).or_into(&mut bits);
            }
            bits.and_with(t.live_users());
        }
        self.roles.insert(r, bits.clone());
        bits
    }

    fn permission(&mut self, p: PermIx) -> Bits {
        let roles = self.granting.get(&p).cloned().unwrap_or_default();
        let mut bits = Bits::empty(self.slots);
        for r in roles {
            bits.or_with(&self.role(r));
        }
        bits
    }

    fn product(&self, p: ProductIx) -> Bits {
        let t = self.t;
        let mut bits = Bits::empty(self.slots);
        if p.index() < t.product_slots() && t.product_live(p) {
            bits.or_with(&self.bypass);
            for &g in t.product_groups(p) {
                t.members(g).or_into(&mut bits);
            }
            bits.and_with(t.live_users());
        }
        bits
    }
}

/// `a` without `b`.
fn minus(a: &Bits, b: &Bits) -> Bits {
    let mut out = a.clone();
    out.and_not(b);
    out
}

/// The impact of a change list: `after` is `before` with the changes applied, `delta` what
/// applying reported.
pub fn of_changes(before: &Tenant, after: &Tenant, delta: &Delta, limit: usize) -> Impact {
    let slots = after.user_slots();
    let in_before = |g: GroupIx| g.index() < before.group_slots() && before.group_live(g);

    // Groups whose members changed, and each user's moves.
    let mut changed_groups: BTreeSet<GroupIx> = BTreeSet::new();
    let mut moves: BTreeMap<UserIx, (Vec<GroupIx>, Vec<GroupIx>)> = BTreeMap::new();
    for &(g, u, joined) in &delta.members {
        changed_groups.insert(g);
        let entry = moves.entry(u).or_default();
        if joined {
            entry.0.push(g);
        } else {
            entry.1.push(g);
        }
    }
    // Groups whose count, activity or existence may have changed.
    let mut groups: Vec<GroupIx> = changed_groups
        .iter()
        .chain(&delta.grant_groups)
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    after.sort_groups(&mut groups);
    let group_rows = groups
        .iter()
        .filter_map(|&g| {
            GroupChange::of(
                after.group_id(g),
                side(before, Some(g).filter(|&g| in_before(g))),
                side(after, Some(g).filter(|&g| after.group_live(g))),
            )
        })
        .collect();

    // What the changes can touch.
    let touched: BTreeSet<GroupIx> = changed_groups
        .iter()
        .chain(&delta.grant_groups)
        .copied()
        .collect();
    let mut roles: BTreeSet<RoleIx> = delta.roles.iter().copied().collect();
    let mut products: BTreeSet<ProductIx> = delta.products.iter().copied().collect();
    for &g in &touched {
        if in_before(g) {
            roles.extend(before.group_roles(g));
            products.extend(before.group_products(g));
        }
        roles.extend(after.group_roles(g));
        products.extend(after.group_products(g));
    }
    let mut perms: BTreeSet<PermIx> = BTreeSet::new();
    for &r in &roles {
        if r.index() < before.role_slots() {
            perms.extend(before.role_permissions(r));
        }
        perms.extend(after.role_permissions(r));
    }

    let mut hb = Holders::new(before, slots);
    let mut ha = Holders::new(after, slots);
    let mut changed = Bits::empty(slots);
    let mut role_moves: Vec<(RoleIx, Bits, Bits)> = Vec::new();
    for &r in &roles {
        let (b, a) = (hb.role(r), ha.role(r));
        let (gained, lost) = (minus(&a, &b), minus(&b, &a));
        changed.or_with(&gained);
        changed.or_with(&lost);
        role_moves.push((r, gained, lost));
    }
    let mut perm_moves: Vec<(PermIx, Bits, Bits)> = Vec::new();
    for &p in &perms {
        let (b, a) = (hb.permission(p), ha.permission(p));
        let (gained, lost) = (minus(&a, &b), minus(&b, &a));
        changed.or_with(&gained);
        changed.or_with(&lost);
        perm_moves.push((p, gained, lost));
    }
    let mut product_moves: Vec<(ProductIx, Bits, Bits)> = Vec::new();
    for &p in &products {
        let (b, a) = (hb.product(p), ha.product(p));
        let (gained, lost) = (minus(&a, &b), minus(&b, &a));
        changed.or_with(&gained);
        changed.or_with(&lost);
        product_moves.push((p, gained, lost));
    }
    for &u in moves.keys() {
        changed.insert(u.get());
    }
    // Users whose own record changed are compared whole.
    let mut own: Map<UserIx, UserChange> = Map::default();
    for &u in &delta.users {
        let change = compare(
            before,
            after,
            before_user(before, u),
            after_user(after, u),
            after.user_id(u),
        );
        if change.is_change() {
            changed.insert(u.get());
            own.insert(u, change);
        } else {
            changed.remove(u.get());
        }
    }

    let mut order: Vec<UserIx> = changed.iter().map(UserIx::new).collect();
    order.sort_by_key(|&u| after.user_rank(u));
    // Users in `changed` only through the sets may still not change: checked per row.
    let mut users = Vec::new();
    let mut total = 0usize;
    let mut totals = Totals::default();
    for u in order {
        let change = match own.remove(&u) {
            Some(change) => change,
            None => {
                let (joined, left) = moves.get(&u).cloned().unwrap_or_default();
                let pick = |moves: &[(RoleIx, Bits, Bits)], gained: bool| -> Vec<RoleIx> {
                    moves
                        .iter()
                        .filter(|(_, g, l)| if gained { g } else { l }.contains(u.get()))
                        .map(|(r, _, _)| *r)
                        .collect()
                };
                let mut c = UserChange {
                    user: after.user_id(u).to_owned(),
                    joined: group_ids(after, joined),
                    left: group_ids(after, left),
                    roles_gained: role_ids(after, pick(&role_moves, true)),
                    roles_lost: role_ids(after, pick(&role_moves, false)),
                    ..UserChange::default()
                };
                let perms_of = |gained: bool| -> Vec<PermIx> {
                    perm_moves
                        .iter()
                        .filter(|(_, g, l)| if gained { g } else { l }.contains(u.get()))
                        .map(|(p, _, _)| *p)
                        .collect()
                };
                c.permissions_gained = perm_texts(after, perms_of(true));
                c.permissions_lost = perm_texts(after, perms_of(false));
                let products_of = |gained: bool| -> Vec<ProductIx> {
                    product_moves
                        .iter()
                        .filter(|(_, g, l)| if gained { g } else { l }.contains(u.get()))
                        .map(|(p, _, _)| *p)
                        .collect()
                };
                c.products_gained = product_ids(after, products_of(true));
                c.products_lost = product_ids(after, products_of(false));
                c
            }
        };
        if !change.is_change() {
            continue;
        }
        total += 1;
        totals.add(&change);
        if users.len() < limit {
            users.push(change);
        }
    }
    Impact {
        total_users: total,
        users,
        totals,
        groups: group_rows,
    }
}

fn before_user(before: &Tenant, u: UserIx) -> Option<UserIx> {
    (u.index() < before.user_slots() && before.user_live(u)).then_some(u)
}

fn after_user(after: &Tenant, u: UserIx) -> Option<UserIx> {
    after.user_live(u).then_some(u)
}

fn group_ids(t: &Tenant, mut groups: Vec<GroupIx>) -> Vec<String> {
    t.sort_groups(&mut groups);
    groups
        .into_iter()
        .map(|g| t.group_id(g).to_owned())
        .collect()
}

fn role_ids(t: &Tenant, mut roles: Vec<RoleIx>) -> Vec<String> {
    t.sort_roles(&mut roles);
    roles.into_iter().map(|r| t.role_id(r).to_owned()).collect()
}

fn perm_texts(t: &Tenant, mut perms: Vec<PermIx>) -> Vec<String> {
    t.sort_permissions(&mut perms);
    perms
        .into_iter()
        .map(|p| t.permission_text(p).to_owned())
        .collect()
}

fn product_ids(t: &Tenant, mut products: Vec<ProductIx>) -> Vec<String> {
    t.sort_products(&mut products);
    products
        .into_iter()
        .map(|p| t.product_id(p).to_owned())
        .collect()
}

/// What one user can reach in one tenant, by id.
#[derive(Default)]
struct View {
    groups: Vec<String>,
    roles: Vec<String>,
    permissions: Vec<String>,
    products: Vec<String>,
}

fn view(t: &Tenant, u: Option<UserIx>) -> View {
    let Some(u) = u else {
        return View::default();
    };
    let groups = t.groups_of(u);
    let granting: Vec<GroupIx> = groups.iter().copied().filter(|&g| t.grants(g)).collect();
    let roles = access::roles_through(t, u, &granting);
    let perms = access::permissions(t, &roles);
    View {
        groups: groups.iter().map(|&g| t.group_id(g).to_owned()).collect(),
        roles: roles
            .iter()
            .map(|(r, _)| t.role_id(*r).to_owned())
            .collect(),
        permissions: perms
            .iter()
            .map(|&p| t.permission_text(p).to_owned())
            .collect(),
        products: access::products_through(t, u, &granting)
            .into_iter()
            .filter(|(_, d, _)| *d != Decision::NoGroup)
            .map(|(p, _, _)| t.product_id(p).to_owned())
            .collect(),
    }
}

/// `after − before` and `before − after` of two sorted lists.
fn moved(before: &[String], after: &[String]) -> (Vec<String>, Vec<String>) {
    let gained = after
        .iter()
        .filter(|x| before.binary_search(x).is_err())
        .cloned()
        .collect();
    let lost = before
        .iter()
        .filter(|x| after.binary_search(x).is_err())
        .cloned()
        .collect();
    (gained, lost)
}

fn compare(
    before: &Tenant,
    after: &Tenant,
    b: Option<UserIx>,
    a: Option<UserIx>,
    id: &str,
) -> UserChange {
    let (vb, va) = (view(before, b), view(after, a));
    let (joined, left) = moved(&vb.groups, &va.groups);
    let (roles_gained, roles_lost) = moved(&vb.roles, &va.roles);
    let (permissions_gained, permissions_lost) = moved(&vb.permissions, &va.permissions);
    let (products_gained, products_lost) = moved(&vb.products, &va.products);
    UserChange {
        user: id.to_owned(),
        joined,
        left,
        roles_gained,
        roles_lost,
        permissions_gained,
        permissions_lost,
        products_gained,
        products_lost,
    }
}

/// The impact of replacing `before` by a whole other snapshot `after`: users and groups are
/// matched by id, and every user is compared.
pub fn of_snapshots(before: &Tenant, after: &Tenant, limit: usize) -> Impact {
    let mut ids: Vec<&str> = before
        .users_by_id()
        .map(|u| before.user_id(u))
        .chain(after.users_by_id().map(|u| after.user_id(u)))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut users = Vec::new();
    let mut total = 0;
    let mut totals = Totals::default();
    for id in ids {
        let change = compare(before, after, before.user(id), after.user(id), id);
        if change.is_change() {
            total += 1;
            totals.add(&change);
            if users.len() < limit {
                users.push(change);
            }
        }
    }
    let mut group_ids: Vec<&str> = before
        .groups_by_id()
        .map(|g| before.group_id(g))
        .chain(after.groups_by_id().map(|g| after.group_id(g)))
        .collect();
    group_ids.sort_unstable();
    group_ids.dedup();
    let groups = group_ids
        .into_iter()
        .filter_map(|id| {
            GroupChange::of(
                id,
                side(before, before.group(id)),
                side(after, after.group(id)),
            )
        })
        .collect();
    Impact {
        total_users: total,
        users,
        totals,
        groups,
    }
}
