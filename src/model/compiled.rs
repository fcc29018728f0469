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
//! wrong answer. Writing is deterministic: the same tenant gives the same bytes.

use std::sync::Arc;

use crate::error::{Error, ErrorCode};
use crate::hash::Map;
use crate::ids::{GroupIx, IdTable, Ix, ModuleIx, PermIx, ProductIx, RoleIx, UserIx};
use crate::json::Canonical;
use crate::rules::Rule;
use crate::sets::Bits;
use crate::snapshot::{At, Localized, Note, OrgRole, Severity, Stamp, GROUP_KEYS, USER_KEYS};

use super::attrs::{AttrValue, Attributes, Column};
use super::notes::Notes;
use super::store::{DocOrder, Lists, Texts};
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

/// The codes a note can carry, by number.
const CODES: [&str; 6] = [
    "invalid-value",
    "invalid-rule",
    "dangling-reference",
    "missing-as-of",
    "include-cycle",
    "member-of-cycle",
];

fn corrupt(what: &str) -> Error {
    Error::new(
        ErrorCode::InvalidSnapshot,
        format!("the compiled snapshot is corrupt: {what}"),
    )
}

/// Appends values to the body.
#[derive(Default)]
struct Enc {
    buf: Vec<u8>,
}

impl Enc {
    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }

    fn u32(&mut self, v: u32) {
        self.u64(u64::from(v));
    }

    /// LEB128: seven bits a byte, low first, the high bit set on every byte but the last.
    fn u64(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    fn usize(&mut self, v: usize) {
        self.u64(v as u64);
    }

    fn i128(&mut self, v: i128) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    fn bytes(&mut self, v: &[u8]) {
        self.usize(v.len());
        self.buf.extend_from_slice(v);
    }

    fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }

    fn opt_str(&mut self, v: Option<&str>) {
        match v {
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
            None => self.u8(0),
        }
    }

    /// Numbers as the differences from the one before (wrapping, zigzagged), so that sorted
    /// lists, slots in order and runs of "none" take a byte each.
    fn u32s(&mut self, v: &[u32]) {
        self.usize(v.len());
        let mut prev = 0u32;
        for &x in v {
            let delta = x.wrapping_sub(prev) as i32;
            self.u32(((delta << 1) ^ (delta >> 31)) as u32);
            prev = x;
        }
    }

    /// Words as they are (bitsets: dense, so nothing to gain from varints).
    fn u64s(&mut self, v: &[u64]) {
        self.usize(v.len());
        self.buf.reserve(v.len() * 8);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }

    fn ixs<I: Ix>(&mut self, v: &[I]) {
        let raw: Vec<u32> = v.iter().map(|x| x.get()).collect();
        self.u32s(&raw);
    }

    fn opt_i128(&mut self, v: Option<i128>) {
        match v {
            Some(x) => {
                self.u8(1);
                self.i128(x);
            }
            None => self.u8(0),
        }
    }

    fn canonical(&mut self, v: Option<&Canonical>) {
        self.opt_str(v.map(Canonical::as_str));
    }

    fn opt_strs(&mut self, v: &[Option<String>]) {
        self.usize(v.len());
        for s in v {
            self.opt_str(s.as_deref());
        }
    }

    fn ids<I: Ix>(&mut self, table: &IdTable<I>) {
        let (bytes, ends, tags) = table.parts();
        self.bytes(bytes);
        self.u32s(ends);
        self.bytes(tags);
    }

    fn bits(&mut self, b: &Bits) {
        self.u64s(b.words());
    }

    fn lists<I: Ix>(&mut self, l: &Lists<I>) {
        let (items, lens) = l.flat();
        self.ixs(&items);
        self.u32s(&lens);
    }

    fn doc(&mut self, d: &DocOrder) {
        self.u32s(d.positions());
    }

    fn localized(&mut self, l: &Localized) {
        match l {
            Localized::Plain(s) => {
                self.u8(0);
                self.str(s);
            }
            Localized::PerLocale(entries) => {
                self.u8(1);
                self.usize(entries.len());
                for (locale, text) in entries {
                    self.str(locale);
                    self.str(text);
                }
            }
        }
    }

    fn stamp(&mut self, s: Option<&Stamp>) {
        self.opt_str(s.map(|s| s.text.as_str()));
    }

    fn note(&mut self, n: &Note) {
        self.u8(u8::from(n.severity == Severity::Error));
        let code = CODES
            .iter()
            .position(|c| *c == n.code)
            .unwrap_or(usize::MAX);
        self.usize(code);
        self.str(&n.message);
        self.str(n.at.key);
        self.u32(n.at.element.unwrap_or(u32::MAX));
        match &n.at.sub {
            Some((key, pos)) => {
                self.u8(1);
                self.str(key);
                self.u32(*pos);
            }
            None => self.u8(0),
        }
    }

    fn notes(&mut self, notes: &[Note]) {
        self.usize(notes.len());
        for n in notes {
            self.note(n);
        }
    }
}

