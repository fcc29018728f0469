//! The compiled tenant: every id interned, every reference resolved, every group's members
//! computed. It knows no JSON answers; the domain modules above read it through the query
//! methods here.
//!
//! Users, groups, roles, products and modules live in **slots**: one per id the snapshot
//! mentions, whether it defines it or only refers to it. A reference to an unknown id is a
//! slot that is not *live*; it dangles, counts as absent, and comes alive if a later change
//! adds that id. Slots are never reused, so indices stay valid across changes.
//!
//! The parts are held behind `Arc`s at the grain a change touches (a column, a group, a
//! product's users), so that cloning a tenant is cheap and a change copies only what it
//! touches: `apply` works on a clone and swaps it in, which makes every change list atomic.
//!
//! Submodules, in the order data flows through them:
//! - `store`: flat per-item storage;
//! - `attrs` and `eval`: attribute columns and rule evaluation;
//! - `graph`: the dependency order of groups, and cycles;
//! - `membership`: manual entries and time windows, and members as a least fixpoint;
//! - `grants`: which active groups carry each product, and whom they reach;
//! - `notes`: diagnostics, in document order;
//! - `compile`: a snapshot into a tenant; `change`: a change list into a new tenant;
//! - `compiled`: the tenant as compiled-snapshot bytes, and back;
//! - `export`: the tenant written back as a snapshot, whole or one item;
//! - `vocabulary`: what rules can name, ranked for suggestions, and the lookups rules search,
//!   built on first use.
//!
//! INVARIANT: each rule of the contract is decided by one function here: [`Tenant::grants`]
//! (an inactive group grants nothing), [`membership::in_effect`] (time windows),
//! [`Tenant::bypass`] (owners and admins), [`Graph::rule_on_cycle`] (`MEMBER OF` cycles).

mod attrs;
mod change;
mod compile;
mod compiled;
mod eval;
mod export;
mod grants;
mod graph;
mod membership;
mod notes;
mod store;
mod vocabulary;

pub use change::{Change, Delta};
pub use eval::{Actual, TooCostly, Trace};
pub use graph::Graph;
pub use notes::Diagnostic;
pub use vocabulary::{Ranked, UserChoice, ValueKind, Values, Vocabulary};

use std::sync::Arc;

use crate::hash::Map;
use crate::ids::{present, GroupIx, IdTable, Ix, ModuleIx, PermIx, ProductIx, RoleIx, UserIx};
use crate::json::Canonical;
use crate::rules::{RecordField, Rule};
use crate::sets::{Bits, UserSet};
use crate::snapshot::{slug_well_formed, Localized, Note, OrgRole, Stamp};
use crate::text::NameKey;
use crate::time::Instant;

use self::attrs::Attributes;
use self::store::{DocOrder, Lists, Texts};

/// Tag bits of a user slot in its id table: live, and the org role.
const TAG_LIVE: u8 = 1;
const TAG_OWNER: u8 = 2;
const TAG_ADMIN: u8 = 4;

/// Snapshot-wide settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Meta {
    pub revision: Option<String>,
    pub as_of: Option<Instant>,
    /// `asOf` as written.
    pub as_of_text: Option<String>,
    pub default_locale: String,
    pub default_dashboard: Option<Canonical>,
}

/// The users, by column.
#[derive(Debug, Clone, Default)]
pub(crate) struct Users {
    pub ids: Arc<IdTable<UserIx>>,
    pub live: Arc<Bits>,
    pub names: Arc<Texts>,
    pub org: Arc<Vec<OrgRole>>,
    pub primary: Arc<Vec<u32>>,
    pub homepage: Arc<Vec<u32>>,
    pub prevent: Arc<Bits>,
    pub dashboards: Arc<Map<UserIx, Canonical>>,
    pub roles: Arc<Lists<RoleIx>>,
    pub notes: Arc<Map<UserIx, Vec<Note>>>,
    pub doc: Arc<DocOrder>,
    /// What the few users that have it hold beyond what evaluation reads.
    pub extras: Arc<Map<UserIx, Box<UserExtra>>>,
}

