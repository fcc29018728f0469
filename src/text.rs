//! Text comparison: case folding for rules, search folding, and the order of names.

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

/// The order of names shown to people: Unicode lowercase, then bytes.
///
/// Each name comes with its [`lower`] form, made once by the caller: a sort compares each
/// name many times, and lowering inside the comparison would copy both names every time.
pub fn compare_names((a_lower, a): (&str, &str), (b_lower, b): (&str, &str)) -> Ordering {
    a_lower.cmp(b_lower).then_with(|| a.cmp(b))
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

    #[test]
    fn names_order_case_insensitively_then_by_bytes() {
        let mut names = vec!["bob", "Alice", "alice", "Émile", "zoe"];
        names.sort_by(|a, b| compare_names((&lower(a), a), (&lower(b), b)));
        assert_eq!(names, vec!["Alice", "alice", "bob", "zoe", "Émile"]);
    }
}
