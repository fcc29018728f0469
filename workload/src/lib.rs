//! Deterministic synthetic tenants for benchmarks: the workload of `WORKLOAD.md`.
//!
//! [`generate`] writes the snapshot JSON text of one size from a seed.
//! The same size and seed give the same bytes on every platform: the generator uses its own
//! integer-only pseudo-random generator ([`SplitMix64`]) and no floating point.
//!
//! [`Tenant`] is the generated model before it is written out.
//! Benchmarks use it to pick their inputs (the check sequence, the userAccess users, the
//! largest group, the groups an `apply` touches) without parsing the JSON back.

use std::fmt::Write as _;

/// A workload size of `WORKLOAD.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// `small`, `medium`, `large` or `huge`.
    pub name: &'static str,
    pub users: usize,
    pub groups: usize,
    pub roles: usize,
    pub products: usize,
    pub modules: usize,
}

/// Every size, smallest first.
pub const SIZES: [Size; 4] = [
    Size {
        name: "small",
        users: 1_000,
        groups: 100,
        roles: 20,
        products: 50,
        modules: 10,
    },
    Size {
        name: "medium",
        users: 10_000,
        groups: 1_000,
        roles: 100,
        products: 500,
        modules: 20,
    },
    Size {
        name: "large",
        users: 100_000,
        groups: 5_000,
        roles: 300,
        products: 500,
        modules: 50,
    },
    Size {
        name: "huge",
        users: 1_000_000,
        groups: 20_000,
        roles: 500,
        products: 1_000,
        modules: 50,
    },
];

impl Size {
    /// Looks a size up by name.
    ///
    /// # Errors
    ///
    /// A message naming the known sizes when `name` is not one of them.
    pub fn by_name(name: &str) -> Result<Size, String> {
        SIZES
            .iter()
            .copied()
            .find(|size| size.name == name)
            .ok_or_else(|| {
                format!("unknown size `{name}`: expected one of small, medium, large, huge")
            })
    }
}

/// Number of permissions roles draw from.
pub const PERMISSIONS: usize = 1_000;
/// Length of the fixed check sequence.
pub const CHECKS: usize = 100_000;
/// Number of users in the fixed userAccess sequence.
pub const ACCESS_USERS: usize = 10_000;
/// The evaluation instant written as the snapshot's `asOf`.
pub const AS_OF: &str = "2025-06-01T00:00:00Z";
/// Greatest depth of the manager tree (the root user has depth 0).
pub const MAX_MANAGER_DEPTH: u8 = 12;
/// Greatest include depth of a composite group (a base group has depth 0).
pub const MAX_INCLUDE_DEPTH: u8 = 6;

/// Writes the snapshot JSON text for `size` (`small`, `medium`, `large`, `huge`) and `seed`.
///
/// # Errors
///
/// A message when `size` is not a known size.
pub fn generate(size: &str, seed: u64) -> Result<String, String> {
    Ok(Tenant::build(Size::by_name(size)?, seed).to_json())
}

/// The fixed check sequence as positions: `count` (user, product) pairs drawn from `seed` over
/// `users` users and `products` products. [`Tenant::check_sequence`] names them; a reader of
/// a generated snapshot (which lists users and products in index order) gets the same pairs
/// from the lists' lengths alone.
pub fn check_indices(
    seed: u64,
    users: usize,
    products: usize,
    count: usize,
) -> Vec<(usize, usize)> {
    let mut rng = stream(seed, 100);
    (0..count)
        .map(|_| (rng.below(users), rng.below(products)))
        .collect()
}

/// SplitMix64: a small, fast generator whose output depends only on the seed.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`), by multiply-shift.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: usize) -> bool {
        self.below(1000) < per_mille
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    /// Picks an index with the given integer weights (not all zero).
    pub fn weighted(&mut self, weights: &[usize]) -> usize {
        let total: usize = weights.iter().sum();
        let mut roll = self.below(total);
        for (index, weight) in weights.iter().enumerate() {
            if roll < *weight {
                return index;
            }
            roll -= weight;
        }
        weights.len() - 1
    }
}

/// Mixes a seed with a stream number so that each part of the tenant has its own sequence.
fn stream(seed: u64, part: u64) -> SplitMix64 {
    let mut mixer = SplitMix64::new(seed ^ part.wrapping_mul(0xd134_2543_de82_ef95));
    SplitMix64::new(mixer.next_u64())
}

pub const DEPARTMENTS: [&str; 20] = [
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Human Resources",
    "Legal",
    "Operations",
    "Support",
    "Product",
    "Design",
    "Research",
    "Security",
    "Facilities",
    "Procurement",
    "Data",
    "Quality",
    "Logistics",
    "Communications",
    "Customer Success",
    "Partnerships",
];

pub const LOCATIONS: [&str; 30] = [
    "Paris",
    "London",
    "Berlin",
    "Madrid",
    "Rome",
    "Lisbon",
    "Dublin",
    "Amsterdam",
    "Brussels",
    "Vienna",
    "Zurich",
    "Oslo",
    "Stockholm",
    "Helsinki",
    "Copenhagen",
    "Warsaw",
    "Prague",
    "Budapest",
    "Athens",
    "Istanbul",
    "New York",
    "San Francisco",
    "Seattle",
    "Austin",
    "Toronto",
    "Montreal",
    "Sao Paulo",
    "Singapore",
    "Sydney",
    "Tokyo",
];