/// Reads values from the body, refusing anything that does not fit.
struct Dec<'a> {
    bytes: &'a [u8],
    at: usize,
}

type R<T> = Result<T, Error>;

impl<'a> Dec<'a> {
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .ok_or_else(|| corrupt("a length overflows"))?;
        let out = self
            .bytes
            .get(self.at..end)
            .ok_or_else(|| corrupt("it ends early"))?;
        self.at = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> R<[u8; N]> {
        self.take(N)?
            .try_into()
            .map_err(|_| corrupt("it ends early"))
    }

    fn u8(&mut self) -> R<u8> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    fn bool(&mut self) -> R<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(corrupt("a flag is neither 0 nor 1")),
        }
    }

    fn u32(&mut self) -> R<u32> {
        u32::try_from(self.u64()?).map_err(|_| corrupt("a number is too large"))
    }

    /// A LEB128 number of at most ten bytes, in its shortest form.
    #[inline]
    fn u64(&mut self) -> R<u64> {
        if let Some(&b) = self.bytes.get(self.at) {
            if b < 0x80 {
                self.at += 1;
                return Ok(u64::from(b));
            }
        }
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.u8()?;
            if shift == 63 && b > 1 {
                return Err(corrupt("a number is too large"));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                if b == 0 && shift > 0 {
                    return Err(corrupt("a number is not in its shortest form"));
                }
                return Ok(v);
            }
        }
        Err(corrupt("a number is too large"))
    }

    /// A count of items of at least `unit` bytes each, which must fit what remains.
    fn len(&mut self, unit: usize) -> R<usize> {
        let n = usize::try_from(self.u64()?).map_err(|_| corrupt("a length is too large"))?;
        if n.saturating_mul(unit.max(1)) > self.bytes.len() - self.at.min(self.bytes.len()) {
            return Err(corrupt("a length runs past the end"));
        }
        Ok(n)
    }

    fn usize(&mut self) -> R<usize> {
        usize::try_from(self.u64()?).map_err(|_| corrupt("a number is too large"))
    }

    fn i128(&mut self) -> R<i128> {
        Ok(i128::from_le_bytes(self.array()?))
    }

    fn bytes(&mut self) -> R<&'a [u8]> {
        let n = self.len(1)?;
        self.take(n)
    }

    fn string(&mut self) -> R<String> {
        let b = self.bytes()?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| corrupt("a text is not UTF-8"))
    }

    fn opt_string(&mut self) -> R<Option<String>> {
        if self.bool()? {
            self.string().map(Some)
        } else {
            Ok(None)
        }
    }

    fn u32s(&mut self) -> R<Vec<u32>> {
        let n = self.len(1)?;
        let mut out = Vec::with_capacity(n);
        let mut prev = 0u32;
        for _ in 0..n {
            let z = self.u32()?;
            let delta = ((z >> 1) as i32) ^ -((z & 1) as i32);
            prev = prev.wrapping_add(delta as u32);
            out.push(prev);
        }
        Ok(out)
    }

    fn u64s(&mut self) -> R<Vec<u64>> {
        let n = self.len(8)?;
        let raw = self.take(n * 8)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect())
    }

    /// Indices, each below `bound`.
    fn ixs<I: Ix>(&mut self, bound: usize) -> R<Vec<I>> {
        let raw = self.u32s()?;
        if raw.iter().any(|&x| x as usize >= bound) {
            return Err(corrupt("an index is out of range"));
        }
        Ok(raw.into_iter().map(I::new).collect())
    }

    fn ix<I: Ix>(&mut self, bound: usize) -> R<I> {
        let x = self.u32()?;
        if x as usize >= bound {
            return Err(corrupt("an index is out of range"));
        }
        Ok(I::new(x))
    }

    fn opt_i128(&mut self) -> R<Option<i128>> {
        if self.bool()? {
            self.i128().map(Some)
        } else {
            Ok(None)
        }
    }

    fn opt_strings(&mut self) -> R<Vec<Option<String>>> {
        let n = self.len(1)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.opt_string()?);
        }
        Ok(out)
    }

    /// Canonical JSON, which answers splice as it is: checked to be exactly that.
    fn canonical(&mut self) -> R<Option<Canonical>> {
        match self.opt_string()? {
            None => Ok(None),
            Some(text) => Self::checked(text).map(Some),
        }
    }

    /// Canonical JSON written without a presence flag.
    fn canonical_text(&mut self) -> R<Option<Canonical>> {
        Self::checked(self.string()?).map(Some)
    }

    fn checked(text: String) -> R<Canonical> {
        let value = crate::json::parse(&text).map_err(|_| corrupt("a dashboard is not JSON"))?;
        let canonical = Canonical::of(&value);
        if canonical.as_str() != text {
            return Err(corrupt("a dashboard is not canonical JSON"));
        }
        Ok(canonical)
    }

    fn ids<I: Ix>(&mut self) -> R<IdTable<I>> {
        let bytes = self.bytes()?.to_vec();
        let ends = self.u32s()?;
        let tags = self.bytes()?.to_vec();
        IdTable::from_parts(bytes, ends, tags).ok_or_else(|| corrupt("an id table is inconsistent"))
    }

    fn bits(&mut self) -> R<Bits> {
        Ok(Bits::from_words(self.u64s()?))
    }

    fn doc(&mut self, slots: usize) -> R<DocOrder> {
        let pos = self.u32s()?;
        if pos.len() > slots {
            return Err(corrupt("document positions outnumber the items"));
        }
        Ok(DocOrder::from_positions(pos))
    }

    fn localized(&mut self) -> R<Localized> {
        match self.u8()? {
            0 => Ok(Localized::Plain(self.string()?)),
            1 => {
                let n = self.len(1)?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    entries.push((self.string()?, self.string()?));
                }
                Ok(Localized::PerLocale(entries))
            }
            _ => Err(corrupt("a name has an unknown form")),
        }
    }

    fn stamp(&mut self) -> R<Option<Stamp>> {
        Ok(self.opt_string()?.map(Stamp::new))
    }

    fn note(&mut self) -> R<Note> {
        let severity = if self.bool()? {
            Severity::Error
        } else {
            Severity::Warning
        };
        let code = *CODES
            .get(self.usize()?)
            .ok_or_else(|| corrupt("a diagnostic has an unknown code"))?;
        let message = self.string()?;
        let key = self.string()?;
        let key = *USER_KEYS
            .iter()
            .chain(GROUP_KEYS)
            .find(|k| **k == key)
            .ok_or_else(|| corrupt("a diagnostic points at an unknown key"))?;
        let element = match self.u32()? {
            u32::MAX => None,
            e => Some(e),
        };
        let sub = if self.bool()? {
            Some((self.string()?, self.u32()?))
        } else {
            None
        };
        Ok(Note {
            severity,
            code,
            message,
            at: At { key, element, sub },
        })
    }

    fn notes(&mut self) -> R<Vec<Note>> {
        let n = self.len(1)?;
        (0..n).map(|_| self.note()).collect()
    }
}

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
        for g in 0..tenant.groups.defs.len() {
            if let Some(g) = GroupIx::from_usize(g) {
                tenant.refresh_manual(g);
            }
        }
        tenant.rebuild_graph();
        tenant.compute_all_members();
        tenant.rebuild_member_index();
        tenant.rebuild_product_groups();
        tenant.rebuild_product_users();
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

