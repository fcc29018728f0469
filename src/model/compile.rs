//! A snapshot into a tenant: ids into slots, references resolved, members computed, indexes
//! built, diagnostics found.
//!
//! Slots are given once, from every id the snapshot defines or mentions: defined items first,
//! in id order (so that at load slot order is id order), then ids only referred to.

use std::sync::Arc;

use crate::hash::Map;
use crate::ids::{GroupIx, IdTable, Ix, ModuleIx, PermIx, ProductIx, RoleIx, UserIx};
use crate::sets::Bits;
use crate::snapshot::{self, OrgRole, RuleSource, Snapshot, Stamp};
use crate::text::NameKey;

use super::attrs::Attributes;
use super::graph::Graph;
use super::store::{DocOrder, Lists, Texts};
use super::{
    Catalog, Entry, Grants, Group, Groups, MemberIndex, Meta, RoleDef, Tenant, UserExtra, Users,
    TAG_ADMIN, TAG_LIVE, TAG_OWNER,
};
use crate::ids::NO_INDEX;

/// Ids in slot order: the defined ones by id, then the others mentioned, by id. Mentions are
/// looked up in a table of the defined ids rather than sorted, so the cost is one lookup per
/// mention however many there are.
fn slot_ids<'a>(defined: &[&'a str], mentioned: Vec<&'a str>) -> Vec<&'a str> {
    let mut defined: Vec<&str> = defined.to_vec();
    defined.sort_unstable();
    let known: IdTable<UserIx> = IdTable::from_distinct(defined.iter().copied());
    let mut others: Vec<&str> = mentioned
        .into_iter()
        .filter(|id| known.get(id).is_none())
        .collect();
    others.sort_unstable();
    others.dedup();
    defined.extend(others);
    defined
}

/// The tag of a user slot: live, and the org role.
pub(crate) fn user_tag(live: bool, org: OrgRole) -> u8 {
    if !live {
        return 0;
    }
    TAG_LIVE
        | match org {
            OrgRole::Owner => TAG_OWNER,
            OrgRole::Admin => TAG_ADMIN,
            OrgRole::Member => 0,
        }
}