/// Status values with their weights per thousand users.
pub const STATUSES: [(&str, usize); 3] = [("Active", 950), ("On Leave", 30), ("Inactive", 20)];

const TITLE_AREAS: [&str; 20] = [
    "Software",
    "Sales",
    "Marketing",
    "Finance",
    "People",
    "Legal",
    "Operations",
    "Support",
    "Product",
    "Design",
    "Research",
    "Security",
    "Facilities",
    "Sourcing",
    "Data",
    "Quality",
    "Logistics",
    "Content",
    "Account",
    "Alliance",
];

const TITLE_WORDS: [&str; 10] = [
    "Engineer",
    "Analyst",
    "Specialist",
    "Associate",
    "Coordinator",
    "Consultant",
    "Administrator",
    "Designer",
    "(senior)",
    "Lead",
];

/// The 200 job titles; a tenth of them contain `Manager`, `VP` or `Director`.
pub fn job_titles() -> Vec<String> {
    let mut titles = Vec::with_capacity(200);
    for (word_index, word) in TITLE_WORDS.iter().enumerate() {
        for (area_index, area) in TITLE_AREAS.iter().enumerate() {
            let title = if word_index == 8 {
                match area_index % 3 {
                    0 => format!("VP {area}"),
                    1 => format!("{area} Director"),
                    _ => format!("{area} Manager"),
                }
            } else {
                format!("{area} {word}")
            };
            titles.push(title);
        }
    }
    titles
}

const FIRST_NAMES: [&str; 32] = [
    "Ana", "Ben", "Chloé", "David", "Emma", "Farid", "Grace", "Hugo", "Inès", "Jonas", "Kenji",
    "Léa", "Marta", "Nils", "Olga", "Paul", "Quentin", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wen", "Xavier", "Yara", "Zoé", "Łukasz", "Søren", "Aisha", "Bruno", "Camille", "Diego",
];

const LAST_NAMES: [&str; 32] = [
    "Martin",
    "Smith",
    "García",
    "Müller",
    "Rossi",
    "Silva",
    "Dubois",
    "Novak",
    "Kowalski",
    "Jensen",
    "Nakamura",
    "Chen",
    "Okafor",
    "Haddad",
    "Ivanova",
    "Larsen",
    "Moreau",
    "Nguyen",
    "O'Brien",
    "Petrov",
    "Quinn",
    "Rahman",
    "Schmidt",
    "Tanaka",
    "Urban",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
    "Åberg",
    "Fontaine",
];

/// The user's org role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgRole {
    Member,
    Admin,
    Owner,
}

/// One generated user; attributes are indices into the value tables.
#[derive(Debug, Clone)]
pub struct User {
    pub org_role: OrgRole,
    pub first: u8,
    pub last: u8,
    pub department: u8,
    pub location: u8,
    pub status: u8,
    pub job_title: u8,
    /// Index of the manager (`None` for the root user).
    pub manager: Option<u32>,
    pub depth: u8,
    /// Days after 2000-01-01, in a 28-day-month calendar (always a valid date).
    pub hire_day: u16,
    pub roles: Vec<u16>,
    pub primary_group: Option<u32>,
    pub homepage_module: Option<u16>,
}

/// How a group gets its members.
#[derive(Debug, Clone)]
pub enum GroupKind {
    /// Listed members only.
    Manual,
    /// A rule over department, location, status and jobTitle.
    Dynamic(Rule),
    /// Members of the included groups.
    Composite,
}

/// A time window on a manual member entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// A plain user id.
    Plain,
    /// An object entry with only `addedAt`.
    Added,
    /// Expired before `asOf`: not in effect.
    Expired,
    /// Starts after `asOf`: not in effect.
    Future,
    /// Started before and expires after `asOf`: in effect.
    Current,
}

impl Window {
    /// Whether the entry is in effect at [`AS_OF`].
    pub fn in_effect(self) -> bool {
        !matches!(self, Window::Expired | Window::Future)
    }
}

/// One generated group.
#[derive(Debug, Clone)]
pub struct Group {
    pub kind: GroupKind,
    pub active: bool,
    pub localized: bool,
    pub members: Vec<(u32, Window)>,
    pub includes: Vec<u32>,
    /// Include depth: 0 for manual and dynamic groups.
    pub depth: u8,
    pub roles: Vec<u16>,
    pub products: Vec<u16>,
    pub homepage_module: Option<u16>,
    pub dashboard: bool,
}

/// A condition of a dynamic rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: &'static str,
    pub op: &'static str,
    pub values: Vec<String>,
}

/// A dynamic rule: `all` of the leading conditions and an `any` section of the last ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub all: Vec<Condition>,
    pub any: Vec<Condition>,
    /// Written as text (SPEC §4.3) rather than as an AST.
    pub as_text: bool,
}

impl Condition {
    fn is_list(&self) -> bool {
        self.op == "IN" || self.op == "NOT IN"
    }