/// The encoder, as the attribute module sees it.
pub(crate) struct EncColumn<'e>(&'e mut Enc);

/// The decoder, as the attribute module sees it.
pub(crate) struct DecColumn<'d, 'a>(&'d mut Dec<'a>);

impl EncColumn<'_> {
    /// A string.
    pub fn str(&mut self, v: &str) {
        self.0.str(v);
    }

    /// A byte.
    pub fn u8(&mut self, v: u8) {
        self.0.u8(v);
    }

    /// A count.
    pub fn usize(&mut self, v: usize) {
        self.0.usize(v);
    }

    /// Numbers.
    pub fn u32s(&mut self, v: &[u32]) {
        self.0.u32s(v);
    }

    /// A value.
    pub fn value(&mut self, v: &AttrValue) {
        match v {
            AttrValue::Text { text, .. } => {
                self.0.u8(0);
                self.0.str(text);
            }
            AttrValue::Other { json, .. } => {
                self.0.u8(1);
                self.0.str(json.as_str());
            }
        }
    }
}

impl DecColumn<'_, '_> {
    /// A string.
    pub fn string(&mut self) -> Result<String, Error> {
        self.0.string()
    }

    /// A byte.
    pub fn u8(&mut self) -> Result<u8, Error> {
        self.0.u8()
    }

    /// A count of items of at least `unit` bytes.
    pub fn len(&mut self, unit: usize) -> Result<usize, Error> {
        self.0.len(unit)
    }

    /// Numbers.
    pub fn u32s(&mut self) -> Result<Vec<u32>, Error> {
        self.0.u32s()
    }

    /// A value.
    pub fn value(&mut self) -> Result<AttrValue, Error> {
        match self.0.u8()? {
            0 => Ok(AttrValue::text(&self.0.string()?)),
            1 => {
                let text = self.0.string()?;
                let value: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|_| corrupt("an attribute value is not JSON"))?;
                Ok(AttrValue::new(&value))
            }
            _ => Err(corrupt("an attribute value has an unknown form")),
        }
    }
}

/// The corrupt-bytes error, for the attribute module.
pub(crate) fn corrupt_column(what: &str) -> Error {
    corrupt(what)
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
