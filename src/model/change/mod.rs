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
//! which makes a change list atomic. This module holds the first step; `settle` the second.

mod settle;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use crate::error::{Error, ErrorCode};
use crate::ids::{GroupIx, Ix, ProductIx, RoleIx, UserIx};
use crate::json::Canonical;
use crate::rules::Rule;
use crate::sets::UserSet;
use crate::snapshot::{self, AttrTable, Product, Role, Stamp, User};

use super::compile::{group_def, user_tag};
use super::{Group, RoleDef, Tenant, UserExtra, TAG_LIVE};
use crate::ids::NO_INDEX;

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
}

/// The slot of `id`, added to the table only when absent: a table shared with the engine
/// before the change is copied on its first write, and a known id needs none.
fn slot_of<I: crate::ids::Ix>(table: &mut Arc<crate::ids::IdTable<I>>, id: &str) -> I {
    match table.get(id) {
        Some(ix) => ix,
        None => Arc::make_mut(table).intern(id),
    }
}