/// What a user's document holds that no rule or answer reads, kept so that the snapshot
/// written back (the `snapshot` and `definition` answers) says what the host said: the
/// preferred locale, an `orgRole` the contract does not know (the user reads as a member),
/// attributes of a type §1 does not allow (ignored by rules, each with a diagnostic).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UserExtra {
    pub locale: Option<Box<str>>,
    pub org_role: Option<Box<str>>,
    /// `(key, value)`, as read.
    pub attributes: Vec<(Box<str>, Canonical)>,
}

impl UserExtra {
    /// What `user` holds beyond evaluation, if anything.
    pub(crate) fn of(user: &crate::snapshot::User) -> Option<Box<UserExtra>> {
        let extra = UserExtra {
            locale: user.locale.as_deref().map(Into::into),
            org_role: user.unknown_org_role.as_deref().map(Into::into),
            attributes: user
                .ignored_attributes
                .iter()
                .map(|(k, v)| (k.as_str().into(), v.clone()))
                .collect(),
        };
        (extra != UserExtra::default()).then(|| Box::new(extra))
    }
}

/// One member entry: the user's slot and, when it has timestamps, where they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub user: UserIx,
    pub stamps: u32,
}

/// A group slot: what the snapshot says, resolved, and the members computed from it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Group {
    pub live: bool,
    pub name: Localized,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub avatar: Option<String>,
    pub active: bool,
    pub visible: bool,
    pub homepage: Option<ModuleIx>,
    pub dashboard: Option<Canonical>,
    pub draft: Option<Canonical>,
    pub entries: Vec<Entry>,
    pub stamps: Vec<[Option<Stamp>; 3]>,
    pub include: Vec<GroupIx>,
    pub rule: Option<Arc<Rule>>,
    /// The rule as written, when it is text or invalid (a valid AST is written back from
    /// `rule`).
    pub rule_source: Option<Canonical>,
    pub roles: Vec<RoleIx>,
    pub products: Vec<ProductIx>,
    pub created_at: Option<String>,
    pub created: Option<Instant>,
    pub created_by: Option<String>,
    pub notes: Vec<Note>,
    /// Users with an entry in effect.
    pub manual: UserSet,
    /// The earliest `addedAt` of each manual member, as `(user, stamp index)`, by user.
    pub added: Vec<(u32, u32)>,
    /// Every member (shared by the groups of an include cycle).
    pub members: Arc<UserSet>,
    /// How many users the rule matches.
    pub dynamic_count: usize,
}

/// The groups, by slot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Groups {
    pub ids: Arc<IdTable<GroupIx>>,
    pub defs: Vec<Arc<Group>>,
    pub doc: Arc<DocOrder>,
}

/// A role slot.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RoleDef {
    pub live: bool,
    pub name: Localized,
    pub perms: Vec<PermIx>,
    pub privileged: bool,
}

/// Roles, products, modules and permissions: small tables.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    pub roles: IdTable<RoleIx>,
    pub role_defs: Vec<RoleDef>,
    pub role_doc: DocOrder,
    pub products: IdTable<ProductIx>,
    pub product_live: Vec<bool>,
    pub product_names: Vec<Option<String>>,
    pub product_doc: DocOrder,
    /// Whether the snapshot lists modules (when not, every module is valid).
    pub modules_listed: bool,
    pub modules: IdTable<ModuleIx>,
    pub module_live: Vec<bool>,
    pub module_required: Vec<Option<PermIx>>,
    pub module_names: Vec<Option<String>>,
    pub module_doc: DocOrder,
    pub perms: IdTable<PermIx>,
}

/// Which users each product reaches.
#[derive(Debug, Clone, Default)]
pub(crate) struct Grants {
    /// Per product slot, the live active groups that carry it, by group id.
    pub groups: Arc<Vec<Vec<GroupIx>>>,
    /// Per product slot, the users those groups reach; `None` when holding them all would
    /// cost more than the budget (the check then asks the groups).
    pub users: Option<Vec<Arc<UserSet>>>,
}

/// Which groups hold each user.
#[derive(Debug, Clone, Default)]
pub(crate) struct MemberIndex {
    /// Per user slot, the groups held as lists that have the user, by slot.
    pub sparse: Arc<Lists<GroupIx>>,
    /// The groups held as bitsets, by slot.
    pub dense: Arc<Vec<GroupIx>>,
}