    fn write_ast(&self, out: &mut String) {
        out.push_str("{\"field\":");
        push_json_str(out, self.field);
        out.push_str(",\"op\":");
        push_json_str(out, self.op);
        out.push_str(",\"value\":");
        if self.is_list() {
            out.push('[');
            for (index, value) in self.values.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                push_json_str(out, value);
            }
            out.push(']');
        } else {
            push_json_str(out, &self.values[0]);
        }
        out.push('}');
    }

    fn write_text(&self, out: &mut String) {
        out.push_str(self.field);
        out.push(' ');
        out.push_str(self.op);
        out.push(' ');
        if self.is_list() {
            out.push('(');
            for (index, value) in self.values.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                push_json_str(out, value);
            }
            out.push(')');
        } else {
            push_json_str(out, &self.values[0]);
        }
    }
}

impl Rule {
    /// The rule as AST JSON: `{"all":[c…,{"any":[c…]}]}`, or `{"any":[…]}` when it has no
    /// leading conditions.
    pub fn ast_json(&self) -> String {
        let mut out = String::new();
        let write_any = |out: &mut String| {
            out.push_str("{\"any\":[");
            for (index, condition) in self.any.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                condition.write_ast(out);
            }
            out.push_str("]}");
        };
        if self.all.is_empty() {
            write_any(&mut out);
        } else {
            out.push_str("{\"all\":[");
            for condition in &self.all {
                condition.write_ast(&mut out);
                out.push(',');
            }
            write_any(&mut out);
            out.push_str("]}");
        }
        out
    }

    /// The rule as text: `c AND c AND (c OR c)`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for condition in &self.all {
            condition.write_text(&mut out);
            out.push_str(" AND ");
        }
        let parenthesized = !self.all.is_empty();
        if parenthesized {
            out.push('(');
        }
        for (index, condition) in self.any.iter().enumerate() {
            if index > 0 {
                out.push_str(" OR ");
            }
            condition.write_text(&mut out);
        }
        if parenthesized {
            out.push(')');
        }
        out
    }

    /// The rule as a JSON value: a string of text or an AST object.
    pub fn json_value(&self) -> String {
        if self.as_text {
            let mut out = String::new();
            push_json_str(&mut out, &self.text());
            out
        } else {
            self.ast_json()
        }
    }
}

/// A generated role.
#[derive(Debug, Clone)]
pub struct Role {
    pub permissions: Vec<u16>,
    pub privileged: bool,
}

/// A generated module.
#[derive(Debug, Clone)]
pub struct Module {
    pub required_permission: Option<u16>,
}

/// The whole generated tenant, before it is written as JSON.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub size: Size,
    pub seed: u64,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub roles: Vec<Role>,
    pub modules: Vec<Module>,
    pub job_titles: Vec<String>,
    /// The two groups of the deliberate include cycle (each includes the other, directly or
    /// through a chain).
    pub cycle: (u32, u32),
}

pub fn user_id(index: usize) -> String {
    format!("u{index}")
}
pub fn group_id(index: usize) -> String {
    format!("g{index}")
}
pub fn role_id(index: usize) -> String {
    format!("r{index}")
}
pub fn product_id(index: usize) -> String {
    format!("p{index}")
}
pub fn module_id(index: usize) -> String {
    format!("m{index}")
}
pub fn permission(index: usize) -> String {
    format!("perm.{index:03}")
}

impl Tenant {
    /// Builds the tenant of `size` from `seed`.
    pub fn build(size: Size, seed: u64) -> Tenant {
        let job_titles = job_titles();
        let roles = build_roles(size, seed);
        let modules = build_modules(size, seed);
        let mut users = build_users(size, seed, job_titles.len());
        let (groups, cycle) = build_groups(size, seed, &job_titles);
        // Primary groups point at groups, so they come after the groups exist.
        let mut rng = stream(seed, 7);
        for user in &mut users {
            if rng.chance(300) {
                user.primary_group = Some(rng.below(size.groups) as u32);
            }
        }
        Tenant {
            size,
            seed,
            users,
            groups,
            roles,
            modules,
            job_titles,
            cycle,
        }
    }

