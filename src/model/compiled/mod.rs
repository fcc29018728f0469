//! Compiled snapshots (SPEC §7.5): a tenant saved as bytes and restored without parsing JSON,
//! so an edge host starts in milliseconds.
//!
//! The bytes are a header — the magic `GGCS`, the format version, the body's length and its
//! CRC-32 — then the body: what the snapshot says, resolved to slots. Numbers are LEB128
//! varints; arrays of numbers are written as zigzagged differences from the previous item, so
//! sorted lists, slots in order and runs of "none" cost a byte an item; bitsets are raw words;
//! strings are a length and UTF-8.
//!
//! What is derived is not written: members (manual, by rule, by inclusion), which users each
//! product reaches, attribute postings, the dependency graph, the member index, name ranks
//! and the id tables' hash slots. Restore derives them as a load does, which keeps the image
//! about the size of the data (a quarter of the JSON text, less than it gzipped) and makes a
//! restored engine hold exactly what a loaded one holds.
//!
//! Decoding checks every length against what remains and every index against its table, so
//! truncated, corrupted or foreign bytes are an `invalid-snapshot` error, never a panic or a
//! wrong answer. Writing is deterministic: the same tenant gives the same bytes. The tenant's
//! layout is here; the primitives it is written in are in `codec`.

mod codec;

use std::sync::Arc;

use crate::error::{Error, ErrorCode};
use crate::hash::Map;
use crate::ids::{GroupIx, IdTable, Ix, ModuleIx, PermIx, ProductIx, RoleIx, UserIx};
use crate::json::Canonical;
use crate::rules::Rule;
use crate::snapshot::{Note, OrgRole};

use super::attrs::{Attributes, Column};
use super::notes::Notes;
use super::store::{Lists, Texts};

use self::codec::{corrupt, Dec, Enc, R};
pub(crate) use self::codec::{corrupt_column, DecColumn, EncColumn};
use super::{
    Catalog, Entry, Grants, Group, Groups, MemberIndex, Meta, RoleDef, Tenant, UserExtra, Users,
};

/// The first bytes of every compiled snapshot.
const MAGIC: &[u8; 4] = b"GGCS";
/// The version of the format below; bytes of another version are refused. Version 2 keeps
/// users in the name order of SPEC v4 §2, which version-1 bytes do not; version 3 drops the
/// per-item key order and keeps what a written-back snapshot needs (rule sources, user extras,
/// product and module names, `asOf` as written); version 4 writes numbers as varints and
/// leaves out what restore derives.
pub const FORMAT_VERSION: u32 = 4;
const HEADER: usize = 4 + 4 + 8 + 4;

