//! A ranked list searchable by folded text: [`Ranked`] keeps entries in the order suggestions
//! give them, with their labels and details folded, joined and sorted, so that the entries
//! starting with or containing a partial token are found by binary search or a byte-pair
//! index rather than a scan.

use crate::sets::Bits;
use crate::text::fold;

/// How many entries starting with a partial token are gathered and sorted; past that, the
/// ranked list is walked this far before the matches are marked in a bitset.
const GATHER: usize = 4096;

/// Separates folded texts in a haystack.
const SEP: char = '\u{1}';

/// Entries in the order suggestions give them, searchable by folded label and detail.
#[derive(Debug)]
pub struct Ranked<T> {
    pub(super) items: Vec<T>,
    pub(super) labels: Folded,
    pub(super) details: Option<Folded>,
}

impl<T> Default for Ranked<T> {
    fn default() -> Self {
        Ranked {
            items: Vec::new(),
            labels: Folded::new(std::iter::empty::<&str>()),
            details: None,
        }
    }
}

impl<T> Ranked<T> {
    /// Ranks `items`, already in order, with each one's label and detail.
    pub(super) fn new<L: AsRef<str>, D: AsRef<str>>(
        items: Vec<T>,
        labels: impl IntoIterator<Item = L>,
        details: Option<Vec<D>>,
    ) -> Ranked<T> {
        Ranked {
            items,
            labels: Folded::new(labels),
            details: details.map(Folded::new),
        }
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The entry at rank `i`.
    pub fn get(&self, i: usize) -> Option<&T> {
        self.items.get(i)
    }

    /// Whether entry `i`'s folded label or detail starts with `needle` (folded).
    fn starts_with(&self, i: usize, needle: &str) -> bool {
        self.labels.text(i).starts_with(needle)
            || self
                .details
                .as_ref()
                .is_some_and(|d| d.text(i).starts_with(needle))
    }

    /// The first `limit` entries, by rank, whose folded label or detail starts with `needle`
    /// (already folded). The matching entries are found by binary search; when they are
    /// few they are sorted, else the ranked list is walked for a while (matches are dense
    /// then, so `limit` of them are usually met soon), and failing that they are marked in a
    /// bitset read in rank order.
    pub fn starting(&self, needle: &str, limit: usize) -> Vec<usize> {
        if needle.is_empty() {
            return (0..self.len().min(limit)).collect();
        }
        let by_label = self.labels.with_prefix(needle);
        let by_detail = self
            .details
            .as_ref()
            .map_or(&[][..], |d| d.with_prefix(needle));
        let both = by_label.iter().chain(by_detail);
        if by_label.len() + by_detail.len() <= GATHER {
            let mut out: Vec<usize> = both.map(|&i| i as usize).collect();
            out.sort_unstable();
            out.dedup();
            out.truncate(limit);
            return out;
        }
        let mut out = Vec::new();
        for i in 0..self.len().min(GATHER) {
            if out.len() >= limit {
                return out;
            }
            if self.starts_with(i, needle) {
                out.push(i);
            }
        }
        if out.len() >= limit || self.len() <= GATHER {
            return out;
        }
        let mut marked = Bits::empty(self.len());
        for &i in both {
            marked.insert(i);
        }
        marked.iter().map(|i| i as usize).take(limit).collect()
    }

    /// The first `limit` entries, by rank, whose folded label or detail contains `needle`
    /// (already folded) but neither starts with it: the ones [`Ranked::starting`] leaves out.
    /// Labels and details are searched side by side, each only as far as the other's next
    /// hit, so the search stops soon after the `limit`-th entry.
    pub fn containing(&self, needle: &str, limit: usize) -> Vec<usize> {
        let mut out = Vec::new();
        if needle.is_empty() || limit == 0 || self.is_empty() {
            return out;
        }
        let n = self.len();
        let mut labels = self.labels.hits(needle);
        let mut details = self.details.as_ref().map(|d| d.hits(needle));
        let (mut a, mut b): (Option<usize>, Option<usize>) = (None, None);
        loop {
            if a.is_none() {
                a = labels.next_before(b.map_or(n, |b| b + 1));
            }
            if b.is_none() {
                b = details
                    .as_mut()
                    .and_then(|d| d.next_before(a.map_or(n, |a| a + 1)));
            }
            let next = match (a, b) {
                (None, None) => break,
                (Some(x), None) | (None, Some(x)) => x,
                (Some(x), Some(y)) => x.min(y),
            };
            if a == Some(next) {
                a = None;
            }
            if b == Some(next) {
                b = None;
            }
            if !self.starts_with(next, needle) {
                out.push(next);
                if out.len() >= limit {
                    break;
                }
            }
        }
        out
    }
}

/// Folded texts, one per entry: joined into one haystack, sorted, and, when there is much
/// text, indexed by the byte pairs each text holds.
#[derive(Debug)]
pub(super) struct Folded {
    /// Each entry's folded text followed by [`SEP`], by rank.
    hay: String,
    /// Where each entry's text starts in `hay`, and, last, the length of `hay`.
    starts: Vec<usize>,
    /// The entries by folded text, then rank.
    sorted: Vec<u32>,
    /// For a long haystack: per byte pair, the entries whose text holds it, by rank.
    pairs: Option<Pairs>,
}

/// Below this many bytes, a haystack is searched by a scan.
const SCAN_BYTES: usize = 64 * 1024;

/// An index of byte pairs: `entries[offsets[p]..offsets[p + 1]]` hold pair `p`.
#[derive(Debug)]
struct Pairs {
    offsets: Vec<u32>,
    entries: Vec<u32>,
}

fn pair(a: u8, b: u8) -> usize {
    usize::from(a) << 8 | usize::from(b)
}

impl Pairs {
    fn new(folded: &Folded) -> Option<Pairs> {
        let count = folded.starts.len().saturating_sub(1);
        // Each text's distinct pairs, counted, then placed: `seen[p]` is the last entry + 1
        // that held pair `p`.
        let mut seen = vec![0u32; 1 << 16];
        let mut offsets = vec![0u32; (1 << 16) + 1];
        let each_pair = |f: &mut dyn FnMut(usize, u32)| {
            for e in 0..count {
                let mark = u32::try_from(e + 1).unwrap_or(u32::MAX);
                for w in folded.text(e).as_bytes().windows(2) {
                    if let [x, y] = *w {
                        f(pair(x, y), mark);
                    }
                }
            }
        };
        each_pair(&mut |p, mark| {
            if let (Some(s), Some(o)) = (seen.get_mut(p), offsets.get_mut(p + 1)) {
                if *s != mark {
                    *s = mark;
                    *o += 1;
                }
            }
        });
        for i in 1..offsets.len() {
            let before = offsets.get(i - 1).copied().unwrap_or(0);
            if let Some(o) = offsets.get_mut(i) {
                *o = o.checked_add(before)?;
            }
        }
        let mut fill: Vec<u32> = offsets.clone();
        let mut entries = vec![0u32; offsets.last().copied().unwrap_or(0) as usize];
        seen.fill(0);
        each_pair(&mut |p, mark| {
            if let (Some(s), Some(at)) = (seen.get_mut(p), fill.get_mut(p)) {
                if *s != mark {
                    *s = mark;
                    if let Some(slot) = entries.get_mut(*at as usize) {
                        *slot = mark - 1;
                    }
                    *at += 1;
                }
            }
        });
        Some(Pairs { offsets, entries })
    }