impl Tenant {
    /// Compiles a snapshot.
    pub fn compile(snap: Snapshot) -> Tenant {
        let Snapshot {
            revision,
            as_of,
            default_locale,
            default_dashboard,
            users,
            groups,
            roles,
            products,
            modules,
            attributes,
        } = snap;

        // Every id, defined or mentioned.
        let mut user_refs: Vec<&str> = Vec::new();
        let mut group_refs: Vec<&str> = Vec::new();
        let mut role_refs: Vec<&str> = Vec::new();
        let mut product_refs: Vec<&str> = Vec::new();
        let mut module_refs: Vec<&str> = Vec::new();
        let mut perm_refs: Vec<&str> = Vec::new();
        for u in &users {
            role_refs.extend(u.roles.iter().map(String::as_str));
            group_refs.extend(u.primary_group.as_deref());
            module_refs.extend(u.homepage_module.as_deref());
        }
        for g in &groups {
            user_refs.extend(g.members.iter().map(|e| &*e.user));
            group_refs.extend(g.include_groups.iter().map(String::as_str));
            role_refs.extend(g.roles.iter().map(String::as_str));
            product_refs.extend(g.products.iter().map(String::as_str));
            module_refs.extend(g.homepage_module.as_deref());
        }
        for r in &roles {
            perm_refs.extend(r.permissions.iter().map(String::as_str));
        }
        for m in modules.iter().flatten() {
            perm_refs.extend(m.required_permission.as_deref());
        }
        let user_ids: IdTable<UserIx> = IdTable::from_distinct(slot_ids(
            &users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
            user_refs,
        ));
        let group_ids: IdTable<GroupIx> = IdTable::from_distinct(slot_ids(
            &groups.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(),
            group_refs,
        ));
        let mut role_ids: IdTable<RoleIx> = IdTable::from_distinct(slot_ids(
            &roles.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            role_refs,
        ));
        let mut product_ids: IdTable<ProductIx> = IdTable::from_distinct(slot_ids(
            &products.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            product_refs,
        ));
        let module_ids: IdTable<ModuleIx> = IdTable::from_distinct(slot_ids(
            &modules
                .iter()
                .flatten()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>(),
            module_refs,
        ));
        let perms: IdTable<PermIx> = IdTable::from_distinct(slot_ids(&[], perm_refs));

        // Users, by column.
        let n_users = user_ids.len();
        let mut slot_of_doc = Vec::with_capacity(users.len());
        let mut u = Users {
            ids: Arc::new(IdTable::default()),
            live: Arc::new(Bits::empty(n_users)),
            names: Arc::new(Texts::default()),
            org: Arc::new(vec![OrgRole::Member; n_users]),
            primary: Arc::new(vec![NO_INDEX; n_users]),
            homepage: Arc::new(vec![NO_INDEX; n_users]),
            prevent: Arc::new(Bits::empty(n_users)),
            dashboards: Arc::new(Map::default()),
            roles: Arc::new(Lists::default()),
            notes: Arc::new(Map::default()),
            doc: Arc::new(DocOrder::default()),
            extras: Arc::new(Map::default()),
        };
        let mut names: Vec<Option<String>> = vec![None; n_users];
        let mut direct: Vec<Vec<RoleIx>> = vec![Vec::new(); n_users];
        let mut user_ids = user_ids;
        {
            let live = Arc::make_mut(&mut u.live);
            let org = Arc::make_mut(&mut u.org);
            let primary = Arc::make_mut(&mut u.primary);
            let homepage = Arc::make_mut(&mut u.homepage);
            let prevent = Arc::make_mut(&mut u.prevent);
            let dashboards = Arc::make_mut(&mut u.dashboards);
            let notes = Arc::make_mut(&mut u.notes);
            let doc = Arc::make_mut(&mut u.doc);
            let extras = Arc::make_mut(&mut u.extras);
            for user in users {
                let Some(slot) = user_ids.get(&user.id) else {
                    continue;
                };
                let i = slot.index();
                slot_of_doc.push(slot);
                doc.append(i);
                live.insert(slot.get());
                user_ids.set_tag(slot, user_tag(true, user.org_role));
                if let Some(o) = org.get_mut(i) {
                    *o = user.org_role;
                }
                if let Some(p) = primary.get_mut(i) {
                    *p = user
                        .primary_group
                        .as_deref()
                        .and_then(|id| group_ids.get(id))
                        .map_or(NO_INDEX, |g| g.get());
                }
                if let Some(h) = homepage.get_mut(i) {
                    *h = user
                        .homepage_module
                        .as_deref()
                        .and_then(|id| module_ids.get(id))
                        .map_or(NO_INDEX, |m| m.get());
                }
                if user.prevent_homepage_redirect {
                    prevent.insert(slot.get());
                }
                if let Some(extra) = UserExtra::of(&user) {
                    extras.insert(slot, extra);
                }
                if let Some(d) = user.dashboard {
                    dashboards.insert(slot, d);
                }
                if !user.notes.is_empty() {
                    notes.insert(slot, user.notes);
                }
                if let Some(n) = names.get_mut(i) {
                    *n = user.name;
                }
                if let Some(d) = direct.get_mut(i) {
                    *d = user
                        .roles
                        .iter()
                        .filter_map(|id| role_ids.get(id))
                        .collect();
                }
            }
        }
        {
            let texts = Arc::make_mut(&mut u.names);
            for name in &names {
                texts.push(name.as_deref());
            }
        }
        u.roles = Arc::new(Lists::from_rows(direct));
        u.ids = Arc::new(user_ids);

        // Groups.
        let mut defs: Vec<Arc<Group>> = (0..group_ids.len())
            .map(|_| Arc::new(Group::default()))
            .collect();
        let mut group_doc = DocOrder::default();
        for group in groups {
            let Some(slot) = group_ids.get(&group.id) else {
                continue;
            };
            group_doc.append(slot.index());
            let def = group_def(
                group,
                &u.ids,
                &group_ids,
                &role_ids,
                &product_ids,
                &module_ids,
            );
            if let Some(d) = defs.get_mut(slot.index()) {
                *d = Arc::new(def);
            }
        }

        // Roles, products, modules.
        let mut role_defs: Vec<RoleDef> = vec![RoleDef::default(); role_ids.len()];
        let mut role_doc = DocOrder::default();
        for role in roles {
            let Some(slot) = role_ids.get(&role.id) else {
                continue;
            };
            role_doc.append(slot.index());
            role_ids.set_tag(slot, TAG_LIVE);
            if let Some(d) = role_defs.get_mut(slot.index()) {
                let mut granted: Vec<PermIx> = role
                    .permissions
                    .iter()
                    .filter_map(|p| perms.get(p))
                    .collect();
                granted.sort_unstable();
                granted.dedup();
                *d = RoleDef {
                    live: true,
                    name: role.name,
                    perms: granted,
                    privileged: role.privileged,
                };
            }
        }
        let mut product_live = vec![false; product_ids.len()];
        let mut product_names = vec![None; product_ids.len()];
        let mut product_doc = DocOrder::default();
        for product in products {
            let Some(slot) = product_ids.get(&product.id) else {
                continue;
            };
            product_doc.append(slot.index());
            product_ids.set_tag(slot, TAG_LIVE);
            if let Some(l) = product_live.get_mut(slot.index()) {
                *l = true;
            }
            if let Some(n) = product_names.get_mut(slot.index()) {
                *n = product.name;
            }
        }
        let modules_listed = modules.is_some();
        let mut module_live = vec![false; module_ids.len()];
        let mut module_required = vec![None; module_ids.len()];
        let mut module_names = vec![None; module_ids.len()];
        let mut module_doc = DocOrder::default();
        for module in modules.into_iter().flatten() {
            let Some(slot) = module_ids.get(&module.id) else {
                continue;
            };
            module_doc.append(slot.index());
            if let Some(l) = module_live.get_mut(slot.index()) {
                *l = true;
            }
            if let Some(n) = module_names.get_mut(slot.index()) {
                n.clone_from(&module.name);
            }
            if let Some(r) = module_required.get_mut(slot.index()) {
                *r = module
                    .required_permission
                    .as_deref()
                    .and_then(|p| perms.get(p));
            }
        }

        let attrs = Attributes::build(attributes.columns, &slot_of_doc, n_users);
        let mut tenant = Tenant {
            meta: Arc::new(Meta {
                revision,
                as_of: as_of.as_ref().and_then(|s| s.instant),
                as_of_text: as_of.map(|s| s.text),
                default_locale,
                default_dashboard,
            }),
            users: u,
            groups: Groups {
                ids: Arc::new(group_ids),
                defs,
                doc: Arc::new(group_doc),
            },
            catalog: Arc::new(Catalog {
                roles: role_ids,
                role_defs,
                role_doc,
                products: product_ids,
                product_live,
                product_names,
                product_doc,
                modules_listed,
                modules: module_ids,
                module_live,
                module_required,
                module_names,
                module_doc,
                perms,
            }),
            attrs,
            graph: Arc::new(Graph::default()),
            grants: Grants::default(),
            index: MemberIndex::default(),
            by_name: Arc::new(Vec::new()),
            name_rank: Arc::new(Vec::new()),
            notes: Arc::new(super::notes::Notes::default()),
            vocabulary: Arc::default(),
        };
        tenant.rebuild_by_name();
        tenant.derive_members();
        tenant.refresh_all_notes();
        tenant
    }

