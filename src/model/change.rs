//! Changes (SPEC §7.2): a change list applied to a tenant in order, costing what it touches.
//!
//! Applying has two steps. Each change first edits what the snapshot says — an entry, an
//! include, a rule, an item — and notes what that can affect; ids are checked against the state
//! the earlier changes left, so a list can add a group and then fill it. Then [`Tenant::apply`]
//! settles what is derived, in dependency order, touching only what the notes name:
//!
//! - a user whose entries or attributes changed is re-checked, alone, in the groups that can
//!   hold them, and the difference flows to the groups that depend on those;
//! - a group whose structure changed (its includes, its rule, its activity, its existence) is
//!   recomputed whole, and its difference flows on the same way;
//! - products, the member index and diagnostics follow the groups that changed.
//!
//! The caller applies to a clone (cheap: the parts are shared) and keeps it only on success,
//! which makes a change list atomic.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use crate::error::{Error, ErrorCode};
use crate::hash::Map;
use crate::ids::{GroupIx, Ix, ProductIx, RoleIx, UserIx};
use crate::json::Canonical;
use crate::rules::{Op, Rule};
use crate::sets::{Bits, UserSet};
use crate::snapshot::{self, AttrTable, Product, Role, Stamp, User};
use crate::text::lower;

use super::compile::{group_def, user_tag};
use super::{Group, RoleDef, Tenant, UserExtra, TAG_LIVE};
use crate::ids::NO_INDEX;

/// A component with more users to re-check than one in this many user slots is recomputed
/// whole: re-checking one user asks each of its groups' inputs (about a microsecond on
/// `large`), a whole pass ORs the inputs' member sets a word at a time.
const WHOLE_PER_USER: usize = 256;

/// One change of a change list, with its ids as given.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Replaces `user`'s entries in `group` with one entry.
    AddMember {
        /// The group.
        group: String,
        /// The user.
        user: String,
        /// When the entry starts.
        starts_at: Option<Stamp>,
        /// When it ends.
        expires_at: Option<Stamp>,
    },
    /// Removes all of `user`'s entries from `group`.
    RemoveMember {
        /// The group.
        group: String,
        /// The user.
        user: String,
    },
    /// Adds `source` to `group`'s included groups.
    AddInclude {
        /// The group.
        group: String,
        /// The group it includes.
        source: String,
    },
    /// Removes `source` from `group`'s included groups.
    RemoveInclude {
        /// The group.
        group: String,
        /// The group it no longer includes.
        source: String,
    },
    /// Sets or removes `group`'s rule.
    SetRule {
        /// The group.
        group: String,
        /// The rule, or none.
        rule: Option<Rule>,
        /// The rule as written, when it is text.
        source: Option<Canonical>,
    },
    /// Adds a role to a group.
    AddGroupRole {
        /// The group.
        group: String,
        /// The role.
        role: String,
    },
    /// Removes a role from a group.
    RemoveGroupRole {
        /// The group.
        group: String,
        /// The role.
        role: String,
    },
    /// Adds a product to a group.
    AddGroupProduct {
        /// The group.
        group: String,
        /// The product.
        product: String,
    },
    /// Removes a product from a group.
    RemoveGroupProduct {
        /// The group.
        group: String,
        /// The product.
        product: String,
    },
    /// Activates or deactivates a group.
    SetGroupActive {
        /// The group.
        group: String,
        /// Whether it is active.
        active: bool,
    },
    /// Adds or replaces a user, with its attributes.
    UpsertUser(Box<User>, AttrTable),
    /// Removes a user.
    RemoveUser(String),
    /// Adds or replaces a group.
    UpsertGroup(Box<snapshot::Group>),
    /// Removes a group.
    RemoveGroup(String),
    /// Adds or replaces a role.
    UpsertRole(Role),
    /// Removes a role.
    RemoveRole(String),
    /// Adds or replaces a product.
    UpsertProduct(Product),
    /// Removes a product.
    RemoveProduct(String),
    /// Sets or clears the evaluation instant.
    SetAsOf(Option<Stamp>),
}

