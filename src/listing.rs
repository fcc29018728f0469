//! The lists an admin pages through (SPEC §7): groups (`listGroups`, §7.1), a group's members,
//! the users a rule matches, and who may use a product.
//!
//! Each walks users in the order people see them, or groups in id order, and keeps what the
//! filters keep: a page costs one walk, and what a row shows (types, `via`) is computed for the
//! rows shown only.

use std::cmp::Ordering;

use crate::hash::Map;
use crate::ids::{GroupIx, Ix, RoleIx, UserIx};
use crate::model::{Membership, Tenant};
use crate::sets::Bits;
use crate::text::{fold, NameKey};

/// A page: 1-based number and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based.
    pub number: u64,
    /// Rows per page.
    pub size: u64,
}

impl Page {
    fn skip(self) -> usize {
        usize::try_from((self.number - 1).saturating_mul(self.size)).unwrap_or(usize::MAX)
    }

    fn take(self) -> usize {
        usize::try_from(self.size).unwrap_or(usize::MAX)
    }

    /// The rows of this page out of `rows`.
    pub fn of<T>(self, rows: impl IntoIterator<Item = T>) -> Vec<T> {
        rows.into_iter()
            .skip(self.skip())
            .take(self.take())
            .collect()
    }
}

/// Which groups `listGroups` keeps by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Active groups.
    Active,
    /// Inactive groups.
    Inactive,
    /// Every group.
    All,
}

/// How `listGroups` sorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// By localized name, then id.
    Name,
    /// By member count.
    Members,
    /// By creation instant (missing last).
    CreatedAt,
    /// By number of roles.
    Roles,
}

/// A `listGroups` question.
#[derive(Debug, Clone)]
pub struct GroupQuery {
    /// A folded substring to look for.
    pub search: Option<String>,
    /// Which groups by status.
    pub status: Status,
    /// Whether hidden groups are listed.
    pub include_hidden: bool,
    /// The sort.
    pub sort: Sort,
    /// Whether descending.
    pub descending: bool,
    /// The page.
    pub page: Page,
    /// The locale names are shown in.
    pub locale: Option<String>,
}

/// The locales to try for `locale`, most specific first: the tenant's locales that it is, or
/// that it extends at a subtag boundary (`fr-CA` tries `fr-CA`, then `fr`). Locales no name
/// uses cannot change a name, so they are not tried, and a long made-up tag costs its length.
pub fn locale_chain<'a>(t: &'a Tenant, locale: Option<&str>) -> Vec<&'a str> {
    let Some(locale) = locale.filter(|l| !l.is_empty()) else {
        return Vec::new();
    };
    let mut chain: Vec<&str> = known_locales(t)
        .into_iter()
        .filter(|known| {
            locale.len() >= known.len()
                && locale.as_bytes().starts_with(known.as_bytes())
                && (locale.len() == known.len()
                    || locale.as_bytes().get(known.len()) == Some(&b'-'))
        })
        .collect();
    chain.sort_by_key(|l| std::cmp::Reverse(l.len()));
    chain
}

fn known_locales(t: &Tenant) -> Vec<&str> {
    let default = t.default_locale();
    let mut locales: Vec<&str> = t
        .groups_by_id()
        .flat_map(|g| t.group_name(g).locales(default))
        .collect();
    for r in roles_in_use(t) {
        if let Some(name) = t.role_name(r) {
            locales.extend(name.locales(default));
        }
    }
    locales.sort_unstable();
    locales.dedup();
    locales
}

fn roles_in_use(t: &Tenant) -> Vec<RoleIx> {
    let mut roles: Vec<RoleIx> = t.groups_by_id().flat_map(|g| t.group_roles(g)).collect();
    roles.sort_unstable();
    roles.dedup();
    roles
}

/// `listGroups`: the total, and the page of groups with their names in the asked locale.
pub fn list_groups<'t>(t: &'t Tenant, q: &GroupQuery) -> (usize, Vec<(GroupIx, &'t str)>) {
    let chain = locale_chain(t, q.locale.as_deref());
    let default = t.default_locale();
    let needle = q.search.as_deref().map(fold);
    let matches_search = |g: GroupIx| -> bool {
        let Some(needle) = &needle else { return true };
        let listing = t.group_listing(g);
        let role_texts: Vec<&str> = t
            .group_roles(g)
            .into_iter()
            .filter_map(|r| t.role_name(r))
            .flat_map(|name| name.texts())
            .collect();
        t.group_name(g)
            .texts()
            .chain(listing.slug)
            .chain(listing.description)
            .chain(role_texts)
            .any(|text| fold(text).contains(needle.as_str()))
    };
    // Each row carries its name's order key, made once: folding inside the comparison would
    // copy both names on every comparison, and one long name chosen as a pivot would be copied
    // once per group.
    let mut rows: Vec<(GroupIx, &str, NameKey)> = t
        .groups_by_id()
        .filter(|&g| q.include_hidden || t.group_listing(g).visible)
        .filter(|&g| match q.status {
            Status::Active => t.is_active(g),
            Status::Inactive => !t.is_active(g),
            Status::All => true,
        })
        .filter(|&g| matches_search(g))
        .map(|g| {
            let name = t.group_name(g).resolve(&chain, default);
            (g, name, NameKey::new(name))
        })
        .collect();
    let by_name = |a: &(GroupIx, &str, NameKey), b: &(GroupIx, &str, NameKey)| {
        a.2.cmp(&b.2)
            .then(t.group_rank(a.0).cmp(&t.group_rank(b.0)))
    };
    let role_count = |g: GroupIx| t.group_roles(g).len();
    match q.sort {
        Sort::Name => rows.sort_by(|a, b| {
            let named = by_name(a, b);
            if q.descending {
                named.reverse()
            } else {
                named
            }
        }),
        sort => rows.sort_by(|a, b| {
            let primary = match sort {
                Sort::Members => t.members(a.0).len().cmp(&t.members(b.0).len()),
                Sort::Roles => role_count(a.0).cmp(&role_count(b.0)),
                _ => {
                    let (x, y) = (t.group_listing(a.0).created, t.group_listing(b.0).created);
                    match (x, y) {
                        (Some(x), Some(y)) => x.cmp(&y),
                        // Missing last, whatever the order.
                        (Some(_), None) => return Ordering::Less,
                        (None, Some(_)) => return Ordering::Greater,
                        (None, None) => Ordering::Equal,
                    }
                }
            };
            let primary = if q.descending {
                primary.reverse()
            } else {
                primary
            };
            primary.then_with(|| by_name(a, b))
        }),
    }
    let total = rows.len();
    (
        total,
        q.page.of(rows.into_iter().map(|(g, name, _)| (g, name))),
    )
}

/// Which members `members` keeps by type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberType {
    /// Listed with an entry in effect.
    Manual,
    /// Matched by the rule.
    Dynamic,
    /// Through an included group.
    Group,
}