    /// Derives from what the tenant says everything members depend on and follow from:
    /// manual members, the dependency graph, members, the member index, and which groups
    /// carry each product and whom they reach. A load and a restore both end here.
    pub(crate) fn derive_members(&mut self) {
        for g in 0..self.groups.defs.len() {
            if let Some(g) = GroupIx::from_usize(g) {
                self.refresh_manual(g);
            }
        }
        self.rebuild_graph();
        self.compute_all_members();
        self.rebuild_member_index();
        self.rebuild_product_groups();
        self.rebuild_product_users();
    }

    /// Rebuilds the dependency graph from every live group's includes and rule.
    pub(crate) fn rebuild_graph(&mut self) {
        let n = self.groups.defs.len();
        let mut includes = Vec::with_capacity(n);
        let mut member_of = Vec::with_capacity(n);
        for g in 0..n {
            let Some(g) = GroupIx::from_usize(g) else {
                continue;
            };
            if !self.group_live(g) {
                includes.push(Vec::new());
                member_of.push(Vec::new());
                continue;
            }
            includes.push(self.includes(g));
            member_of.push(
                self.rule(g)
                    .map(|rule| {
                        self.member_of_targets(rule)
                            .into_iter()
                            .filter(|&t| self.group_live(t))
                            .collect()
                    })
                    .unwrap_or_default(),
            );
        }
        self.graph = Arc::new(Graph::build(&includes, &member_of));
    }