/// The compiled tenant.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub(crate) meta: Arc<Meta>,
    pub(crate) users: Users,
    pub(crate) groups: Groups,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) attrs: Attributes,
    pub(crate) graph: Arc<Graph>,
    pub(crate) grants: Grants,
    pub(crate) index: MemberIndex,
    /// Live users in the order people see them: by name, then id.
    pub(crate) by_name: Arc<Vec<UserIx>>,
    /// Each user slot's place in `by_name` (`u32::MAX` for slots that hold no user).
    pub(crate) name_rank: Arc<Vec<u32>>,
    pub(crate) notes: Arc<notes::Notes>,
    /// What rules can name, for suggestions: filled on first use, emptied by every change.
    pub(crate) vocabulary: Arc<Vocabulary>,
}

/// Why an owner or admin may use any product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bypass {
    /// An org owner.
    Owner,
    /// An org admin.
    Admin,
}

impl Bypass {
    /// Whether an org role bypasses group limits on products (SPEC §5): the one place that
    /// says which roles do.
    pub fn of(role: OrgRole) -> Option<Bypass> {
        match role {
            OrgRole::Owner => Some(Bypass::Owner),
            OrgRole::Admin => Some(Bypass::Admin),
            OrgRole::Member => None,
        }
    }
}

/// The org role a user slot's tag carries (see `compile::user_tag`), so that the access
/// check reads it from the id lookup it already made.
fn tag_org(tag: u8) -> OrgRole {
    if tag & TAG_OWNER != 0 {
        OrgRole::Owner
    } else if tag & TAG_ADMIN != 0 {
        OrgRole::Admin
    } else {
        OrgRole::Member
    }
}

/// How a user is a member of a group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    /// Listed with an entry in effect.
    pub manual: bool,
    /// Matched by the rule.
    pub dynamic: bool,
    /// The active included groups that hold the user, by id.
    pub via: Vec<GroupIx>,
}

impl Membership {
    /// Whether the user is a member at all.
    pub fn is_member(&self) -> bool {
        self.manual || self.dynamic || !self.via.is_empty()
    }
}

impl Tenant {
    // ----- snapshot-wide -----

    /// The revision.
    pub fn revision(&self) -> Option<&str> {
        self.meta.revision.as_deref()
    }

    /// The default locale.
    pub fn default_locale(&self) -> &str {
        &self.meta.default_locale
    }

    /// The tenant's default dashboard.
    pub fn default_dashboard(&self) -> Option<&Canonical> {
        self.meta.default_dashboard.as_ref()
    }

    /// How many user slots (live or not): the size of user bitsets.
    pub fn user_slots(&self) -> usize {
        self.users.ids.len()
    }

    // ----- users -----

    /// The live user with id `id`.
    #[inline]
    pub fn user(&self, id: &str) -> Option<UserIx> {
        match self.users.ids.lookup(id) {
            Some((u, tag)) if tag & TAG_LIVE != 0 => Some(u),
            _ => None,
        }
    }

    /// The live user with id `id`, and whether the org role bypasses group limits, in one
    /// lookup: the access check's first step.
    #[inline]
    pub fn user_for_check(&self, id: &str) -> Option<(UserIx, Option<Bypass>)> {
        match self.users.ids.lookup(id) {
            Some((u, tag)) if tag & TAG_LIVE != 0 => Some((u, Bypass::of(tag_org(tag)))),
            _ => None,
        }
    }

    /// Whether slot `u` holds a user.
    pub fn user_live(&self, u: UserIx) -> bool {
        self.users.live.contains(u.get())
    }

    /// The live users as a bitset.
    pub fn live_users(&self) -> &Bits {
        &self.users.live
    }

    /// How many users.
    pub fn user_count(&self) -> usize {
        self.by_name.len()
    }

    /// The id of user slot `u`.
    pub fn user_id(&self, u: UserIx) -> &str {
        self.users.ids.id(u)
    }

    /// The display name of `u`.
    pub fn user_name(&self, u: UserIx) -> Option<&str> {
        self.users.names.get(u.index())
    }

    /// The org role of `u`.
    pub fn org_role(&self, u: UserIx) -> OrgRole {
        self.users.org.get(u.index()).copied().unwrap_or_default()
    }

