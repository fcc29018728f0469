//! Text comparison: case folding for rules, search folding, and the order of names (SPEC §2).

use std::cmp::Ordering;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Unicode lowercase, as rules compare text.
pub fn lower(text: &str) -> String {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        text.to_owned()
    } else {
        text.to_lowercase()
    }
}

/// Search folding (SPEC §7): NFKD, combining marks removed, lowercase, and the letters that
/// do not decompose (ł ø ß æ œ) spelled out.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        for l in c.to_lowercase() {
            match l {
                'ł' => out.push('l'),
                'ø' => out.push('o'),
                'ß' => out.push_str("ss"),
                'æ' => out.push_str("ae"),
                'œ' => out.push_str("oe"),
                'đ' => out.push('d'),
                'ı' => out.push('i'),
                other => out.push(other),
            }
        }
    }
    out
}

/// A name's place in the order people expect (SPEC §2), made once per name: a sort compares
/// each name many times, and folding inside the comparison would copy both names every time.
///
/// Names compare first by their search-folded form (accents removed, lower case, so `Élodie`
/// sits among the E's) with each run of ASCII digits taken by its numeric value (`Team 9`
/// before `Team 10`; equal values, the shorter run first), then by their Unicode lowercase,
/// then by bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameKey {
    /// The folded form, when it differs from `lower` (it does not for plain ASCII).
    folded: Option<Box<str>>,
    lower: Box<str>,
    name: Box<str>,
}

impl NameKey {
    /// The key of `name`.
    pub fn new(name: &str) -> NameKey {
        let lowered = lower(name);
        let folded = if name.is_ascii() {
            None
        } else {
            Some(fold(name)).filter(|f| *f != lowered)
        };
        NameKey {
            folded: folded.map(String::into_boxed_str),
            lower: lowered.into_boxed_str(),
            name: name.into(),
        }
    }

    fn folded(&self) -> &str {
        self.folded.as_deref().unwrap_or(&self.lower)
    }
}

impl Ord for NameKey {
    fn cmp(&self, other: &NameKey) -> Ordering {
        // Namesakes are common in a directory: one comparison of the names settles them.
        if self.name == other.name {
            return Ordering::Equal;
        }
        natural(self.folded(), other.folded())
            .then_with(|| self.lower.cmp(&other.lower))
            .then_with(|| self.name.cmp(&other.name))
    }
}

impl PartialOrd for NameKey {
    fn partial_cmp(&self, other: &NameKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Texts compared character by character, except that runs of ASCII digits compare by their
/// numeric value, and equal values put the shorter run first.
fn natural(a: &str, b: &str) -> Ordering {
    // A common start without digits compares equal character by character: skip it by bytes,
    // back to the start of the character the texts differ in (equal bytes before it make its
    // first byte, and so its length, the same in both).
    let mut same = a
        .bytes()
        .zip(b.bytes())
        .take_while(|&(x, y)| x == y && !x.is_ascii_digit())
        .count();
    while !a.is_char_boundary(same) {
        same -= 1;
    }
    by_characters(
        a.get(same..).unwrap_or_default(),
        b.get(same..).unwrap_or_default(),
    )
}

/// [`natural`] from the first character on.
fn by_characters(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        let (Some(ca), Some(cb)) = (a.chars().next(), b.chars().next()) else {
            return a.len().cmp(&b.len());
        };
        if ca.is_ascii_digit() && cb.is_ascii_digit() {
            let (run_a, rest_a) = digit_run(a);
            let (run_b, rest_b) = digit_run(b);
            let (value_a, value_b) = (run_a.trim_start_matches('0'), run_b.trim_start_matches('0'));
            let by_value = value_a
                .len()
                .cmp(&value_b.len())
                .then_with(|| value_a.cmp(value_b))
                .then_with(|| run_a.len().cmp(&run_b.len()));
            if by_value != Ordering::Equal {
                return by_value;
            }
            (a, b) = (rest_a, rest_b);
            continue;
        }
        if ca != cb {
            return ca.cmp(&cb);
        }
        (a, b) = (
            a.get(ca.len_utf8()..).unwrap_or_default(),
            b.get(cb.len_utf8()..).unwrap_or_default(),
        );
    }
}

/// The leading run of ASCII digits of `text`, and what follows it.
fn digit_run(text: &str) -> (&str, &str) {
    let end = text
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_matches_accents_and_special_letters() {
        assert_eq!(fold("Équipe Łódź"), "equipe lodz");
        assert_eq!(fold("Straße Ærø Œuvre"), "strasse aero oeuvre");
        assert!(fold("Équipe Paris").contains(&fold("equipe")));
        assert_eq!(fold("ﬁ"), "fi");
    }

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut keys: Vec<NameKey> = names.iter().map(|n| NameKey::new(n)).collect();
        keys.sort();
        keys.into_iter().map(|k| k.name.into_string()).collect()
    }

    #[test]
    fn names_order_folded_then_lowercase_then_bytes() {
        assert_eq!(
            sorted(&["bob", "Alice", "alice", "Émile", "zoe", "Eve", "émile"]),
            vec!["Alice", "alice", "bob", "Émile", "émile", "Eve", "zoe"]
        );
        assert_eq!(sorted(&["Zoë", "Zoe", "zoe"]), vec!["Zoe", "zoe", "Zoë"]);
        assert_eq!(
            sorted(&["Łukasz", "Luc", "Lyon"]),
            vec!["Luc", "Łukasz", "Lyon"]
        );
    }

    #[test]
    fn digit_runs_compare_by_value() {
        assert_eq!(
            sorted(&["Division 1089", "Division 109", "Division 9", "Division 10"]),
            vec!["Division 9", "Division 10", "Division 109", "Division 1089"]
        );
        assert_eq!(
            sorted(&["Team 01", "Team 1", "Team 001"]),
            vec!["Team 1", "Team 01", "Team 001"]
        );
        assert_eq!(
            sorted(&["a2b10", "a2b9", "a10b1"]),
            vec!["a2b9", "a2b10", "a10b1"]
        );
        assert_eq!(sorted(&["x", "x1", "1", ""]), vec!["", "1", "x", "x1"]);
        // Digits beyond any integer type still compare by value.
        assert_eq!(
            sorted(&["n 100000000000000000000000", "n 99999999999999999999999"]),
            vec!["n 99999999999999999999999", "n 100000000000000000000000"]
        );
        // Non-ASCII digits are ordinary characters.
        assert_eq!(sorted(&["٣", "2", "10"]), vec!["2", "10", "٣"]);
    }

    #[test]
    fn skipping_a_common_start_keeps_the_order() {
        // Texts from a small alphabet of letters, digits and multi-byte characters sharing
        // first bytes (é, è, ê; 日, 旦), so that starts are often common and differ mid-character.
        let alphabet = ["a", "b", "0", "1", "9", "é", "è", "ê", "日", "旦", " "];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut texts: Vec<String> = Vec::new();
        for _ in 0..400 {
            let len = (next() % 7) as usize;
            texts.push((0..len).map(|_| alphabet[(next() % 11) as usize]).collect());
        }
        for a in &texts {
            for b in texts.iter().take(60) {
                assert_eq!(natural(a, b), by_characters(a, b), "{a:?} against {b:?}");
            }
        }
    }
}