/// Why a change list failed: the change, the field that names the unknown id (if any), and
/// the error (located by the caller, who knows the request's shape).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeError {
    /// The index of the change in its list.
    pub index: usize,
    /// The field of the change's body that is at fault, when it is one.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub error: Error,
}

/// What a change list changed, for `impact`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    /// Every membership that changed: group, user, and whether the user joined.
    pub members: Vec<(GroupIx, UserIx, bool)>,
    /// Users upserted or removed (their own record changed).
    pub users: Vec<UserIx>,
    /// Roles added, redefined or removed.
    pub roles: Vec<RoleIx>,
    /// Products added, removed, or carried by other groups.
    pub products: Vec<ProductIx>,
    /// Groups whose roles, products, activity or existence changed.
    pub grant_groups: Vec<GroupIx>,
}

/// What the changes of one list can affect, gathered while they are applied.
#[derive(Default)]
struct Work {
    graph: bool,
    manual: BTreeSet<GroupIx>,
    full: BTreeSet<GroupIx>,
    users: BTreeMap<GroupIx, BTreeSet<UserIx>>,
    /// Users whose attributes changed, with the lowercase keys; `None` when every rule must
    /// look at them (a user added or removed, or a name or org role changed).
    attr_users: Vec<(UserIx, Option<Vec<String>>)>,
    /// Users added or removed.
    liveness: BTreeSet<UserIx>,
    /// Group ids that came alive or died (rules naming them change).
    group_liveness: Vec<String>,
    products: BTreeSet<ProductIx>,
    notes_all: bool,
    group_wide: bool,
    notes_users: BTreeSet<UserIx>,
    notes_groups: BTreeSet<GroupIx>,
    names: BTreeSet<UserIx>,
    roles: BTreeSet<RoleIx>,
    grant_groups: BTreeSet<GroupIx>,
    touched_users: BTreeSet<UserIx>,
}

fn unknown(
    code: ErrorCode,
    what: &str,
    id: &str,
    field: Option<&'static str>,
) -> (Error, Option<&'static str>) {
    (Error::new(code, format!("unknown {what} `{id}`")), field)
}