    /// Owners and admins bypass group limits on products (SPEC §5).
    pub fn bypass(&self, u: UserIx) -> Option<Bypass> {
        Bypass::of(self.org_role(u))
    }

    /// The user's primary group, when set and live.
    pub fn primary_group(&self, u: UserIx) -> Option<GroupIx> {
        self.users
            .primary
            .get(u.index())
            .and_then(|&g| present::<GroupIx>(g))
            .filter(|&g| self.group_live(g))
    }

    /// The user's own homepage module, as written.
    pub fn user_homepage(&self, u: UserIx) -> Option<ModuleIx> {
        self.users
            .homepage
            .get(u.index())
            .and_then(|&m| present::<ModuleIx>(m))
    }

    /// Whether `u` is never redirected.
    pub fn prevents_redirect(&self, u: UserIx) -> bool {
        self.users.prevent.contains(u.get())
    }

    /// The user's own dashboard.
    pub fn user_dashboard(&self, u: UserIx) -> Option<&Canonical> {
        self.users.dashboards.get(&u)
    }

    /// The live roles assigned to `u` directly, by id, without duplicates.
    pub fn direct_roles(&self, u: UserIx) -> Vec<RoleIx> {
        live_by_id(
            self.users.roles.get(u.index()),
            |r| self.role_live(r),
            &self.catalog.roles,
        )
    }

    /// Live users by name, then id.
    pub fn users_by_name(&self) -> &[UserIx] {
        &self.by_name
    }

    /// `u`'s place in the order people see users.
    pub fn name_rank(&self, u: UserIx) -> u32 {
        self.name_rank.get(u.index()).copied().unwrap_or(u32::MAX)
    }