    /// Rebuilds the order people see users in: by name as people expect, then id.
    pub(crate) fn rebuild_by_name(&mut self) {
        let mut keyed: Vec<(NameKey, UserIx)> = self
            .users_by_id()
            .map(|u| (self.user_name_key(u), u))
            .collect();
        // Users come in id order, so a stable sort on the name keys leaves ties by id.
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let live: Vec<UserIx> = keyed.into_iter().map(|(_, u)| u).collect();
        self.by_name = Arc::new(live);
        self.rebuild_name_rank();
    }

    /// Each user's place in `by_name`.
    pub(crate) fn rebuild_name_rank(&mut self) {
        let mut rank = vec![u32::MAX; self.user_slots()];
        for (i, &u) in self.by_name.iter().enumerate() {
            if let Some(r) = rank.get_mut(u.index()) {
                *r = u32::try_from(i).unwrap_or(u32::MAX);
            }
        }
        self.name_rank = Arc::new(rank);
    }
}

/// A group as the model keeps it: references resolved to slots.
pub(crate) fn group_def(
    group: snapshot::Group,
    users: &IdTable<UserIx>,
    groups: &IdTable<GroupIx>,
    roles: &IdTable<RoleIx>,
    products: &IdTable<ProductIx>,
    modules: &IdTable<ModuleIx>,
) -> Group {
    let mut stamps: Vec<[Option<Stamp>; 3]> = Vec::new();
    let entries = group
        .members
        .into_iter()
        .filter_map(|entry| {
            let user = users.get(&entry.user)?;
            let index = match entry.stamps {
                Some(times) => {
                    stamps.push(*times);
                    u32::try_from(stamps.len() - 1).unwrap_or(NO_INDEX)
                }
                None => NO_INDEX,
            };
            Some(Entry {
                user,
                stamps: index,
            })
        })
        .collect();
    let rule = match group.rule {
        RuleSource::Valid(rule) => Some(Arc::new(rule)),
        RuleSource::None | RuleSource::Invalid => None,
    };
    let created = group
        .created_at
        .as_deref()
        .and_then(crate::time::parse_rfc3339);
    Group {
        live: true,
        name: group.name,
        slug: group.slug,
        description: group.description,
        avatar: group.avatar,
        active: group.is_active,
        visible: group.is_visible,
        homepage: group
            .homepage_module
            .as_deref()
            .and_then(|m| modules.get(m)),
        dashboard: group.dashboard,
        draft: group.dashboard_draft,
        entries,
        stamps,
        include: group
            .include_groups
            .iter()
            .filter_map(|id| groups.get(id))
            .collect(),
        rule,
        rule_source: group.rule_source,
        roles: group.roles.iter().filter_map(|id| roles.get(id)).collect(),
        products: group
            .products
            .iter()
            .filter_map(|id| products.get(id))
            .collect(),
        created_at: group.created_at,
        created,
        created_by: group.created_by,
        notes: group.notes,
        ..Group::default()
    }
}