impl Tenant {
    /// The tenant as compiled-snapshot bytes, with the engine's `strict` option.
    pub fn to_compiled(&self, strict: bool) -> Vec<u8> {
        let mut e = Enc::default();
        e.bool(strict);
        self.encode(&mut e);
        let body = e.buf;
        let mut out = Vec::with_capacity(HEADER + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// A tenant from [`Tenant::to_compiled`] bytes.
    ///
    /// # Errors
    ///
    /// `invalid-snapshot` when the bytes are not a compiled snapshot, come from another format
    /// version, are truncated, or are corrupt.
    pub fn from_compiled(bytes: &[u8]) -> Result<(Tenant, bool), Error> {
        let (Some(magic), Some(version), Some(len), Some(crc)) = (
            bytes.get(0..4),
            bytes.get(4..8),
            bytes.get(8..16),
            bytes.get(16..20),
        ) else {
            return Err(Error::new(
                ErrorCode::InvalidSnapshot,
                "not a compiled snapshot: too short for its header",
            ));
        };
        if magic != MAGIC {
            return Err(Error::new(
                ErrorCode::InvalidSnapshot,
                "not a compiled snapshot: the bytes do not start with `GGCS`",
            ));
        }
        let version = u32::from_le_bytes(version.try_into().unwrap_or([0; 4]));
        if version != FORMAT_VERSION {
            return Err(Error::new(
                ErrorCode::InvalidSnapshot,
                format!(
                    "the compiled snapshot has format version {version}; this engine reads version {FORMAT_VERSION}: compile it again"
                ),
            ));
        }
        let len = u64::from_le_bytes(len.try_into().unwrap_or([0; 8]));
        let body = bytes.get(HEADER..).unwrap_or(&[]);
        if body.len() as u64 != len {
            return Err(corrupt(&format!(
                "its body is {} bytes, its header says {len} (truncated?)",
                body.len()
            )));
        }
        let crc = u32::from_le_bytes(crc.try_into().unwrap_or([0; 4]));
        if crc32fast::hash(body) != crc {
            return Err(corrupt("its checksum does not match"));
        }
        let mut d = Dec { bytes: body, at: 0 };
        let strict = d.bool()?;
        let tenant = Tenant::decode(&mut d)?;
        if d.at != body.len() {
            return Err(corrupt("bytes are left over"));
        }
        Ok((tenant, strict))
    }

    fn encode(&self, e: &mut Enc) {
        // Meta.
        let m = &self.meta;
        e.opt_str(m.revision.as_deref());
        e.opt_i128(m.as_of);
        e.opt_str(m.as_of_text.as_deref());
        e.str(&m.default_locale);
        e.canonical(m.default_dashboard.as_ref());
        // Users.
        let u = &self.users;
        e.ids(&u.ids);
        e.bits(&u.live);
        let (bytes, lens, present) = u.names.flat();
        e.bytes(&bytes);
        e.u32s(&lens);
        let present: Vec<u8> = present.iter().map(|&p| u8::from(p)).collect();
        e.bytes(&present);
        let org: Vec<u8> = u
            .org
            .iter()
            .map(|o| match o {
                OrgRole::Owner => 0,
                OrgRole::Admin => 1,
                OrgRole::Member => 2,
            })
            .collect();
        e.bytes(&org);
        e.u32s(&u.primary);
        e.u32s(&u.homepage);
        e.bits(&u.prevent);
        let mut dashboards: Vec<(&UserIx, &Canonical)> = u.dashboards.iter().collect();
        dashboards.sort_by_key(|(k, _)| **k);
        e.usize(dashboards.len());
        for (k, v) in dashboards {
            e.u32(k.get());
            e.str(v.as_str());
        }
        e.lists(&u.roles);
        let mut notes: Vec<(&UserIx, &Vec<Note>)> = u.notes.iter().collect();
        notes.sort_by_key(|(k, _)| **k);
        e.usize(notes.len());
        for (k, v) in notes {
            e.u32(k.get());
            e.notes(v);
        }
        e.doc(&u.doc);
        let mut extras: Vec<(&UserIx, &Box<UserExtra>)> = u.extras.iter().collect();
        extras.sort_by_key(|(k, _)| **k);
        e.usize(extras.len());
        for (k, x) in extras {
            e.u32(k.get());
            e.opt_str(x.locale.as_deref());
            e.opt_str(x.org_role.as_deref());
            e.usize(x.attributes.len());
            for (key, value) in &x.attributes {
                e.str(key);
                e.str(value.as_str());
            }
        }
        // Groups, as the snapshot says them: members are computed again on restore.
        e.ids(&self.groups.ids);
        e.doc(&self.groups.doc);
        e.usize(self.groups.defs.len());
        for g in &self.groups.defs {
            encode_group(e, g);
        }
        // Roles, products, modules, permissions.
        let c = &self.catalog;
        e.ids(&c.perms);
        e.ids(&c.roles);
        e.usize(c.role_defs.len());
        for r in &c.role_defs {
            e.bool(r.live);
            e.localized(&r.name);
            e.ixs(&r.perms);
            e.bool(r.privileged);
        }
        e.doc(&c.role_doc);
        e.ids(&c.products);
        let live: Vec<u8> = c.product_live.iter().map(|&p| u8::from(p)).collect();
        e.bytes(&live);
        e.doc(&c.product_doc);
        e.opt_strs(&c.product_names);
        e.bool(c.modules_listed);
        e.ids(&c.modules);
        let live: Vec<u8> = c.module_live.iter().map(|&p| u8::from(p)).collect();
        e.bytes(&live);
        let required: Vec<u32> = c
            .module_required
            .iter()
            .map(|p| p.map_or(u32::MAX, |p| p.get()))
            .collect();
        e.u32s(&required);
        e.doc(&c.module_doc);
        e.opt_strs(&c.module_names);
        // Attributes.
        let columns: Vec<&Column> = self.attrs.columns().collect();
        e.usize(columns.len());
        for column in columns {
            column.encode(&mut EncColumn(&mut *e));
        }
        // The order people see users in.
        e.ixs(&self.by_name);
        // Notes about references and structure.
        let n = &self.notes;
        let mut users: Vec<(&UserIx, &Vec<Note>)> = n.users.iter().collect();
        users.sort_by_key(|(k, _)| **k);
        e.usize(users.len());
        for (k, v) in users {
            e.u32(k.get());
            e.notes(v);
        }
        let mut groups: Vec<(&GroupIx, &Vec<Note>)> = n.groups.iter().collect();
        groups.sort_by_key(|(k, _)| **k);
        e.usize(groups.len());
        for (k, v) in groups {
            e.u32(k.get());
            e.notes(v);
        }
        e.usize(n.graph.len());
        for (g, note) in &n.graph {
            e.u32(g.get());
            e.note(note);
        }
        e.bits(&n.slug_taken);
        let mut slugs: Vec<(&GroupIx, &Note)> = n.slugs.iter().collect();
        slugs.sort_by_key(|(k, _)| **k);
        e.usize(slugs.len());
        for (k, v) in slugs {
            e.u32(k.get());
            e.note(v);
        }
    }

    fn decode(d: &mut Dec<'_>) -> Result<Tenant, Error> {
        let revision = d.opt_string()?;
        let as_of = d.opt_i128()?;
        let as_of_text = d.opt_string()?;
        let default_locale = d.string()?;
        let default_dashboard = d.canonical()?;
        let meta = Meta {
            revision,
            as_of,
            as_of_text,
            default_locale,
            default_dashboard,
        };
        // Users.
        let ids: IdTable<UserIx> = d.ids()?;
        let slots = ids.len();
        let live = d.bits()?;
        let bytes = d.bytes()?.to_vec();
        let lens = d.u32s()?;
        let present: Vec<bool> = d.bytes()?.iter().map(|&p| p != 0).collect();
        let names = Texts::from_flat(bytes, &lens, present)
            .ok_or_else(|| corrupt("user names are inconsistent"))?;
        let org = d
            .bytes()?
            .iter()
            .map(|b| match b {
                0 => Ok(OrgRole::Owner),
                1 => Ok(OrgRole::Admin),
                2 => Ok(OrgRole::Member),
                _ => Err(corrupt("an org role is unknown")),
            })
            .collect::<R<Vec<_>>>()?;
        let primary = d.u32s()?;
        let homepage = d.u32s()?;
        let prevent = d.bits()?;
        let n = d.len(1)?;
        let mut dashboards = Map::default();
        for _ in 0..n {
            let u = d.ix::<UserIx>(slots)?;
            let layout = d
                .canonical_text()?
                .ok_or_else(|| corrupt("a user dashboard is missing"))?;
            dashboards.insert(u, layout);
        }
        // Role slots are not known yet: direct roles are checked once the catalog is read.
        let roles_raw = d.u32s()?;
        let roles_lens = d.u32s()?;
        let n = d.len(1)?;
        let mut user_notes = Map::default();
        for _ in 0..n {
            let u = d.ix::<UserIx>(slots)?;
            user_notes.insert(u, d.notes()?);
        }
        let user_doc = d.doc(slots)?;
        let n = d.len(1)?;
        let mut extras = Map::default();
        for _ in 0..n {
            let u = d.ix::<UserIx>(slots)?;
            let locale = d.opt_string()?.map(Into::into);
            let org_role = d.opt_string()?.map(Into::into);
            let m = d.len(1)?;
            let mut attributes = Vec::with_capacity(m);
            for _ in 0..m {
                let key: Box<str> = d.string()?.into();
                let value = d
                    .canonical_text()?
                    .ok_or_else(|| corrupt("an ignored attribute is missing"))?;
                attributes.push((key, value));
            }
            extras.insert(
                u,
                Box::new(UserExtra {
                    locale,
                    org_role,
                    attributes,
                }),
            );
        }
        if org.len() != slots
            || primary.len() != slots
            || homepage.len() != slots
            || live.words().len() > slots.div_ceil(64)
        {
            return Err(corrupt("user columns disagree on how many users there are"));
        }
        // Groups.
        let group_ids: IdTable<GroupIx> = d.ids()?;
        let group_slots = group_ids.len();
        let group_doc = d.doc(group_slots)?;
        let n = d.len(1)?;
        if n != group_slots {
            return Err(corrupt("groups disagree with their ids"));
        }
        let mut defs: Vec<Arc<Group>> = Vec::with_capacity(n);
        for _ in 0..n {
            defs.push(Arc::new(decode_group(d, slots, group_slots)?));
        }
        // Catalog.
        let perms: IdTable<PermIx> = d.ids()?;
        let roles: IdTable<RoleIx> = d.ids()?;
        let n = d.len(1)?;
        if n != roles.len() {
            return Err(corrupt("roles disagree with their ids"));
        }
        let mut role_defs = Vec::with_capacity(n);
        for _ in 0..n {
            role_defs.push(RoleDef {
                live: d.bool()?,
                name: d.localized()?,
                perms: d.ixs::<PermIx>(perms.len())?,
                privileged: d.bool()?,
            });
        }
        let role_doc = d.doc(roles.len())?;
        let products: IdTable<ProductIx> = d.ids()?;
        let product_live: Vec<bool> = d.bytes()?.iter().map(|&p| p != 0).collect();
        let product_doc = d.doc(products.len())?;
        let product_names = d.opt_strings()?;
        let modules_listed = d.bool()?;
        let modules: IdTable<ModuleIx> = d.ids()?;
        let module_live: Vec<bool> = d.bytes()?.iter().map(|&p| p != 0).collect();
        let module_required: Vec<Option<PermIx>> = d
            .u32s()?
            .into_iter()
            .map(|p| match p {
                u32::MAX => Ok(None),
                p if (p as usize) < perms.len() => Ok(Some(PermIx::new(p))),
                _ => Err(corrupt("a module's permission is out of range")),
            })
            .collect::<R<_>>()?;
        let module_doc = d.doc(modules.len())?;
        let module_names = d.opt_strings()?;
        if product_live.len() != products.len()
            || product_names.len() != products.len()
            || module_live.len() != modules.len()
            || module_required.len() != modules.len()
            || module_names.len() != modules.len()
        {
            return Err(corrupt("the catalog disagrees with its ids"));
        }
        // References now that every table is known.
        if roles_raw.iter().any(|&r| r as usize >= roles.len())
            || primary
                .iter()
                .any(|&g| g != u32::MAX && g as usize >= group_slots)
            || homepage
                .iter()
                .any(|&m| m != u32::MAX && m as usize >= modules.len())
        {
            return Err(corrupt("a user refers out of range"));
        }
        for g in &defs {
            if g.roles.iter().any(|r| r.index() >= roles.len())
                || g.products.iter().any(|p| p.index() >= products.len())
                || g.homepage.is_some_and(|m| m.index() >= modules.len())
            {
                return Err(corrupt("a group refers out of range"));
            }
        }
        let direct = Lists::from_flat(
            roles_raw.into_iter().map(RoleIx::new).collect(),
            &roles_lens,
        )
        .ok_or_else(|| corrupt("direct roles are inconsistent"))?;
        // Attributes.
        let n = d.len(1)?;
        let mut columns = Vec::with_capacity(n);
        for _ in 0..n {
            columns.push(Column::decode(&mut DecColumn(d), slots)?);
        }
        let attrs = Attributes::from_columns(columns);
        let by_name: Vec<UserIx> = d.ixs(slots)?;
        // Notes.
        let mut notes = Notes::default();
        let n = d.len(1)?;
        for _ in 0..n {
            let u = d.ix::<UserIx>(slots)?;
            notes.users.insert(u, d.notes()?);
        }
        let n = d.len(1)?;
        for _ in 0..n {
            let g = d.ix::<GroupIx>(group_slots)?;
            notes.groups.insert(g, d.notes()?);
        }
        let n = d.len(1)?;
        for _ in 0..n {
            let g = d.ix::<GroupIx>(group_slots)?;
            notes.graph.push((g, d.note()?));
        }
        notes.slug_taken = d.bits()?;
        let n = d.len(1)?;
        for _ in 0..n {
            let g = d.ix::<GroupIx>(group_slots)?;
            notes.slugs.insert(g, d.note()?);
        }
        let mut tenant = Tenant {
            meta: Arc::new(meta),
            users: Users {
                ids: Arc::new(ids),
                live: Arc::new(live),
                names: Arc::new(names),
                org: Arc::new(org),
                primary: Arc::new(primary),
                homepage: Arc::new(homepage),
                prevent: Arc::new(prevent),
                dashboards: Arc::new(dashboards),
                roles: Arc::new(direct),
                notes: Arc::new(user_notes),
                doc: Arc::new(user_doc),
                extras: Arc::new(extras),
            },
            groups: Groups {
                ids: Arc::new(group_ids),
                defs,
                doc: Arc::new(group_doc),
            },
            catalog: Arc::new(Catalog {
                roles,
                role_defs,
                role_doc,
                products,
                product_live,
                product_names,
                product_doc,
                modules_listed,
                modules,
                module_live,
                module_required,
                module_names,
                module_doc,
                perms,
            }),
            attrs,
            graph: Arc::default(),
            grants: Grants::default(),
            index: MemberIndex::default(),
            by_name: Arc::new(by_name),
            name_rank: Arc::default(),
            notes: Arc::new(notes),
            vocabulary: Arc::default(),
        };
        // What is derived, derived as a load derives it (`compile`), so that a restored
        // engine holds what a loaded one holds.
        tenant.derive_members();
        tenant.rebuild_name_rank();
        Ok(tenant)
    }
}

fn encode_group(e: &mut Enc, g: &Group) {
    e.bool(g.live);
    e.localized(&g.name);
    e.opt_str(g.slug.as_deref());
    e.opt_str(g.description.as_deref());
    e.opt_str(g.avatar.as_deref());
    e.bool(g.active);
    e.bool(g.visible);
    e.u32(g.homepage.map_or(u32::MAX, |m| m.get()));
    e.canonical(g.dashboard.as_ref());
    e.canonical(g.draft.as_ref());
    let users: Vec<u32> = g.entries.iter().map(|x| x.user.get()).collect();
    let stamps: Vec<u32> = g.entries.iter().map(|x| x.stamps).collect();
    e.u32s(&users);
    e.u32s(&stamps);
    e.usize(g.stamps.len());
    for [a, s, x] in &g.stamps {
        e.stamp(a.as_ref());
        e.stamp(s.as_ref());
        e.stamp(x.as_ref());
    }
    e.ixs(&g.include);
    match &g.rule {
        Some(rule) => {
            e.u8(1);
            e.str(&rule.to_json().to_string());
        }
        None => e.u8(0),
    }
    e.canonical(g.rule_source.as_ref());
    e.ixs(&g.roles);
    e.ixs(&g.products);
    e.opt_str(g.created_at.as_deref());
    e.opt_str(g.created_by.as_deref());
    e.notes(&g.notes);
}

fn decode_group(d: &mut Dec<'_>, slots: usize, group_slots: usize) -> Result<Group, Error> {
    let live = d.bool()?;
    let name = d.localized()?;
    let slug = d.opt_string()?;
    let description = d.opt_string()?;
    let avatar = d.opt_string()?;
    let active = d.bool()?;
    let visible = d.bool()?;
    // Module slots are checked once the catalog is read.
    let homepage = match d.u32()? {
        u32::MAX => None,
        m => Some(ModuleIx::new(m)),
    };
    let dashboard = d.canonical()?;
    let draft = d.canonical()?;
    let users: Vec<UserIx> = d.ixs(slots)?;
    let stamp_of = d.u32s()?;
    let n = d.len(1)?;
    let mut stamps = Vec::with_capacity(n);
    for _ in 0..n {
        stamps.push([d.stamp()?, d.stamp()?, d.stamp()?]);
    }
    if stamp_of.len() != users.len()
        || stamp_of
            .iter()
            .any(|&s| s != u32::MAX && s as usize >= stamps.len())
    {
        return Err(corrupt("member entries are inconsistent"));
    }
    let entries = users
        .into_iter()
        .zip(stamp_of)
        .map(|(user, stamps)| Entry { user, stamps })
        .collect();
    let include = d.ixs::<GroupIx>(group_slots)?;
    let rule = if d.bool()? {
        let text = d.string()?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|_| corrupt("a rule is not JSON"))?;
        let rule = Rule::from_json(&value, "$").map_err(|_| corrupt("a rule is invalid"))?;
        Some(Arc::new(rule))
    } else {
        None
    };
    let rule_source = d.canonical()?;
    // Role and product slots are checked once the catalog is read.
    let roles = d.ixs::<RoleIx>(usize::MAX)?;
    let products = d.ixs::<ProductIx>(usize::MAX)?;
    let created_at = d.opt_string()?;
    let created_by = d.opt_string()?;
    let notes = d.notes()?;
    let created = created_at.as_deref().and_then(crate::time::parse_rfc3339);
    Ok(Group {
        live,
        name,
        slug,
        description,
        avatar,
        active,
        visible,
        homepage,
        dashboard,
        draft,
        entries,
        stamps,
        include,
        rule,
        rule_source,
        roles,
        products,
        created_at,
        created,
        created_by,
        notes,
        ..Group::default()
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::snapshot::read_snapshot;

    fn tenant() -> Tenant {
        let snap = read_snapshot(
            r#"{"revision":"r1","asOf":"2025-01-01T00:00:00Z",
                "users":[{"id":"u1","name":"Ana","attributes":{"city":"Paris","tags":[1,"x"]},"roles":["r1","r9"]},
                         {"id":"u2","orgRole":"admin","attributes":{"city":"Lyon"},"dashboard":{"a":1}}],
                "groups":[{"id":"g1","name":{"en":"One","fr":"Un"},"members":["u1",{"user":"u2","startsAt":"2024-01-01T00:00:00Z"}],
                           "includeGroups":["g2"],"roles":["r1"],"products":["p1"],"slug":"one"},
                          {"id":"g2","name":"Two","includeGroups":["g1"],"rule":"city = paris"},
                          {"id":"g3","name":"Three","rule":"MEMBER OF g3","slug":"one"}],
                "roles":[{"id":"r1","name":"R","permissions":["a","b"]}],
                "products":[{"id":"p1"}],"modules":[{"id":"m1","requiredPermission":"a"}]}"#,
        )
        .unwrap();
        Tenant::compile(snap)
    }

    #[test]
    fn round_trips_byte_for_byte() {
        let t = tenant();
        let bytes = t.to_compiled(true);
        let (back, strict) = Tenant::from_compiled(&bytes).unwrap();
        assert!(strict);
        assert_eq!(back.to_compiled(true), bytes);
        assert_eq!(back.diagnostics(), t.diagnostics());
        assert!(Arc::ptr_eq(
            &back.def(back.group("g1").unwrap()).members,
            &back.def(back.group("g2").unwrap()).members
        ));
    }

    #[test]
    fn refuses_foreign_truncated_and_corrupt_bytes() {
        let bytes = tenant().to_compiled(false);
        for bad in [&b"{}"[..], &bytes[..10], &bytes[..bytes.len() - 1]] {
            let err = Tenant::from_compiled(bad).err().unwrap();
            assert_eq!(err.code(), ErrorCode::InvalidSnapshot);
        }
        let mut version = bytes.clone();
        version[4] = 9;
        let err = Tenant::from_compiled(&version).err().unwrap();
        assert!(err.message().contains("format version 9"), "{err}");
        for at in (HEADER..bytes.len()).step_by(7) {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x5A;
            assert!(Tenant::from_compiled(&flipped).is_err(), "flip at {at}");
        }
    }
}