    /// Writes the snapshot JSON text.
    pub fn to_json(&self) -> String {
        // About 300 bytes a user and 200 a group member entry, written once.
        let member_entries: usize = self.groups.iter().map(|group| group.members.len()).sum();
        let mut out = String::with_capacity(self.users.len() * 330 + member_entries * 10 + 4096);
        out.push_str("{\"revision\":");
        push_json_str(&mut out, &format!("bench-{}-{}", self.size.name, self.seed));
        out.push_str(",\"asOf\":\"");
        out.push_str(AS_OF);
        out.push_str("\",\"defaultLocale\":\"en\"");
        out.push_str(",\"defaults\":{\"dashboard\":{\"widgets\":[\"news\",\"tasks\"]}}");
        out.push_str(",\"users\":[");
        for (index, user) in self.users.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            self.write_user(&mut out, index, user);
        }
        out.push_str("],\"groups\":[");
        for (index, group) in self.groups.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            self.write_group(&mut out, index, group);
        }
        out.push_str("],\"roles\":[");
        for (index, role) in self.roles.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"id\":\"r{index}\",\"name\":\"Role {index}\",\"permissions\":["
            );
            for (position, perm) in role.permissions.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                let _ = write!(out, "\"perm.{perm:03}\"");
            }
            out.push(']');
            if role.privileged {
                out.push_str(",\"privileged\":true");
            }
            out.push('}');
        }
        out.push_str("],\"products\":[");
        for index in 0..self.size.products {
            if index > 0 {
                out.push(',');
            }
            let _ = write!(out, "{{\"id\":\"p{index}\",\"name\":\"Product {index}\"}}");
        }
        out.push_str("],\"modules\":[");
        for (index, module) in self.modules.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            let _ = write!(out, "{{\"id\":\"m{index}\",\"name\":\"Module {index}\"");
            if let Some(perm) = module.required_permission {
                let _ = write!(out, ",\"requiredPermission\":\"perm.{perm:03}\"");
            }
            out.push('}');
        }
        out.push_str("]}");
        out
    }

    fn write_user(&self, out: &mut String, index: usize, user: &User) {
        let _ = write!(out, "{{\"id\":\"u{index}\",\"name\":");
        push_json_str(
            out,
            &format!(
                "{} {}",
                FIRST_NAMES[usize::from(user.first)],
                LAST_NAMES[usize::from(user.last)]
            ),
        );
        match user.org_role {
            OrgRole::Member => {}
            OrgRole::Admin => out.push_str(",\"orgRole\":\"admin\""),
            OrgRole::Owner => out.push_str(",\"orgRole\":\"owner\""),
        }
        out.push_str(",\"attributes\":{\"department\":");
        push_json_str(out, DEPARTMENTS[usize::from(user.department)]);
        out.push_str(",\"location\":");
        push_json_str(out, LOCATIONS[usize::from(user.location)]);
        out.push_str(",\"status\":");
        push_json_str(out, STATUSES[usize::from(user.status)].0);
        out.push_str(",\"jobTitle\":");
        push_json_str(out, &self.job_titles[usize::from(user.job_title)]);
        if let Some(manager) = user.manager {
            let _ = write!(out, ",\"manager\":\"u{manager}\"");
        }
        let day = usize::from(user.hire_day);
        let _ = write!(
            out,
            ",\"hireDate\":\"{:04}-{:02}-{:02}\"}}",
            2000 + day / 336,
            day % 336 / 28 + 1,
            day % 28 + 1
        );
        if !user.roles.is_empty() {
            out.push_str(",\"roles\":[");
            for (position, role) in user.roles.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                let _ = write!(out, "\"r{role}\"");
            }
            out.push(']');
        }
        if let Some(group) = user.primary_group {
            let _ = write!(out, ",\"primaryGroup\":\"g{group}\"");
        }
        if let Some(module) = user.homepage_module {
            let _ = write!(out, ",\"homepageModule\":\"m{module}\"");
        }
        out.push('}');
    }

    fn write_group(&self, out: &mut String, index: usize, group: &Group) {
        let kind = match group.kind {
            GroupKind::Manual => "Team",
            GroupKind::Dynamic(_) => "Rule",
            GroupKind::Composite => "Division",
        };
        let _ = write!(out, "{{\"id\":\"g{index}\",\"name\":");
        if group.localized {
            let _ = write!(
                out,
                "{{\"en\":\"{kind} {index}\",\"fr\":\"Équipe {index}\"}}"
            );
        } else {
            let _ = write!(out, "\"{kind} {index}\"");
        }
        let _ = write!(out, ",\"slug\":\"{}-{index}\"", kind.to_ascii_lowercase());
        if !group.active {
            out.push_str(",\"isActive\":false");
        }
        if !group.members.is_empty() {
            out.push_str(",\"members\":[");
            for (position, (user, window)) in group.members.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                match window {
                    Window::Plain => {
                        let _ = write!(out, "\"u{user}\"");
                    }
                    Window::Added => {
                        let _ = write!(
                            out,
                            "{{\"user\":\"u{user}\",\"addedAt\":\"2024-01-15T09:30:00Z\"}}"
                        );
                    }
                    Window::Expired => {
                        let _ = write!(
                            out,
                            "{{\"user\":\"u{user}\",\"addedAt\":\"2024-01-15T09:30:00Z\",\"expiresAt\":\"2025-01-01T00:00:00Z\"}}"
                        );
                    }
                    Window::Future => {
                        let _ = write!(
                            out,
                            "{{\"user\":\"u{user}\",\"startsAt\":\"2025-09-01T00:00:00+02:00\"}}"
                        );
                    }
                    Window::Current => {
                        let _ = write!(
                            out,
                            "{{\"user\":\"u{user}\",\"startsAt\":\"2025-05-31T23:00:00-02:00\",\"expiresAt\":\"2026-01-01T00:00:00Z\"}}"
                        );
                    }
                }
            }
            out.push(']');
        }
        if !group.includes.is_empty() {
            out.push_str(",\"includeGroups\":[");
            for (position, included) in group.includes.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                let _ = write!(out, "\"g{included}\"");
            }
            out.push(']');
        }
        if let GroupKind::Dynamic(rule) = &group.kind {
            out.push_str(",\"rule\":");
            out.push_str(&rule.json_value());
        }
        if !group.roles.is_empty() {
            out.push_str(",\"roles\":[");
            for (position, role) in group.roles.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                let _ = write!(out, "\"r{role}\"");
            }
            out.push(']');
        }
        if !group.products.is_empty() {
            out.push_str(",\"products\":[");
            for (position, product) in group.products.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                let _ = write!(out, "\"p{product}\"");
            }
            out.push(']');
        }
        if let Some(module) = group.homepage_module {
            let _ = write!(out, ",\"homepageModule\":\"m{module}\"");
        }
        if group.dashboard {
            let _ = write!(
                out,
                ",\"dashboard\":{{\"widgets\":[\"team-{index}\",\"news\"]}}"
            );
        }
        out.push_str(",\"createdAt\":\"2023-03-01T12:00:00Z\",\"createdBy\":\"u0\"}");
    }

    /// Whether group `index` is a manual, dynamic or composite group.
    pub fn kind_name(&self, index: usize) -> &'static str {
        match self.groups[index].kind {
            GroupKind::Manual => "manual",
            GroupKind::Dynamic(_) => "dynamic",
            GroupKind::Composite => "composite",
        }
    }

    /// The fixed check sequence: `count` (user, product) pairs drawn from `seed`.
    pub fn check_sequence(&self, seed: u64, count: usize) -> Vec<(String, String)> {
        check_indices(seed, self.users.len(), self.size.products, count)
            .into_iter()
            .map(|(user, product)| (user_id(user), product_id(product)))
            .collect()
    }

    /// The fixed userAccess sequence: `count` user ids drawn from `seed`.
    pub fn access_users(&self, seed: u64, count: usize) -> Vec<String> {
        let mut rng = stream(seed, 101);
        (0..count)
            .map(|_| user_id(rng.below(self.users.len())))
            .collect()
    }

    /// The manual group with the most member entries (the biggest `members` listing that
    /// needs no rule evaluation to predict).
    pub fn largest_group(&self) -> usize {
        let mut best = 0;
        for (index, group) in self.groups.iter().enumerate() {
            if matches!(group.kind, GroupKind::Manual)
                && group.members.len() > self.groups[best].members.len()
            {
                best = index;
            }
        }
        best
    }

    /// The groups that include group `index`.
    pub fn includers(&self, index: usize) -> Vec<usize> {
        self.groups
            .iter()
            .enumerate()
            .filter(|(_, group)| group.includes.contains(&(index as u32)))
            .map(|(includer, _)| includer)
            .collect()
    }

    /// An active manual group that an active composite group includes: the target of the
    /// `apply` addMember.
    pub fn composite_reachable_group(&self) -> usize {
        self.find_included(|group| matches!(group.kind, GroupKind::Manual))
    }

    /// An active dynamic group that an active group includes: the target of the `apply`
    /// setRule.
    pub fn included_dynamic_group(&self) -> usize {
        self.find_included(|group| matches!(group.kind, GroupKind::Dynamic(_)))
    }

    fn find_included(&self, wanted: impl Fn(&Group) -> bool) -> usize {
        let mut included = vec![false; self.groups.len()];
        for group in self.groups.iter().filter(|group| group.active) {
            for target in &group.includes {
                included[*target as usize] = true;
            }
        }
        (0..self.groups.len())
            .find(|index| {
                included[*index] && self.groups[*index].active && wanted(&self.groups[*index])
            })
            .unwrap_or(0)
    }

    /// A user that is not a manual member of group `index`.
    pub fn non_member(&self, index: usize) -> usize {
        let members: std::collections::HashSet<u32> = self.groups[index]
            .members
            .iter()
            .map(|(user, _)| *user)
            .collect();
        (0..self.users.len())
            .find(|user| !members.contains(&(*user as u32)))
            .unwrap_or(0)
    }

    /// The composite group with the deepest include tree: the one `impact` removes.
    pub fn deepest_composite(&self) -> usize {
        let mut best = 0;
        for (index, group) in self.groups.iter().enumerate() {
            if matches!(group.kind, GroupKind::Composite) && group.depth > self.groups[best].depth {
                best = index;
            }
        }
        best
    }

    /// The `apply` request of the workload: one addMember on a composite-reachable group.
    pub fn apply_add_member_request(&self) -> String {
        let group = self.composite_reachable_group();
        let user = self.non_member(group);
        format!(
            "{{\"op\":\"apply\",\"changes\":[{{\"addMember\":{{\"group\":\"g{group}\",\"user\":\"u{user}\"}}}}]}}"
        )
    }

    /// The `apply` request of the workload: one setRule on a dynamic group another group
    /// includes. `variant` alternates between two rules so repeated runs keep changing state.
    pub fn apply_set_rule_request(&self, variant: usize) -> String {
        let group = self.included_dynamic_group();
        let department = DEPARTMENTS[variant % DEPARTMENTS.len()];
        format!(
            "{{\"op\":\"apply\",\"changes\":[{{\"setRule\":{{\"group\":\"g{group}\",\"rule\":{{\"all\":[{{\"field\":\"department\",\"op\":\"=\",\"value\":\"{department}\"}},{{\"any\":[{{\"field\":\"status\",\"op\":\"=\",\"value\":\"Active\"}},{{\"field\":\"jobTitle\",\"op\":\"LIKE\",\"value\":\"Manager\"}}]}}]}}}}}}]}}"
        )
    }

    /// The `apply` request of the workload: one upsertUser that moves a user to another
    /// location and changes nothing else. `variant` picks the location, so repeated runs keep
    /// changing state.
    pub fn apply_upsert_user_request(&self, variant: usize) -> String {
        let index = self.users.len() / 2;
        let mut user = self.users[index].clone();
        user.location = ((usize::from(user.location) + 1 + variant % 2) % LOCATIONS.len()) as u8;
        let mut out = String::from("{\"op\":\"apply\",\"changes\":[{\"upsertUser\":");
        self.write_user(&mut out, index, &user);
        out.push_str("}]}");
        out
    }

    /// The bulk `apply` request of the workload: one change list of `count` upsertUser
    /// changes (at most one per user, spread evenly over the users), each moving its user to
    /// another location and changing nothing else, as a directory sync does. `variant` picks
    /// the locations, so repeated runs keep changing state.
    pub fn apply_bulk_upsert_request(&self, count: usize, variant: usize) -> String {
        let count = count.min(self.users.len()).max(1);
        let step = self.users.len() / count;
        let mut out = String::from("{\"op\":\"apply\",\"changes\":[");
        for k in 0..count {
            let index = k * step;
            let mut user = self.users[index].clone();
            user.location =
                ((usize::from(user.location) + 1 + variant % 2) % LOCATIONS.len()) as u8;
            if k > 0 {
                out.push(',');
            }
            out.push_str("{\"upsertUser\":");
            self.write_user(&mut out, index, &user);
            out.push('}');
        }
        out.push_str("]}");
        out
    }

    /// The `impact` request of the workload: removing one composite group.
    pub fn impact_request(&self) -> String {
        format!(
            "{{\"op\":\"impact\",\"changes\":[{{\"removeGroup\":\"g{}\"}}],\"limit\":100}}",
            self.deepest_composite()
        )
    }

    /// The `members` request of the workload: the largest group, first page.
    pub fn members_request(&self) -> String {
        format!(
            "{{\"op\":\"members\",\"group\":\"g{}\",\"page\":1}}",
            self.largest_group()
        )
    }
}