    /// Live users by id.
    pub fn users_by_id(&self) -> impl Iterator<Item = UserIx> + '_ {
        self.users.ids.in_order().filter(|&u| self.user_live(u))
    }

    /// Compares two users by id.
    pub fn user_rank(&self, u: UserIx) -> u32 {
        self.users.ids.rank(u)
    }

    // ----- groups -----

    pub(crate) fn def(&self, g: GroupIx) -> &Group {
        static ABSENT: std::sync::OnceLock<Group> = std::sync::OnceLock::new();
        self.groups
            .defs
            .get(g.index())
            .map(|d| &**d)
            .unwrap_or_else(|| ABSENT.get_or_init(Group::default))
    }

    /// The live group with id `id`.
    pub fn group(&self, id: &str) -> Option<GroupIx> {
        self.groups.ids.get(id).filter(|&g| self.group_live(g))
    }

    /// A user-record field of `u` (SPEC §4.1): the one place that says what each reads.
    pub fn record_str(&self, field: RecordField, u: UserIx) -> Option<&str> {
        match field {
            RecordField::Id => Some(self.user_id(u)),
            RecordField::Name => self.user_name(u),
            RecordField::OrgRole => Some(self.org_role(u).as_str()),
        }
    }

    /// Where `u` sorts among the users shown to people: by name (SPEC §2); a user without a
    /// name sorts as the empty name.
    pub(crate) fn user_name_key(&self, u: UserIx) -> NameKey {
        NameKey::new(self.users.names.get(u.index()).unwrap_or(""))
    }

    /// Whether slot `g` holds a group.
    pub fn group_live(&self, g: GroupIx) -> bool {
        self.def(g).live
    }

    /// The id of group slot `g`.
    pub fn group_id(&self, g: GroupIx) -> &str {
        self.groups.ids.id(g)
    }

    /// Live groups by id.
    pub fn groups_by_id(&self) -> impl Iterator<Item = GroupIx> + '_ {
        self.groups.ids.in_order().filter(|&g| self.group_live(g))
    }

    /// Sorts groups by id.
    pub fn sort_groups(&self, groups: &mut [GroupIx]) {
        self.groups.ids.sort(groups);
    }

    /// The rank of `g` in id order.
    pub fn group_rank(&self, g: GroupIx) -> u32 {
        self.groups.ids.rank(g)
    }

    /// Whether `g` is active.
    pub fn is_active(&self, g: GroupIx) -> bool {
        self.def(g).active
    }

    /// Whether `g` grants what it carries: roles, products, a homepage, a dashboard, and its
    /// members to the groups that include it. An inactive group grants nothing (SPEC §3.3).
    pub fn grants(&self, g: GroupIx) -> bool {
        let def = self.def(g);
        def.live && def.active
    }

    /// The name of `g`.
    pub fn group_name(&self, g: GroupIx) -> &Localized {
        &self.def(g).name
    }

    /// `g`'s slug, description, avatar, `createdAt` text and instant, `createdBy`.
    pub fn group_listing(&self, g: GroupIx) -> GroupListing<'_> {
        let def = self.def(g);
        GroupListing {
            slug: def
                .slug
                .as_deref()
                .filter(|slug| slug_well_formed(slug) && !self.notes.slug_taken.contains(g.get())),
            description: def.description.as_deref(),
            avatar: def.avatar.as_deref(),
            created_at: def.created_at.as_deref(),
            created: def.created,
            created_by: def.created_by.as_deref(),
            visible: def.visible,
        }
    }

    /// The module `g` sends its members to, as written.
    pub fn group_homepage(&self, g: GroupIx) -> Option<ModuleIx> {
        self.def(g).homepage
    }

    /// `g`'s published dashboard.
    pub fn group_dashboard(&self, g: GroupIx) -> Option<&Canonical> {
        self.def(g).dashboard.as_ref()
    }

    /// `g`'s draft dashboard.
    pub fn group_draft(&self, g: GroupIx) -> Option<&Canonical> {
        self.def(g).draft.as_ref()
    }

    /// The live roles `g` carries, by id, without duplicates.
    pub fn group_roles(&self, g: GroupIx) -> Vec<RoleIx> {
        live_by_id(
            &self.def(g).roles,
            |r| self.role_live(r),
            &self.catalog.roles,
        )
    }

    /// The live products `g` carries, by id, without duplicates.
    pub fn group_products(&self, g: GroupIx) -> Vec<ProductIx> {
        live_by_id(
            &self.def(g).products,
            |p| self.product_live(p),
            &self.catalog.products,
        )
    }

    /// The live groups `g` includes, by id, without duplicates.
    pub fn includes(&self, g: GroupIx) -> Vec<GroupIx> {
        live_by_id(
            &self.def(g).include,
            |s| self.group_live(s),
            &self.groups.ids,
        )
    }

    /// `g`'s rule, when it has a valid one.
    pub fn rule(&self, g: GroupIx) -> Option<&Rule> {
        self.def(g).rule.as_deref()
    }

    /// Whether `g`'s rule matches nobody because a `MEMBER OF` edge of it lies on a cycle.
    pub fn rule_on_cycle(&self, g: GroupIx) -> bool {
        self.graph.rule_on_cycle(g)
    }

    /// The members of `g`.
    pub fn members(&self, g: GroupIx) -> &UserSet {
        &self.def(g).members
    }

    /// Whether `u` is a member of `g`.
    #[inline]
    pub fn is_member(&self, g: GroupIx, u: UserIx) -> bool {
        self.def(g).members.contains(u)
    }

    /// Whether `u` has an entry in effect in `g`.
    pub fn is_manual(&self, g: GroupIx, u: UserIx) -> bool {
        self.def(g).manual.contains(u)
    }

    /// The manual members of `g`.
    pub fn manual_members(&self, g: GroupIx) -> &UserSet {
        &self.def(g).manual
    }

    /// The earliest `addedAt` of `u`'s entries in `g`, as written.
    pub fn added_at(&self, g: GroupIx, u: UserIx) -> Option<&str> {
        let def = self.def(g);
        let at = def.added.binary_search_by_key(&u.get(), |a| a.0).ok()?;
        let (_, stamp) = def.added.get(at)?;
        def.stamps
            .get(*stamp as usize)
            .and_then(|s| s[0].as_ref())
            .map(|s| s.text.as_str())
    }

    /// Whether `g`'s rule matches `u` (false without a valid rule, or on a cycle).
    pub fn is_dynamic(&self, g: GroupIx, u: UserIx) -> bool {
        match self.rule(g) {
            Some(rule) if !self.rule_on_cycle(g) => self.user_matches(rule, u),
            _ => false,
        }
    }

    /// How many users `g`'s rule matches.
    pub fn dynamic_count(&self, g: GroupIx) -> usize {
        self.def(g).dynamic_count
    }

    /// The users `g`'s rule matches.
    pub fn dynamic_members(&self, g: GroupIx) -> Bits {
        match self.rule(g) {
            Some(rule) if !self.rule_on_cycle(g) => self.matching_users(rule),
            _ => Bits::default(),
        }
    }

    /// The active groups `g` includes that hold `u`, by id (SPEC §3.2 `via`).
    pub fn via(&self, g: GroupIx, u: UserIx) -> Vec<GroupIx> {
        self.includes(g)
            .into_iter()
            .filter(|&s| self.grants(s) && self.is_member(s, u))
            .collect()
    }

    /// How `u` is a member of `g`, read off the final member sets (SPEC §3.2).
    pub fn membership(&self, g: GroupIx, u: UserIx) -> Membership {
        Membership {
            manual: self.is_manual(g, u),
            dynamic: self.is_dynamic(g, u),
            via: self.via(g, u),
        }
    }

    /// The groups `u` is a member of, by id.
    pub fn groups_of(&self, u: UserIx) -> Vec<GroupIx> {
        let mut out: Vec<GroupIx> = self.index.sparse.get(u.index()).to_vec();
        out.extend(
            self.index
                .dense
                .iter()
                .copied()
                .filter(|&g| self.is_member(g, u)),
        );
        out.retain(|&g| self.group_live(g));
        self.sort_groups(&mut out);
        out.dedup();
        out
    }

    /// The groups that grant to `u`: active groups `u` is a member of, by id.
    pub fn granting_groups_of(&self, u: UserIx) -> Vec<GroupIx> {
        let mut groups = self.groups_of(u);
        groups.retain(|&g| self.grants(g));
        groups
    }

    // ----- roles, permissions, products, modules -----

    /// Every role slot.
    pub fn catalog_roles(&self) -> impl Iterator<Item = RoleIx> + '_ {
        self.catalog.roles.in_order().filter(|&r| self.role_live(r))
    }

    /// How many role slots.
    pub fn role_slots(&self) -> usize {
        self.catalog.roles.len()
    }

    /// How many product slots.
    pub fn product_slots(&self) -> usize {
        self.catalog.products.len()
    }

    /// How many group slots.
    pub fn group_slots(&self) -> usize {
        self.groups.defs.len()
    }

    /// The live role with id `id`.
    pub fn role(&self, id: &str) -> Option<RoleIx> {
        self.catalog.roles.get(id).filter(|&r| self.role_live(r))
    }

    fn role_def(&self, r: RoleIx) -> Option<&RoleDef> {
        self.catalog.role_defs.get(r.index())
    }

    /// Whether slot `r` holds a role.
    pub fn role_live(&self, r: RoleIx) -> bool {
        self.role_def(r).is_some_and(|d| d.live)
    }

    /// The id of role slot `r`.
    pub fn role_id(&self, r: RoleIx) -> &str {
        self.catalog.roles.id(r)
    }

    /// The name of `r`.
    pub fn role_name(&self, r: RoleIx) -> Option<&Localized> {
        self.role_def(r).map(|d| &d.name)
    }

    /// Whether `r` is privileged.
    pub fn role_privileged(&self, r: RoleIx) -> bool {
        self.role_def(r).is_some_and(|d| d.privileged)
    }

    /// The permissions `r` grants.
    pub fn role_permissions(&self, r: RoleIx) -> &[PermIx] {
        self.role_def(r).map_or(&[], |d| d.perms.as_slice())
    }

    /// The permission with text `text`, if any role or module names it.
    pub fn permission(&self, text: &str) -> Option<PermIx> {
        self.catalog.perms.get(text)
    }

    /// The text of a permission.
    pub fn permission_text(&self, p: PermIx) -> &str {
        self.catalog.perms.id(p)
    }

    /// Sorts permissions by bytes.
    pub fn sort_permissions(&self, perms: &mut [PermIx]) {
        self.catalog.perms.sort(perms);
    }

    /// Sorts roles by id.
    pub fn sort_roles(&self, roles: &mut [RoleIx]) {
        self.catalog.roles.sort(roles);
    }

    /// The rank of `r` in id order.
    pub fn role_rank(&self, r: RoleIx) -> u32 {
        self.catalog.roles.rank(r)
    }

    /// The rank of `p` in id order.
    pub fn product_rank(&self, p: ProductIx) -> u32 {
        self.catalog.products.rank(p)
    }

    /// The live product with id `id`.
    #[inline]
    pub fn product(&self, id: &str) -> Option<ProductIx> {
        match self.catalog.products.lookup(id) {
            Some((p, tag)) if tag & TAG_LIVE != 0 => Some(p),
            _ => None,
        }
    }

    /// Whether slot `p` holds a product.
    pub fn product_live(&self, p: ProductIx) -> bool {
        self.catalog
            .product_live
            .get(p.index())
            .copied()
            .unwrap_or(false)
    }

    /// The id of product slot `p`.
    pub fn product_id(&self, p: ProductIx) -> &str {
        self.catalog.products.id(p)
    }

    /// Live products by id.
    pub fn products_by_id(&self) -> impl Iterator<Item = ProductIx> + '_ {
        self.catalog
            .products
            .in_order()
            .filter(|&p| self.product_live(p))
    }

    /// Sorts products by id.
    pub fn sort_products(&self, products: &mut [ProductIx]) {
        self.catalog.products.sort(products);
    }

    /// The live active groups that carry `p`, by id.
    pub fn product_groups(&self, p: ProductIx) -> &[GroupIx] {
        self.grants.groups.get(p.index()).map_or(&[], Vec::as_slice)
    }

    /// Whether some active group of `u` carries `p` (owners and admins aside).
    #[inline]
    pub fn reaches(&self, u: UserIx, p: ProductIx) -> bool {
        match &self.grants.users {
            Some(users) => users.get(p.index()).is_some_and(|set| set.contains(u)),
            None => self.product_groups(p).iter().any(|&g| self.is_member(g, u)),
        }
    }

    /// The module with id `id` as written (any id when the snapshot lists no modules).
    pub fn module_id(&self, m: ModuleIx) -> &str {
        self.catalog.modules.id(m)
    }

    /// Whether `m` is a valid homepage module for a user holding `perms` (sorted by slot):
    /// any module when the snapshot lists none; else a listed one whose required permission,
    /// if any, the user has (SPEC §6).
    pub fn module_valid(&self, m: ModuleIx, perms: &[PermIx]) -> bool {
        if self.module_unknown(m) {
            return false;
        }
        match self
            .catalog
            .module_required
            .get(m.index())
            .copied()
            .flatten()
        {
            None => true,
            Some(p) => perms.binary_search(&p).is_ok(),
        }
    }

    /// Whether `m` names no module while the snapshot lists modules (SPEC §6: when it lists
    /// none, every module is valid). The one place that says so, for validity and for the
    /// `dangling-reference` diagnostic alike.
    pub(crate) fn module_unknown(&self, m: ModuleIx) -> bool {
        let c = &self.catalog;
        c.modules_listed && !c.module_live.get(m.index()).copied().unwrap_or(false)
    }

    // ----- diagnostics -----

    /// Every diagnostic, in document order.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.collect_diagnostics()
    }
}

/// The items of `list` that `live` keeps, by id, without duplicates.
fn live_by_id<I: Ix>(list: &[I], live: impl Fn(I) -> bool, ids: &IdTable<I>) -> Vec<I> {
    let mut out: Vec<I> = list.iter().copied().filter(|&x| live(x)).collect();
    ids.sort(&mut out);
    out.dedup();
    out
}

/// What listings show of a group.
#[derive(Debug, Clone, Copy)]
pub struct GroupListing<'a> {
    /// The slug, when well formed and not taken by an earlier group.
    pub slug: Option<&'a str>,
    /// The description.
    pub description: Option<&'a str>,
    /// The avatar.
    pub avatar: Option<&'a str>,
    /// `createdAt` as written.
    pub created_at: Option<&'a str>,
    /// `createdAt` as an instant, when it parses.
    pub created: Option<Instant>,
    /// `createdBy`.
    pub created_by: Option<&'a str>,
    /// Whether listings show it by default.
    pub visible: bool,
}
