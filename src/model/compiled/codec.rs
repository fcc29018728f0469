//! The compiled format's primitives: [`Enc`] appends values to a body, [`Dec`] reads them
//! back and refuses anything that does not fit (a length past the end, a number not in its
//! shortest form, an index out of range), and the narrow views of both that the attribute
//! columns encode and decode themselves through.

use crate::error::{Error, ErrorCode};
use crate::ids::{IdTable, Ix};
use crate::json::Canonical;
use crate::sets::Bits;
use crate::snapshot::{At, Localized, Note, Severity, Stamp, GROUP_KEYS, USER_KEYS};

use super::super::attrs::AttrValue;
use super::super::store::{DocOrder, Lists};

/// The codes a note can carry, by number.
const CODES: [&str; 6] = [
    "invalid-value",
    "invalid-rule",
    "dangling-reference",
    "missing-as-of",
    "include-cycle",
    "member-of-cycle",
];

pub(super) fn corrupt(what: &str) -> Error {
    Error::new(
        ErrorCode::InvalidSnapshot,
        format!("the compiled snapshot is corrupt: {what}"),
    )
}

/// Appends values to the body.
#[derive(Default)]
pub(super) struct Enc {
    pub(super) buf: Vec<u8>,
}

impl Enc {
    pub(super) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(super) fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }

    pub(super) fn u32(&mut self, v: u32) {
        self.u64(u64::from(v));
    }

    /// LEB128: seven bits a byte, low first, the high bit set on every byte but the last.
    pub(super) fn u64(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    pub(super) fn usize(&mut self, v: usize) {
        self.u64(v as u64);
    }

    pub(super) fn i128(&mut self, v: i128) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub(super) fn bytes(&mut self, v: &[u8]) {
        self.usize(v.len());
        self.buf.extend_from_slice(v);
    }

    pub(super) fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }

    pub(super) fn opt_str(&mut self, v: Option<&str>) {
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
    pub(super) fn u32s(&mut self, v: &[u32]) {
        self.usize(v.len());
        let mut prev = 0u32;
        for &x in v {
            let delta = x.wrapping_sub(prev) as i32;
            self.u32(((delta << 1) ^ (delta >> 31)) as u32);
            prev = x;
        }
    }

    /// Words as they are (bitsets: dense, so nothing to gain from varints).
    pub(super) fn u64s(&mut self, v: &[u64]) {
        self.usize(v.len());
        self.buf.reserve(v.len() * 8);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }

    pub(super) fn ixs<I: Ix>(&mut self, v: &[I]) {
        let raw: Vec<u32> = v.iter().map(|x| x.get()).collect();
        self.u32s(&raw);
    }

    pub(super) fn opt_i128(&mut self, v: Option<i128>) {
        match v {
            Some(x) => {
                self.u8(1);
                self.i128(x);
            }
            None => self.u8(0),
        }
    }

    pub(super) fn canonical(&mut self, v: Option<&Canonical>) {
        self.opt_str(v.map(Canonical::as_str));
    }

    pub(super) fn opt_strs(&mut self, v: &[Option<String>]) {
        self.usize(v.len());
        for s in v {
            self.opt_str(s.as_deref());
        }
    }

    pub(super) fn ids<I: Ix>(&mut self, table: &IdTable<I>) {
        let (bytes, ends, tags) = table.parts();
        self.bytes(bytes);
        self.u32s(ends);
        self.bytes(tags);
    }

    pub(super) fn bits(&mut self, b: &Bits) {
        self.u64s(b.words());
    }

    pub(super) fn lists<I: Ix>(&mut self, l: &Lists<I>) {
        let (items, lens) = l.flat();
        self.ixs(&items);
        self.u32s(&lens);
    }

    pub(super) fn doc(&mut self, d: &DocOrder) {
        self.u32s(d.positions());
    }

    pub(super) fn localized(&mut self, l: &Localized) {
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

    pub(super) fn stamp(&mut self, s: Option<&Stamp>) {
        self.opt_str(s.map(|s| s.text.as_str()));
    }

    pub(super) fn note(&mut self, n: &Note) {
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

    pub(super) fn notes(&mut self, notes: &[Note]) {
        self.usize(notes.len());
        for n in notes {
            self.note(n);
        }
    }
}

/// Reads values from the body, refusing anything that does not fit.
pub(super) struct Dec<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) at: usize,
}

pub(super) type R<T> = Result<T, Error>;

impl<'a> Dec<'a> {
    pub(super) fn take(&mut self, n: usize) -> R<&'a [u8]> {
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

    pub(super) fn array<const N: usize>(&mut self) -> R<[u8; N]> {
        self.take(N)?
            .try_into()
            .map_err(|_| corrupt("it ends early"))
    }