/// The five previewRule rules of increasing complexity, as (name, rule JSON value).
/// The fourth is the four-condition rule that the targets name.
pub fn preview_rules() -> [(&'static str, &'static str); 5] {
    [
        ("1-condition", r#""status = \"Active\"""#),
        (
            "2-conditions",
            r#"{"all":[{"field":"department","op":"=","value":"Engineering"},{"field":"status","op":"=","value":"Active"}]}"#,
        ),
        (
            "3-conditions",
            r#""department IN (\"Engineering\", \"Sales\", \"Data\") AND location STARTS WITH \"S\" AND status != \"Inactive\"""#,
        ),
        (
            "4-conditions",
            r#"{"all":[{"field":"status","op":"=","value":"active"},{"field":"department","op":"IN","value":["Engineering","Sales","Product"]},{"any":[{"field":"jobTitle","op":"LIKE","value":"manager"},{"field":"location","op":"IN","value":["Paris","London","Berlin"]}]}]}"#,
        ),
        (
            "8-conditions-nested",
            r#""(manager REPORTS TO u1 OR MEMBER OF g3) AND NOT status = \"Inactive\" AND hireDate >= \"2010-01-01\" AND (jobTitle LIKE \"Director\" OR jobTitle LIKE \"VP\" OR (department NOT IN (\"Legal\", \"Finance\") AND location ENDS WITH \"o\"))""#,
        ),
    ]
}

/// A `previewRule` request for one of [`preview_rules`].
pub fn preview_request(rule_json: &str) -> String {
    format!("{{\"op\":\"previewRule\",\"rule\":{rule_json},\"limit\":20}}")
}

/// A `check` request.
pub fn check_request(user: &str, product: &str) -> String {
    let mut out = String::with_capacity(48);
    out.push_str("{\"op\":\"check\",\"user\":");
    push_json_str(&mut out, user);
    out.push_str(",\"product\":");
    push_json_str(&mut out, product);
    out.push('}');
    out
}

/// A `userAccess` request.
pub fn user_access_request(user: &str) -> String {
    let mut out = String::with_capacity(40);
    out.push_str("{\"op\":\"userAccess\",\"user\":");
    push_json_str(&mut out, user);
    out.push('}');
    out
}

/// Appends `text` as a JSON string literal.
pub fn push_json_str(out: &mut String, text: &str) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ch if u32::from(ch) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(ch));
            }
            ch => out.push(ch),
        }
    }
    out.push('"');
}