/// One row of `members`.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    /// The user.
    pub user: UserIx,
    /// How.
    pub membership: Membership,
}

/// Whether `u`'s id or name contains `needle` (already folded).
fn user_matches_search(t: &Tenant, u: UserIx, needle: &str) -> bool {
    fold(t.user_id(u)).contains(needle) || t.user_name(u).is_some_and(|n| fold(n).contains(needle))
}

/// `members`: the total, and the page of members of `g` (by name, then id).
pub fn members(
    t: &Tenant,
    g: GroupIx,
    kind: Option<MemberType>,
    search: Option<&str>,
    page: Page,
) -> (usize, Vec<MemberRow>) {
    let slots = t.user_slots();
    let members = t.members(g);
    let filter: Option<Bits> = match kind {
        None => None,
        Some(MemberType::Manual) => Some(t.manual_members(g).to_bits(slots)),
        Some(MemberType::Dynamic) => Some(t.dynamic_members(g)),
        Some(MemberType::Group) => {
            let mut bits = Bits::empty(slots);
            for s in t.includes(g) {
                if t.grants(s) {
                    t.members(s).or_into(&mut bits);
                }
            }
            Some(bits)
        }
    };
    let needle = search.map(fold);
    let keep = |u: UserIx| -> bool {
        members.contains(u)
            && filter.as_ref().is_none_or(|f| f.contains(u.get()))
            && needle
                .as_deref()
                .is_none_or(|n| user_matches_search(t, u, n))
    };
    let (skip, take) = (page.skip(), page.take());
    let mut total = 0usize;
    let mut rows = Vec::new();
    let mut walk = |u: UserIx| {
        if !keep(u) {
            return;
        }
        if total >= skip && rows.len() < take {
            rows.push(u);
        }
        total += 1;
    };
    // A small group is cheaper to sort than the whole directory is to walk.
    if members.len().saturating_mul(16) < t.user_count() {
        let mut listed: Vec<UserIx> = members.iter().collect();
        listed.sort_by_key(|&u| t.name_rank(u));
        listed.into_iter().for_each(&mut walk);
    } else {
        t.users_by_name().iter().copied().for_each(&mut walk);
    }
    let vias = vias(t, g, &rows);
    let rows = rows
        .into_iter()
        .zip(vias)
        .map(|(u, via)| MemberRow {
            user: u,
            membership: Membership {
                manual: t.is_manual(g, u),
                dynamic: t.is_dynamic(g, u),
                via,
            },
        })
        .collect();
    (total, rows)
}

/// The `via` of each of `rows` in `g`: probing each included group per row, or walking each
/// included group's members once, whichever costs less.
fn vias(t: &Tenant, g: GroupIx, rows: &[UserIx]) -> Vec<Vec<GroupIx>> {
    let sources: Vec<GroupIx> = t.includes(g).into_iter().filter(|&s| t.grants(s)).collect();
    let probe_cost = sources.len().saturating_mul(rows.len());
    let walk_cost: usize = sources.iter().map(|&s| t.members(s).len()).sum();
    if probe_cost <= walk_cost {
        return rows
            .iter()
            .map(|&u| {
                sources
                    .iter()
                    .copied()
                    .filter(|&s| t.is_member(s, u))
                    .collect()
            })
            .collect();
    }
    let position: Map<UserIx, usize> = rows.iter().enumerate().map(|(i, &u)| (u, i)).collect();
    let mut out = vec![Vec::new(); rows.len()];
    for &s in &sources {
        for u in t.members(s).iter() {
            if let Some(&i) = position.get(&u) {
                if let Some(via) = out.get_mut(i) {
                    via.push(s);
                }
            }
        }
    }
    out
}

/// The users a rule's bitset holds: how many, and the first `limit` by name.
pub fn first_by_name(t: &Tenant, users: &Bits, limit: usize) -> (usize, Vec<UserIx>) {
    let count = users.count();
    if count.saturating_mul(16) < t.user_count() {
        let mut listed: Vec<UserIx> = users.iter().map(UserIx::new).collect();
        listed.sort_by_key(|&u| t.name_rank(u));
        listed.truncate(limit);
        return (count, listed);
    }
    let first = t
        .users_by_name()
        .iter()
        .copied()
        .filter(|u| users.contains(u.get()))
        .take(limit)
        .collect();
    (count, first)
}