    fn entries(&self, p: usize) -> &[u32] {
        let from = self.offsets.get(p).copied().unwrap_or(0) as usize;
        let to = self.offsets.get(p + 1).copied().unwrap_or(0) as usize;
        self.entries.get(from..to).unwrap_or(&[])
    }
}

impl Folded {
    /// Whether the texts are indexed by byte pairs (a long haystack), for tests.
    #[cfg(test)]
    pub(super) fn indexed(&self) -> bool {
        self.pairs.is_some()
    }

    pub(super) fn new<S: AsRef<str>>(texts: impl IntoIterator<Item = S>) -> Folded {
        let mut hay = String::new();
        let mut starts = Vec::new();
        for text in texts {
            starts.push(hay.len());
            let text = text.as_ref();
            if text.is_ascii() {
                // Folding ASCII is lowercasing it (the common case, and much cheaper).
                hay.extend(text.chars().map(|c| c.to_ascii_lowercase()));
            } else {
                hay.push_str(&fold(text));
            }
            hay.push(SEP);
        }
        starts.push(hay.len());
        let mut folded = Folded {
            hay,
            starts,
            sorted: Vec::new(),
            pairs: None,
        };
        let mut by_text: Vec<(&str, u32)> = (0..folded.starts.len().saturating_sub(1))
            .map(|i| (folded.text(i), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        // Entries are distinct, so an unstable sort gives one order.
        by_text.sort_unstable();
        let sorted = by_text.into_iter().map(|(_, i)| i).collect();
        folded.sorted = sorted;
        if folded.hay.len() > SCAN_BYTES {
            folded.pairs = Pairs::new(&folded);
        }
        folded
    }

    /// Entry `i`'s folded text.
    fn text(&self, i: usize) -> &str {
        let start = self.starts.get(i).copied().unwrap_or(0);
        let end = self
            .starts
            .get(i + 1)
            .map_or(start, |&next| next - SEP.len_utf8());
        self.hay.get(start..end).unwrap_or("")
    }

    /// The entries whose folded text starts with `needle`, by text.
    fn with_prefix(&self, needle: &str) -> &[u32] {
        let from = self
            .sorted
            .partition_point(|&e| self.text(e as usize) < needle);
        let rest = self.sorted.get(from..).unwrap_or(&[]);
        let count = rest.partition_point(|&e| self.text(e as usize).starts_with(needle));
        rest.get(..count).unwrap_or(&[])
    }

    /// The entries whose folded text contains `needle`, by rank: through the rarest of the
    /// needle's byte pairs when the haystack is indexed, else by a scan.
    fn hits<'a>(&'a self, needle: &'a str) -> Hits<'a> {
        let candidates = self.pairs.as_ref().and_then(|pairs| {
            needle
                .as_bytes()
                .windows(2)
                .filter_map(|w| match *w {
                    [x, y] => Some(pairs.entries(pair(x, y))),
                    _ => None,
                })
                .min_by_key(|list| list.len())
        });
        Hits {
            folded: self,
            needle,
            at: 0,
            candidates,
        }
    }
}

/// The entries of a [`Folded`] whose text contains a needle, by rank.
struct Hits<'a> {
    folded: &'a Folded,
    needle: &'a str,
    /// By scan: where in the haystack to look next. By candidates: which one is next.
    at: usize,
    /// The entries holding the needle's rarest byte pair, when the haystack is indexed.
    candidates: Option<&'a [u32]>,
}

impl Hits<'_> {
    /// The next entry below `bound` whose text contains the needle; when there is none, the
    /// search resumes at `bound`.
    fn next_before(&mut self, bound: usize) -> Option<usize> {
        if let Some(candidates) = self.candidates {
            while let Some(&e) = candidates.get(self.at) {
                let e = e as usize;
                if e >= bound {
                    return None;
                }
                self.at += 1;
                if self.folded.text(e).contains(self.needle) {
                    return Some(e);
                }
            }
            return None;
        }
        let starts = &self.folded.starts;
        let stop = starts.get(bound).copied().unwrap_or(self.folded.hay.len());
        while self.at < stop {
            let window = self.folded.hay.get(self.at..stop)?;
            let mut chars = self.needle.chars();
            let found = match (chars.next(), chars.next()) {
                // One character: a byte search, much faster than a substring search.
                (Some(c), None) => window.find(c),
                _ => window.find(self.needle),
            };
            let Some(found) = found.map(|f| f + self.at) else {
                self.at = stop;
                return None;
            };
            let entry = starts.partition_point(|&s| s <= found).saturating_sub(1);
            let end = starts.get(entry + 1).copied().unwrap_or(stop);
            if found + self.needle.len() < end {
                // Within the entry (its separator excluded): on to the next entry.
                self.at = end;
                return Some(entry);
            }
            // The match runs into the next entry: look again one character on.
            self.at = found + self.needle.chars().next().map_or(1, char::len_utf8);
        }
        None
    }
}