fn build_roles(size: Size, seed: u64) -> Vec<Role> {
    let mut rng = stream(seed, 1);
    (0..size.roles)
        .map(|_| {
            let count = rng.range(1, 10);
            let mut permissions: Vec<u16> = Vec::with_capacity(count);
            while permissions.len() < count {
                let perm = rng.below(PERMISSIONS) as u16;
                if !permissions.contains(&perm) {
                    permissions.push(perm);
                }
            }
            permissions.sort_unstable();
            Role {
                permissions,
                privileged: rng.chance(50),
            }
        })
        .collect()
}

fn build_modules(size: Size, seed: u64) -> Vec<Module> {
    let mut rng = stream(seed, 2);
    (0..size.modules)
        .map(|_| Module {
            required_permission: rng.chance(200).then(|| rng.below(PERMISSIONS) as u16),
        })
        .collect()
}

fn build_users(size: Size, seed: u64, titles: usize) -> Vec<User> {
    let mut rng = stream(seed, 3);
    let status_weights: Vec<usize> = STATUSES.iter().map(|(_, weight)| *weight).collect();
    let mut users: Vec<User> = Vec::with_capacity(size.users);
    for index in 0..size.users {
        let (manager, depth) = if index == 0 {
            (None, 0)
        } else {
            let mut manager = rng.below(index);
            // Climb until the new user fits under the depth limit.
            while users[manager].depth >= MAX_MANAGER_DEPTH {
                manager = users[manager].manager.map_or(0, |up| up as usize);
            }
            (Some(manager as u32), users[manager].depth + 1)
        };
        let org_role = match rng.below(1000) {
            0..=4 => OrgRole::Owner,
            5..=19 => OrgRole::Admin,
            _ => OrgRole::Member,
        };
        let role_count = rng.weighted(&[40, 40, 20]);
        let mut roles = Vec::with_capacity(role_count);
        while roles.len() < role_count {
            let role = rng.below(size.roles) as u16;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        roles.sort_unstable();
        users.push(User {
            org_role,
            first: rng.below(FIRST_NAMES.len()) as u8,
            last: rng.below(LAST_NAMES.len()) as u8,
            department: rng.below(DEPARTMENTS.len()) as u8,
            location: rng.below(LOCATIONS.len()) as u8,
            status: rng.weighted(&status_weights) as u8,
            job_title: rng.below(titles) as u8,
            manager,
            depth,
            hire_day: rng.below(25 * 336) as u16,
            roles,
            primary_group: None,
            homepage_module: rng.chance(50).then(|| rng.below(size.modules) as u16),
        });
    }
    users
}

fn build_groups(size: Size, seed: u64, titles: &[String]) -> (Vec<Group>, (u32, u32)) {
    let mut rng = stream(seed, 4);
    // Kinds interleave by index: seven manual, two dynamic, one composite in every ten.
    let kind_of = |index: usize| match index % 10 {
        0..=6 => 0u8,
        7 | 8 => 1,
        _ => 2,
    };
    let mut groups: Vec<Group> = Vec::with_capacity(size.groups);
    for index in 0..size.groups {
        let kind = match kind_of(index) {
            0 => GroupKind::Manual,
            1 => GroupKind::Dynamic(random_rule(&mut rng, titles)),
            _ => GroupKind::Composite,
        };
        let role_count = rng.range(0, 5);
        let mut roles = Vec::with_capacity(role_count);
        while roles.len() < role_count.min(size.roles) {
            let role = rng.below(size.roles) as u16;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        let product_count = rng.range(0, 5);
        let mut products = Vec::with_capacity(product_count);
        while products.len() < product_count.min(size.products) {
            let product = rng.below(size.products) as u16;
            if !products.contains(&product) {
                products.push(product);
            }
        }
        groups.push(Group {
            kind,
            active: !rng.chance(20),
            localized: rng.chance(100),
            members: Vec::new(),
            includes: Vec::new(),
            depth: 0,
            roles,
            products,
            homepage_module: rng.chance(250).then(|| rng.below(size.modules) as u16),
            dashboard: rng.chance(100),
        });
    }

    // Manual members: each user joins 1–5 manual groups, drawn with Zipf-like weights
    // (weight 1/rank over a shuffled rank order), so a few groups are large and most small.
    let manual: Vec<usize> = (0..size.groups)
        .filter(|index| kind_of(*index) == 0)
        .collect();
    let mut ranks: Vec<usize> = (0..manual.len()).collect();
    for position in (1..ranks.len()).rev() {
        let other = rng.below(position + 1);
        ranks.swap(position, other);
    }
    let mut cumulative: Vec<u64> = Vec::with_capacity(manual.len());
    let mut total = 0u64;
    for rank in &ranks {
        total += 1_000_000 / (*rank as u64 + 1);
        cumulative.push(total);
    }
    let mut member_rng = stream(seed, 5);
    let mut chosen: Vec<usize> = Vec::with_capacity(5);
    for user in 0..size.users {
        let count = 1 + member_rng.weighted(&[35, 30, 20, 10, 5]);
        chosen.clear();
        let mut attempts = 0;
        while chosen.len() < count.min(manual.len()) && attempts < 64 {
            attempts += 1;
            let roll = member_rng.next_u64() % total;
            let slot = cumulative.partition_point(|edge| *edge <= roll);
            if !chosen.contains(&slot) {
                chosen.push(slot);
            }
        }
        for slot in &chosen {
            let window = match member_rng.below(1000) {
                0..=19 => Window::Added,
                20..=24 => Window::Expired,
                25..=29 => Window::Future,
                30..=34 => Window::Current,
                _ => Window::Plain,
            };
            groups[manual[*slot]].members.push((user as u32, window));
        }
    }

    // Composite groups include 2–6 earlier groups, mostly base groups and sometimes
    // composites, keeping the include depth at most MAX_INCLUDE_DEPTH.
    let mut composite_rng = stream(seed, 6);
    let mut first_composite: Option<usize> = None;
    for index in 0..size.groups {
        if kind_of(index) != 2 {
            continue;
        }
        let earlier_composites: Vec<usize> = (0..index)
            .filter(|other| kind_of(*other) == 2 && groups[*other].depth < MAX_INCLUDE_DEPTH)
            .collect();
        let count = composite_rng.range(2, 6);
        let mut includes: Vec<u32> = Vec::with_capacity(count);
        let mut attempts = 0;
        while includes.len() < count && attempts < 64 {
            attempts += 1;
            let target = if !earlier_composites.is_empty() && composite_rng.chance(400) {
                *composite_rng.pick(&earlier_composites)
            } else {
                let mut base = composite_rng.below(index.max(1));
                while kind_of(base) == 2 {
                    base -= 1;
                }
                base
            };
            if target != index && !includes.contains(&(target as u32)) {
                includes.push(target as u32);
            }
        }
        let depth = includes
            .iter()
            .map(|target| groups[*target as usize].depth)
            .max()
            .unwrap_or(0)
            + 1;
        groups[index].includes = includes;
        groups[index].depth = depth;
        if first_composite.is_none() {
            first_composite = Some(index);
        }
    }

    // The deliberate cycle: the first composite group includes a later composite that
    // includes it back; both stay active so the cycle passes members around.
    let cycle = match first_composite {
        Some(first) => {
            let back = (first + 1..size.groups)
                .find(|other| groups[*other].includes.contains(&(first as u32)))
                .unwrap_or_else(|| {
                    let last = (first + 1..size.groups)
                        .rev()
                        .find(|other| kind_of(*other) == 2);
                    let last = last.unwrap_or(first);
                    if last != first {
                        groups[last].includes.push(first as u32);
                    }
                    last
                });
            if back != first {
                groups[first].includes.push(back as u32);
                groups[first].active = true;
                groups[back].active = true;
            }
            (first as u32, back as u32)
        }
        None => (0, 0),
    };
    (groups, cycle)
}

fn random_rule(rng: &mut SplitMix64, titles: &[String]) -> Rule {
    // Rules read like an admin's: a selective anchor (a department, a place, a kind of job),
    // maybe a status or exclusion filter, and one `any` section of two selective conditions.
    // Two conditions make the `any` section alone.
    let count = rng.range(2, 4);
    let mut all = Vec::with_capacity(2);
    if count >= 3 {
        all.push(selective_condition(rng, titles));
    }
    if count == 4 {
        all.push(filter_condition(rng));
    }
    let any = vec![
        selective_condition(rng, titles),
        selective_condition(rng, titles),
    ];
    Rule {
        all,
        any,
        as_text: rng.chance(500),
    }
}

/// A condition that holds for a few percent of users.
fn selective_condition(rng: &mut SplitMix64, titles: &[String]) -> Condition {
    let one = |value: &str| vec![value.to_string()];
    match rng.below(7) {
        0 => Condition {
            field: "department",
            op: "=",
            values: one(rng.pick_str(&DEPARTMENTS)),
        },
        1 => {
            let values = (0..2)
                .map(|_| rng.pick_str(&DEPARTMENTS).to_string())
                .collect();
            Condition {
                field: "department",
                op: "IN",
                values,
            }
        }
        2 => {
            let count = rng.range(2, 3);
            let values = (0..count)
                .map(|_| rng.pick_str(&LOCATIONS).to_string())
                .collect();
            Condition {
                field: "location",
                op: "IN",
                values,
            }
        }
        3 => {
            // Lower case on purpose: text compares case-insensitively.
            let location = rng.pick_str(&LOCATIONS).to_lowercase();
            Condition {
                field: "location",
                op: "=",
                values: vec![location],
            }
        }
        4 => {
            let prefix: String = rng.pick_str(&LOCATIONS).chars().take(3).collect();
            Condition {
                field: "location",
                op: "STARTS WITH",
                values: vec![prefix],
            }
        }
        5 => {
            let word = rng.pick_str(&["Manager", "Director", "VP", "data engineer", "Sales Lead"]);
            Condition {
                field: "jobTitle",
                op: "LIKE",
                values: one(word),
            }
        }
        _ => Condition {
            field: "jobTitle",
            op: "=",
            values: one(rng.pick(titles).as_str()),
        },
    }
}

/// A condition that holds for most users: a status filter or an exclusion.
fn filter_condition(rng: &mut SplitMix64) -> Condition {
    let one = |value: &str| vec![value.to_string()];
    match rng.below(3) {
        0 => Condition {
            field: "status",
            op: "=",
            values: one("Active"),
        },
        1 => Condition {
            field: "status",
            op: "!=",
            values: one("inactive"),
        },
        _ => Condition {
            field: "department",
            op: "!=",
            values: one(rng.pick_str(&DEPARTMENTS)),
        },
    }
}

#[cfg(test)]
mod tests;