    pub(super) fn u8(&mut self) -> R<u8> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    pub(super) fn bool(&mut self) -> R<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(corrupt("a flag is neither 0 nor 1")),
        }
    }

    pub(super) fn u32(&mut self) -> R<u32> {
        u32::try_from(self.u64()?).map_err(|_| corrupt("a number is too large"))
    }

    /// A LEB128 number of at most ten bytes, in its shortest form.
    #[inline]
    pub(super) fn u64(&mut self) -> R<u64> {
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
    pub(super) fn len(&mut self, unit: usize) -> R<usize> {
        let n = usize::try_from(self.u64()?).map_err(|_| corrupt("a length is too large"))?;
        if n.saturating_mul(unit.max(1)) > self.bytes.len() - self.at.min(self.bytes.len()) {
            return Err(corrupt("a length runs past the end"));
        }
        Ok(n)
    }

    pub(super) fn usize(&mut self) -> R<usize> {
        usize::try_from(self.u64()?).map_err(|_| corrupt("a number is too large"))
    }

    pub(super) fn i128(&mut self) -> R<i128> {
        Ok(i128::from_le_bytes(self.array()?))
    }

    pub(super) fn bytes(&mut self) -> R<&'a [u8]> {
        let n = self.len(1)?;
        self.take(n)
    }

    pub(super) fn string(&mut self) -> R<String> {
        let b = self.bytes()?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| corrupt("a text is not UTF-8"))
    }

    pub(super) fn opt_string(&mut self) -> R<Option<String>> {
        if self.bool()? {
            self.string().map(Some)
        } else {
            Ok(None)
        }
    }

    pub(super) fn u32s(&mut self) -> R<Vec<u32>> {
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

    pub(super) fn u64s(&mut self) -> R<Vec<u64>> {
        let n = self.len(8)?;
        let raw = self.take(n * 8)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect())
    }

    /// Indices, each below `bound`.
    pub(super) fn ixs<I: Ix>(&mut self, bound: usize) -> R<Vec<I>> {
        let raw = self.u32s()?;
        if raw.iter().any(|&x| x as usize >= bound) {
            return Err(corrupt("an index is out of range"));
        }
        Ok(raw.into_iter().map(I::new).collect())
    }

    pub(super) fn ix<I: Ix>(&mut self, bound: usize) -> R<I> {
        let x = self.u32()?;
        if x as usize >= bound {
            return Err(corrupt("an index is out of range"));
        }
        Ok(I::new(x))
    }

    pub(super) fn opt_i128(&mut self) -> R<Option<i128>> {
        if self.bool()? {
            self.i128().map(Some)
        } else {
            Ok(None)
        }
    }

    pub(super) fn opt_strings(&mut self) -> R<Vec<Option<String>>> {
        let n = self.len(1)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.opt_string()?);
        }
        Ok(out)
    }

    /// Canonical JSON, which answers splice as it is: checked to be exactly that.
    pub(super) fn canonical(&mut self) -> R<Option<Canonical>> {
        match self.opt_string()? {
            None => Ok(None),
            Some(text) => Self::checked(text).map(Some),
        }
    }

    /// Canonical JSON written without a presence flag.
    pub(super) fn canonical_text(&mut self) -> R<Option<Canonical>> {
        Self::checked(self.string()?).map(Some)
    }

    pub(super) fn checked(text: String) -> R<Canonical> {
        let value = crate::json::parse(&text).map_err(|_| corrupt("a dashboard is not JSON"))?;
        let canonical = Canonical::of(&value);
        if canonical.as_str() != text {
            return Err(corrupt("a dashboard is not canonical JSON"));
        }
        Ok(canonical)
    }

    pub(super) fn ids<I: Ix>(&mut self) -> R<IdTable<I>> {
        let bytes = self.bytes()?.to_vec();
        let ends = self.u32s()?;
        let tags = self.bytes()?.to_vec();
        IdTable::from_parts(bytes, ends, tags).ok_or_else(|| corrupt("an id table is inconsistent"))
    }

    pub(super) fn bits(&mut self) -> R<Bits> {
        Ok(Bits::from_words(self.u64s()?))
    }

    pub(super) fn doc(&mut self, slots: usize) -> R<DocOrder> {
        let pos = self.u32s()?;
        if pos.len() > slots {
            return Err(corrupt("document positions outnumber the items"));
        }
        Ok(DocOrder::from_positions(pos))
    }

    pub(super) fn localized(&mut self) -> R<Localized> {
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

    pub(super) fn stamp(&mut self) -> R<Option<Stamp>> {
        Ok(self.opt_string()?.map(Stamp::new))
    }

    pub(super) fn note(&mut self) -> R<Note> {
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

    pub(super) fn notes(&mut self) -> R<Vec<Note>> {
        let n = self.len(1)?;
        (0..n).map(|_| self.note()).collect()
    }
}

/// The encoder, as the attribute module sees it.
pub(crate) struct EncColumn<'e>(pub(super) &'e mut Enc);

/// The decoder, as the attribute module sees it.
pub(crate) struct DecColumn<'d, 'a>(pub(super) &'d mut Dec<'a>);

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