type Fail = (Error, Option<&'static str>);

impl Tenant {
    /// Applies `changes` in order; `before` is this tenant as it was (the clone's source),
    /// which the settling step reads to keep counts exact.
    ///
    /// # Errors
    ///
    /// The first change that is invalid, with its index; the tenant is then half-changed and
    /// must be dropped.
    pub fn apply(&mut self, before: &Tenant, changes: &[Change]) -> Result<Delta, ChangeError> {
        // What is built on first use (suggestions, the lookups rules search) describes the
        // tenant as it was, and is shared with it: start afresh, so that settling reads and
        // fills cells of the changed tenant only.
        self.vocabulary = Arc::default();
        let mut work = Work::default();
        for (index, change) in changes.iter().enumerate() {
            self.apply_one(change, &mut work)
                .map_err(|(error, field)| ChangeError {
                    index,
                    field,
                    error,
                })?;
        }
        Ok(self.settle(before, work))
    }

    /// Labels the tenant with a revision.
    pub fn set_revision(&mut self, revision: Option<String>) {
        if self.meta.revision != revision {
            Arc::make_mut(&mut self.meta).revision = revision;
        }
    }

    fn live_group(&self, id: &str, field: Option<&'static str>) -> Result<GroupIx, Fail> {
        self.group(id)
            .ok_or_else(|| unknown(ErrorCode::UnknownGroup, "group", id, field))
    }

    fn live_user(&self, id: &str, field: Option<&'static str>) -> Result<UserIx, Fail> {
        self.user(id)
            .ok_or_else(|| unknown(ErrorCode::UnknownUser, "user", id, field))
    }

    fn live_role(&self, id: &str, field: Option<&'static str>) -> Result<RoleIx, Fail> {
        self.role(id)
            .ok_or_else(|| unknown(ErrorCode::UnknownRole, "role", id, field))
    }

    fn live_product(&self, id: &str, field: Option<&'static str>) -> Result<ProductIx, Fail> {
        self.product(id)
            .ok_or_else(|| unknown(ErrorCode::UnknownProduct, "product", id, field))
    }

    fn def_mut(&mut self, g: GroupIx) -> Option<&mut Group> {
        self.groups.defs.get_mut(g.index()).map(Arc::make_mut)
    }

    fn apply_one(&mut self, change: &Change, work: &mut Work) -> Result<(), Fail> {
        match change {
            Change::AddMember {
                group,
                user,
                starts_at,
                expires_at,
            } => {
                let g = self.live_group(group, Some("group"))?;
                let u = self.live_user(user, Some("user"))?;
                if let Some(def) = self.def_mut(g) {
                    def.entries.retain(|e| e.user != u);
                    let stamps = if starts_at.is_some() || expires_at.is_some() {
                        def.stamps
                            .push([None, starts_at.clone(), expires_at.clone()]);
                        u32::try_from(def.stamps.len() - 1).unwrap_or(NO_INDEX)
                    } else {
                        NO_INDEX
                    };
                    def.entries.push(super::Entry { user: u, stamps });
                }
                work.manual.insert(g);
                work.notes_groups.insert(g);
            }
            Change::RemoveMember { group, user } => {
                let g = self.live_group(group, Some("group"))?;
                let u = self.live_user(user, Some("user"))?;
                if let Some(def) = self.def_mut(g) {
                    def.entries.retain(|e| e.user != u);
                }
                work.manual.insert(g);
                work.notes_groups.insert(g);
            }
            Change::AddInclude { group, source } | Change::RemoveInclude { group, source } => {
                let g = self.live_group(group, Some("group"))?;
                let s = self.live_group(source, Some("source"))?;
                let add = matches!(change, Change::AddInclude { .. });
                if let Some(def) = self.def_mut(g) {
                    if add {
                        if !def.include.contains(&s) {
                            def.include.push(s);
                        }
                    } else {
                        def.include.retain(|&x| x != s);
                    }
                }
                work.graph = true;
                work.full.insert(g);
                work.notes_groups.insert(g);
                work.group_wide = true;
            }
            Change::SetRule {
                group,
                rule,
                source,
            } => {
                let g = self.live_group(group, Some("group"))?;
                if let Some(def) = self.def_mut(g) {
                    def.rule = rule.clone().map(Arc::new);
                    def.rule_source.clone_from(source);
                    def.notes.retain(|n| n.code != "invalid-rule");
                }
                work.graph = true;
                work.full.insert(g);
                work.notes_groups.insert(g);
                work.group_wide = true;
            }
            Change::AddGroupRole { group, role } | Change::RemoveGroupRole { group, role } => {
                let g = self.live_group(group, Some("group"))?;
                let r = self.live_role(role, Some("role"))?;
                let add = matches!(change, Change::AddGroupRole { .. });
                if let Some(def) = self.def_mut(g) {
                    if add {
                        if !def.roles.contains(&r) {
                            def.roles.push(r);
                        }
                    } else {
                        def.roles.retain(|&x| x != r);
                    }
                }
                work.grant_groups.insert(g);
                work.roles.insert(r);
                work.notes_groups.insert(g);
            }
            Change::AddGroupProduct { group, product }
            | Change::RemoveGroupProduct { group, product } => {
                let g = self.live_group(group, Some("group"))?;
                let p = self.live_product(product, Some("product"))?;
                let add = matches!(change, Change::AddGroupProduct { .. });
                if let Some(def) = self.def_mut(g) {
                    if add {
                        if !def.products.contains(&p) {
                            def.products.push(p);
                        }
                    } else {
                        def.products.retain(|&x| x != p);
                    }
                }
                work.grant_groups.insert(g);
                work.products.insert(p);
                work.notes_groups.insert(g);
            }
            Change::SetGroupActive { group, active } => {
                let g = self.live_group(group, Some("group"))?;
                if self.is_active(g) != *active {
                    if let Some(def) = self.def_mut(g) {
                        def.active = *active;
                    }
                    work.products.extend(self.group_products(g));
                    work.grant_groups.insert(g);
                    // Its includers gain or lose what it passes on.
                    work.full
                        .extend(self.graph.dependents.get(g.index()).iter().copied());
                    work.group_wide = true;
                }
            }
            Change::UpsertUser(user, attrs) => self.upsert_user(user, attrs, work),
            Change::RemoveUser(id) => {
                let u = self.live_user(id, None)?;
                self.remove_user(u, work);
            }
            Change::UpsertGroup(group) => self.upsert_group(group, work),
            Change::RemoveGroup(id) => {
                let g = self.live_group(id, None)?;
                self.remove_group(g, work);
            }
            Change::UpsertRole(role) => self.upsert_role(role, work),
            Change::RemoveRole(id) => {
                let r = self.live_role(id, None)?;
                let catalog = Arc::make_mut(&mut self.catalog);
                if let Some(def) = catalog.role_defs.get_mut(r.index()) {
                    def.live = false;
                }
                catalog.roles.set_tag(r, 0);
                catalog.role_doc.remove(r.index());
                work.roles.insert(r);
                work.notes_all = true;
            }
            Change::UpsertProduct(product) => {
                let catalog = Arc::make_mut(&mut self.catalog);
                let p: ProductIx = catalog.products.intern(&product.id);
                while catalog.product_live.len() < catalog.products.len() {
                    catalog.product_live.push(false);
                }
                if !catalog
                    .product_live
                    .get(p.index())
                    .copied()
                    .unwrap_or(false)
                {
                    if let Some(l) = catalog.product_live.get_mut(p.index()) {
                        *l = true;
                    }
                    catalog.products.set_tag(p, TAG_LIVE);
                    catalog.product_doc.append(p.index());
                    work.notes_all = true;
                }
                // A new product needs its row in the per-product tables (who it reaches).
                self.grow();
                let names = &mut Arc::make_mut(&mut self.catalog).product_names;
                if let Some(name) = names.get_mut(p.index()) {
                    name.clone_from(&product.name);
                }
                work.products.insert(p);
            }
            Change::RemoveProduct(id) => {
                let p = self.live_product(id, None)?;
                let catalog = Arc::make_mut(&mut self.catalog);
                if let Some(l) = catalog.product_live.get_mut(p.index()) {
                    *l = false;
                }
                catalog.products.set_tag(p, 0);
                catalog.product_doc.remove(p.index());
                work.products.insert(p);
                work.notes_all = true;
            }
            Change::SetAsOf(stamp) => {
                let meta = Arc::make_mut(&mut self.meta);
                meta.as_of = stamp.as_ref().and_then(|s| s.instant);
                meta.as_of_text = stamp.as_ref().map(|s| s.text.clone());
                for (g, def) in self.groups.defs.iter().enumerate() {
                    if def.live && !def.stamps.is_empty() {
                        work.manual.extend(GroupIx::from_usize(g));
                    }
                }
                work.notes_all = true;
            }
        }
        Ok(())
    }

    /// Makes room in every per-slot column for slots added to the id tables.
    fn grow(&mut self) {
        let users = self.users.ids.len();
        let u = &mut self.users;
        if u.org.len() < users {
            Arc::make_mut(&mut u.org).resize(users, Default::default());
        }
        if u.primary.len() < users {
            Arc::make_mut(&mut u.primary).resize(users, NO_INDEX);
        }
        if u.homepage.len() < users {
            Arc::make_mut(&mut u.homepage).resize(users, NO_INDEX);
        }
        if self.name_rank.len() < users {
            Arc::make_mut(&mut self.name_rank).resize(users, u32::MAX);
        }
        while self.groups.defs.len() < self.groups.ids.len() {
            self.groups.defs.push(Arc::new(Group::default()));
        }
        let c = &self.catalog;
        if c.role_defs.len() < c.roles.len()
            || c.product_live.len() < c.products.len()
            || c.product_names.len() < c.products.len()
            || c.module_live.len() < c.modules.len()
            || c.module_required.len() < c.modules.len()
            || c.module_names.len() < c.modules.len()
        {
            let c = Arc::make_mut(&mut self.catalog);
            c.role_defs.resize(c.roles.len(), RoleDef::default());
            c.product_live.resize(c.products.len(), false);
            c.product_names.resize(c.products.len(), None);
            c.module_live.resize(c.modules.len(), false);
            c.module_required.resize(c.modules.len(), None);
            c.module_names.resize(c.modules.len(), None);
        }
        let products = self.catalog.products.len();
        if self.grants.groups.len() < products {
            Arc::make_mut(&mut self.grants.groups).resize(products, Vec::new());
        }
        if let Some(users) = &mut self.grants.users {
            while users.len() < products {
                users.push(Arc::new(UserSet::default()));
            }
        }
    }

    fn upsert_user(&mut self, user: &User, attrs: &AttrTable, work: &mut Work) {
        // Tables shared with the engine before the change are copied on their first write, so
        // ids they already hold are only looked up.
        let primary = user
            .primary_group
            .as_deref()
            .map(|id| slot_of(&mut self.groups.ids, id));
        let c = &self.catalog;
        let known = user
            .homepage_module
            .as_deref()
            .is_none_or(|id| c.modules.get(id).is_some())
            && user.roles.iter().all(|id| c.roles.get(id).is_some());
        let (homepage, roles) = if known {
            (
                user.homepage_module
                    .as_deref()
                    .and_then(|id| c.modules.get(id)),
                user.roles
                    .iter()
                    .filter_map(|id| c.roles.get(id))
                    .collect::<Vec<_>>(),
            )
        } else {
            let catalog = Arc::make_mut(&mut self.catalog);
            (
                user.homepage_module
                    .as_deref()
                    .map(|id| catalog.modules.intern(id)),
                catalog
                    .roles
                    .intern_many(user.roles.iter().map(String::as_str)),
            )
        };
        let u: UserIx = slot_of(&mut self.users.ids, &user.id);
        self.grow();
        let i = u.index();
        let was_live = self.user_live(u);
        let old_name = self.user_name(u).map(str::to_owned);
        let old_org = self.org_role(u);
        let us = &mut self.users;
        if !was_live {
            Arc::make_mut(&mut us.live).insert(u.get());
            Arc::make_mut(&mut us.doc).append(i);
        }
        let us = &mut self.users;
        let tag = user_tag(true, user.org_role);
        if us.ids.tag(u) != tag {
            Arc::make_mut(&mut us.ids).set_tag(u, tag);
        }
        if old_name.as_deref() != user.name.as_deref() || !was_live {
            Arc::make_mut(&mut us.names).set(i, user.name.as_deref());
        }
        if old_org != user.org_role {
            if let Some(o) = Arc::make_mut(&mut us.org).get_mut(i) {
                *o = user.org_role;
            }
        }
        let primary = primary.map_or(NO_INDEX, |g| g.get());
        if us.primary.get(i) != Some(&primary) {
            if let Some(p) = Arc::make_mut(&mut us.primary).get_mut(i) {
                *p = primary;
            }
        }
        let homepage = homepage.map_or(NO_INDEX, |m| m.get());
        if us.homepage.get(i) != Some(&homepage) {
            if let Some(h) = Arc::make_mut(&mut us.homepage).get_mut(i) {
                *h = homepage;
            }
        }
        if us.prevent.contains(u.get()) != user.prevent_homepage_redirect {
            let prevent = Arc::make_mut(&mut us.prevent);
            if user.prevent_homepage_redirect {
                prevent.insert(u.get());
            } else {
                prevent.remove(u.get());
            }
        }
        if us.dashboards.get(&u) != user.dashboard.as_ref() {
            let dashboards = Arc::make_mut(&mut us.dashboards);
            match &user.dashboard {
                Some(d) => dashboards.insert(u, d.clone()),
                None => dashboards.remove(&u),
            };
        }
        if us.roles.get(i) != roles.as_slice() {
            Arc::make_mut(&mut us.roles).set(i, &roles);
        }
        let extra = UserExtra::of(user);
        if us.extras.get(&u) != extra.as_ref() {
            let extras = Arc::make_mut(&mut us.extras);
            match extra {
                Some(extra) => extras.insert(u, extra),
                None => extras.remove(&u),
            };
        }
        if us
            .notes
            .get(&u)
            .map_or(!user.notes.is_empty(), |n| *n != user.notes)
        {
            let notes = Arc::make_mut(&mut us.notes);
            if user.notes.is_empty() {
                notes.remove(&u);
            } else {
                notes.insert(u, user.notes.clone());
            }
        }
        let values: Vec<(String, Value)> = attrs
            .columns
            .iter()
            .filter_map(|c| {
                let (_, v) = c.cells.first()?;
                Some((c.key.clone(), c.values.get(*v as usize)?.clone()))
            })
            .collect();
        let slots = self.user_slots();
        let changed = self.attrs.set_user(u, &values, slots);
        let record_changed =
            old_name.as_deref() != user.name.as_deref() || old_org != user.org_role;
        if !was_live {
            work.liveness.insert(u);
            work.attr_users.push((u, None));
            work.notes_all = true;
        } else if record_changed {
            work.attr_users.push((u, None));
        } else if !changed.is_empty() {
            work.attr_users.push((u, Some(changed)));
        }
        if !was_live || old_name.as_deref() != user.name.as_deref() {
            work.names.insert(u);
        }
        work.touched_users.insert(u);
        work.notes_users.insert(u);
    }

    fn remove_user(&mut self, u: UserIx, work: &mut Work) {
        // Every group that holds the user loses them.
        for g in self.groups_of(u) {
            work.users.entry(g).or_default().insert(u);
        }
        let slots = self.user_slots();
        self.attrs.set_user(u, &[], slots);
        let us = &mut self.users;
        Arc::make_mut(&mut us.live).remove(u.get());
        Arc::make_mut(&mut us.doc).remove(u.index());
        Arc::make_mut(&mut us.ids).set_tag(u, 0);
        if us.notes.contains_key(&u) {
            Arc::make_mut(&mut us.notes).remove(&u);
        }
        if us.extras.contains_key(&u) {
            Arc::make_mut(&mut us.extras).remove(&u);
        }
        work.liveness.insert(u);
        work.attr_users.push((u, None));
        work.names.insert(u);
        work.touched_users.insert(u);
        work.notes_all = true;
    }

    fn upsert_group(&mut self, group: &snapshot::Group, work: &mut Work) {
        {
            let users = Arc::make_mut(&mut self.users.ids);
            users.intern_many(group.members.iter().map(|e| &*e.user));
        }
        let groups = Arc::make_mut(&mut self.groups.ids);
        groups.intern_many(
            std::iter::once(group.id.as_str())
                .chain(group.include_groups.iter().map(String::as_str)),
        );
        let catalog = Arc::make_mut(&mut self.catalog);
        catalog
            .roles
            .intern_many(group.roles.iter().map(String::as_str));
        catalog
            .products
            .intern_many(group.products.iter().map(String::as_str));
        if let Some(m) = &group.homepage_module {
            catalog.modules.intern(m);
        }
        self.grow();
        let Some(g) = self.groups.ids.get(&group.id) else {
            return;
        };
        let was_live = self.group_live(g);
        let old_products = if was_live {
            self.group_products(g)
        } else {
            Vec::new()
        };
        let mut def = group_def(
            group.clone(),
            &self.users.ids,
            &self.groups.ids,
            &self.catalog.roles,
            &self.catalog.products,
            &self.catalog.modules,
        );
        let old = self.def(g);
        // Keep what was derived until it is recomputed, so the difference can be seen.
        def.members = Arc::clone(&old.members);
        def.manual = old.manual.clone();
        def.added = old.added.clone();
        def.dynamic_count = old.dynamic_count;
        let new_products = {
            let mut p: Vec<ProductIx> = def.products.clone();
            p.sort_unstable();
            p.dedup();
            p
        };
        if let Some(slot) = self.groups.defs.get_mut(g.index()) {
            *slot = Arc::new(def);
        }
        if !was_live {
            Arc::make_mut(&mut self.groups.doc).append(g.index());
            work.group_liveness.push(group.id.clone());
            work.notes_all = true;
        }
        work.products.extend(old_products);
        work.products.extend(new_products);
        work.graph = true;
        work.full.insert(g);
        // Its includers gain or lose what it passes on (all of it when it turned inactive), and
        // removals through an include cycle need the component's fixpoint again.
        work.full
            .extend(self.graph.dependents.get(g.index()).iter().copied());
        work.manual.insert(g);
        work.notes_groups.insert(g);
        work.grant_groups.insert(g);
        work.group_wide = true;
    }

    fn remove_group(&mut self, g: GroupIx, work: &mut Work) {
        work.products.extend(self.group_products(g));
        // The groups that depended on it lose what it gave them; the rebuilt graph will no
        // longer link them to it.
        work.full
            .extend(self.graph.dependents.get(g.index()).iter().copied());
        if let Some(slot) = self.groups.defs.get_mut(g.index()) {
            // The members stay until the group is recomputed, so that who left can be seen.
            let members = Arc::clone(&slot.members);
            *slot = Arc::new(Group {
                members,
                ..Group::default()
            });
        }
        Arc::make_mut(&mut self.groups.doc).remove(g.index());
        work.group_liveness.push(self.group_id(g).to_owned());
        work.graph = true;
        work.full.insert(g);
        work.grant_groups.insert(g);
        work.notes_all = true;
        work.group_wide = true;
    }

    fn upsert_role(&mut self, role: &Role, work: &mut Work) {
        let catalog = Arc::make_mut(&mut self.catalog);
        let mut perms = catalog
            .perms
            .intern_many(role.permissions.iter().map(String::as_str));
        perms.sort_unstable();
        perms.dedup();
        let r: RoleIx = catalog.roles.intern(&role.id);
        self.grow();
        let catalog = Arc::make_mut(&mut self.catalog);
        let was_live = catalog.role_defs.get(r.index()).is_some_and(|d| d.live);
        if let Some(def) = catalog.role_defs.get_mut(r.index()) {
            *def = RoleDef {
                live: true,
                name: role.name.clone(),
                perms,
                privileged: role.privileged,
            };
        }
        catalog.roles.set_tag(r, TAG_LIVE);
        if !was_live {
            catalog.role_doc.append(r.index());
            work.notes_all = true;
        }
        work.roles.insert(r);
    }

    /// Recomputes what the changes touched.
    fn settle(&mut self, before: &Tenant, mut work: Work) -> Delta {
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
                    let old = Arc::clone(&self.def(g).members);
                    let mut set = (*old).clone();
                    if set.reshape(slots) {
                        let set = Arc::new(set);
                        self.reindex(g, &old, &set);
                        if let Some(def) = self.def_mut(g) {
                            def.members = set;
                        }
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

/// The slot of `id`, added to the table only when absent: a table shared with the engine
/// before the change is copied on its first write, and a known id needs none.
fn slot_of<I: crate::ids::Ix>(table: &mut Arc<crate::ids::IdTable<I>>, id: &str) -> I {
    match table.get(id) {
        Some(ix) => ix,
        None => Arc::make_mut(table).intern(id),
    }
}
