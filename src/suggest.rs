//! Rule suggestions (SPEC §7.4): what can be typed where the cursor stands in rule text.
//!
//! The text is cut into tokens by the rule lexer. The token under the cursor — a word or a
//! string that the cursor ends or lies in — is the *partial token* that an item replaces;
//! the tokens before it are walked through the grammar of §4.3 to learn what may come next:
//! a condition, an operator, a value, a connective. The tenant's vocabulary then gives the
//! fields, values, groups or users that fit, ranked, and the ones whose folded label or
//! detail starts with the folded partial token come first, then the ones that contain it.
//!
//! Boundary: this module knows the grammar's positions and the order of items; the lists
//! themselves, and how they are searched, belong to the model's vocabulary. It writes no
//! answers: the one JSON it touches is the string quoting of rule text (`"…"` with JSON
//! escapes, §4.3) for an `insert` that needs quotes.

use std::borrow::Cow;
use std::sync::Arc;

use crate::error::{Error, ErrorCode};
use crate::model::{Ranked, Tenant, UserChoice, ValueKind, Values};
use crate::rules::{
    is_bare_field, is_bare_text, is_keyword, lexemes, parse_rule, Lexeme, LexemeKind, Op,
};
use crate::text::fold;

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A field: an attribute key, `id`, `name` or `orgRole`.
    Field,
    /// An operator, such as `=` or `NOT LIKE`.
    Operator,
    /// A value of the field.
    Value,
    /// A group, after `MEMBER OF`.
    Group,
    /// A user, after `REPORTS TO`.
    User,
    /// A keyword or punctuation: `NOT`, `(`, `AND`, `OR`, `)`, `,`.
    Keyword,
}

impl Kind {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Field => "field",
            Kind::Operator => "operator",
            Kind::Value => "value",
            Kind::Group => "group",
            Kind::User => "user",
            Kind::Keyword => "keyword",
        }
    }
}

/// One suggestion, borrowing its texts from the tenant and the lists it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<'a> {
    /// What is shown: the key, operator, value, id or keyword.
    pub label: &'a str,
    /// What it is.
    pub kind: Kind,
    /// The text that replaces the range, quoted as the grammar needs.
    pub insert: Cow<'a, str>,
    /// The name of a group or user.
    pub detail: Option<&'a str>,
    /// How many users hold the field or value, the group's members, the user's reports.
    pub count: Option<usize>,
}

/// What to suggest at a cursor: the range an item replaces, the lists that fit, and the
/// text's diagnostic. [`Suggestions::items`] picks the items.
pub struct Suggestions<'t> {
    /// The range an item replaces, in characters.
    pub from: usize,
    /// The end of that range.
    pub to: usize,
    /// Why the whole text is not a rule, when it is not.
    pub diagnostic: Option<Error>,
    /// The partial token, folded.
    needle: String,
    /// The lists that fit, in the order their kinds are listed.
    sources: Vec<Source<'t>>,
}

impl Suggestions<'_> {
    /// The items matching the partial token: those starting with it first, then those
    /// containing it; within each, by list, then in each list's order; at most `limit`.
    pub fn items(&self, limit: usize) -> Vec<Item<'_>> {
        let mut out: Vec<Item<'_>> = Vec::new();
        for containing in [false, true] {
            for source in &self.sources {
                let left = limit.saturating_sub(out.len());
                if left == 0 {
                    return out;
                }
                source.items(&self.needle, left, containing, &mut out);
            }
        }
        out
    }
}

/// Suggests what to type at `cursor` (a character offset, at most the text's length) in
/// rule `text`.
pub fn suggest<'t>(t: &'t Tenant, text: &str, cursor: usize) -> Suggestions<'t> {
    let tokens = lexemes(text);
    let partial = partial_token(text, &tokens, cursor);
    let before_count = match &partial {
        Some(p) => p.index,
        None => tokens.partition_point(|l| l.end <= cursor),
    };
    let before = tokens.get(..before_count).unwrap_or(&[]);
    let spot = walk(before);
    let (mut from, to, typed) = match &partial {
        Some(p) => (p.start, p.end, p.text.as_str()),
        None => (cursor, cursor, ""),
    };
    // Words already typed of a keyword of several words are replaced with it.
    let needle = match spot.phrase_start() {
        Some(start) => {
            from = start;
            let words: Vec<&str> = before
                .iter()
                .filter(|l| l.start >= start)
                .filter_map(|l| match &l.kind {
                    LexemeKind::Word(w) => Some(w.as_str()),
                    _ => None,
                })
                .chain(std::iter::once(typed))
                .collect();
            fold(&words.join(" "))
        }
        None => fold(typed),
    };
    Suggestions {
        from,
        to,
        diagnostic: diagnostic(text),
        needle,
        sources: sources(t, &spot),
    }
}

/// The error `parse_rule` gives for the whole text, as a rule error: a limit broken inside
/// the text makes it an invalid rule, as it would in a snapshot (SPEC §1.1).
fn diagnostic(text: &str) -> Option<Error> {
    parse_rule(text).err().map(|e| match e.code() {
        ErrorCode::LimitExceeded => e.with_code(ErrorCode::InvalidRule),
        _ => e,
    })
}

/// The token under the cursor: its index, range, and what of it lies before the cursor.
struct Partial {
    index: usize,
    start: usize,
    end: usize,
    text: String,
}

/// The word or string the cursor ends or lies in, if any; for a string, its value up to the
/// cursor; for a string not closed yet, the range ends at the cursor. A lone `!` counts, as
/// the start of `!=`.
fn partial_token(text: &str, tokens: &[Lexeme], cursor: usize) -> Option<Partial> {
    let index = tokens
        .iter()
        .position(|l| l.start < cursor && cursor <= l.end)?;
    let token = tokens.get(index)?;
    let typed = || -> String {
        text.chars()
            .skip(token.start)
            .take(cursor - token.start)
            .collect()
    };
    let (end, text) = match &token.kind {
        LexemeKind::Word(_) | LexemeKind::Bad('!') => (token.end, typed()),
        LexemeKind::Str { closed, .. } => {
            let value = lexemes(&typed())
                .into_iter()
                .next()
                .and_then(|l| match l.kind {
                    LexemeKind::Str { value, .. } => Some(value),
                    _ => None,
                })
                .unwrap_or_default();
            (if *closed { token.end } else { cursor }, value)
        }
        _ => return None,
    };
    Some(Partial {
        index,
        start: token.start,
        end,
        text,
    })
}

/// Where the cursor stands in the grammar.
#[derive(Debug, Clone, PartialEq)]
enum Spot {
    /// Where a condition starts.
    Condition,
    /// After a field.
    Operator(String),
    /// Inside a keyword of several words (`NOT LIKE`, `MEMBER OF`…), which starts at the
    /// lexeme with this character offset.
    Phrase(Phrase, usize),
    /// After an operator that takes one value.
    Value(Option<String>, Op),
    /// After `IN` or `NOT IN` on a field.
    ListOpen(String),
    /// Inside a list, where a value of the field goes.
    ListValue(String),
    /// Inside a list, after a value.
    ListNext(String),
    /// After a complete condition.
    Connective,
    /// The text before the cursor does not fit the grammar.
    Broken,
}

/// A keyword of several words, started.
#[derive(Debug, Clone, PartialEq)]
enum Phrase {
    /// `NOT LIKE`, `NOT IN`, `NOT EXISTS`, after a field.
    Not(String),
    /// `STARTS WITH`.
    Starts(String),
    /// `ENDS WITH`.
    Ends(String),
    /// `REPORTS TO`.
    Reports(String),
    /// `MEMBER OF`.
    Member,
}

/// Where the cursor stands, and how many parentheses are open around it.
struct Walked {
    spot: Spot,
    open: usize,
}

impl Walked {
    /// Where the keyword of several words being typed starts, if one is.
    fn phrase_start(&self) -> Option<usize> {
        match self.spot {
            Spot::Phrase(_, start) => Some(start),
            _ => None,
        }
    }
}

fn keyword(lexeme: &Lexeme, word: &str) -> bool {
    matches!(&lexeme.kind, LexemeKind::Word(w) if w.eq_ignore_ascii_case(word))
}

/// A scalar: a closed string, a boolean, or a word that is not a keyword.
fn is_scalar(lexeme: &Lexeme) -> bool {
    match &lexeme.kind {
        LexemeKind::Str { closed, .. } => *closed,
        LexemeKind::Word(w) => {
            !is_keyword(w) || w.eq_ignore_ascii_case("TRUE") || w.eq_ignore_ascii_case("FALSE")
        }
        _ => false,
    }
}

/// Walks the tokens before the cursor through the grammar of SPEC §4.3.
fn walk(before: &[Lexeme]) -> Walked {
    let mut spot = Spot::Condition;
    let mut open = 0usize;
    for l in before {
        spot = match spot {
            Spot::Condition => {
                if keyword(l, "NOT") {
                    Spot::Condition
                } else if l.kind == LexemeKind::Open {
                    open += 1;
                    Spot::Condition
                } else if keyword(l, "MEMBER") {
                    Spot::Phrase(Phrase::Member, l.start)
                } else {
                    match &l.kind {
                        LexemeKind::Word(w) if !is_keyword(w) => Spot::Operator(w.clone()),
                        LexemeKind::Str {
                            value,
                            closed: true,
                        } => Spot::Operator(value.clone()),
                        _ => Spot::Broken,
                    }
                }
            }
            Spot::Operator(field) => match &l.kind {
                LexemeKind::Cmp(op) => Spot::Value(Some(field), *op),
                _ if keyword(l, "LIKE") => Spot::Value(Some(field), Op::Like),
                _ if keyword(l, "IN") => Spot::ListOpen(field),
                _ if keyword(l, "EXISTS") => Spot::Connective,
                _ if keyword(l, "NOT") => Spot::Phrase(Phrase::Not(field), l.start),
                _ if keyword(l, "STARTS") => Spot::Phrase(Phrase::Starts(field), l.start),
                _ if keyword(l, "ENDS") => Spot::Phrase(Phrase::Ends(field), l.start),
                _ if keyword(l, "REPORTS") => Spot::Phrase(Phrase::Reports(field), l.start),
                _ => Spot::Broken,
            },
            Spot::Phrase(phrase, _) => match phrase {
                Phrase::Not(field) if keyword(l, "LIKE") => Spot::Value(Some(field), Op::NotLike),
                Phrase::Not(field) if keyword(l, "IN") => Spot::ListOpen(field),
                Phrase::Not(_) if keyword(l, "EXISTS") => Spot::Connective,
                Phrase::Starts(field) if keyword(l, "WITH") => {
                    Spot::Value(Some(field), Op::StartsWith)
                }
                Phrase::Ends(field) if keyword(l, "WITH") => Spot::Value(Some(field), Op::EndsWith),
                Phrase::Reports(field) if keyword(l, "TO") => {
                    Spot::Value(Some(field), Op::ReportsTo)
                }
                Phrase::Member if keyword(l, "OF") => Spot::Value(None, Op::MemberOf),
                _ => Spot::Broken,
            },
            Spot::Value(..) if is_scalar(l) => Spot::Connective,
            Spot::ListOpen(field) if l.kind == LexemeKind::Open => Spot::ListValue(field),
            Spot::ListValue(field) if is_scalar(l) => Spot::ListNext(field),
            Spot::ListNext(field) if l.kind == LexemeKind::Comma => Spot::ListValue(field),
            Spot::ListNext(_) if l.kind == LexemeKind::Close => Spot::Connective,
            Spot::Connective if keyword(l, "AND") || keyword(l, "OR") => Spot::Condition,
            Spot::Connective if l.kind == LexemeKind::Close && open > 0 => {
                open -= 1;
                Spot::Connective
            }
            _ => Spot::Broken,
        };
        if spot == Spot::Broken {
            break;
        }
    }
    Walked { spot, open }
}

/// The lists offered at a spot, in the order their kinds are listed.
fn sources<'t>(t: &'t Tenant, walked: &Walked) -> Vec<Source<'t>> {
    let fixed = |items: &[&'static str], kind: Kind| {
        Source::Fixed(items.iter().map(|&label| (label, kind)).collect())
    };
    match &walked.spot {
        Spot::Condition => vec![Source::Fields(t), fixed(&["NOT", "("], Kind::Keyword)],
        Spot::Operator(field) => vec![Source::Fixed(operators(t, field))],
        Spot::Phrase(phrase, _) => {
            let ops: &[&'static str] = match phrase {
                Phrase::Not(_) => &["NOT LIKE", "NOT IN", "NOT EXISTS"],
                Phrase::Starts(_) => &["STARTS WITH"],
                Phrase::Ends(_) => &["ENDS WITH"],
                Phrase::Reports(_) => &["REPORTS TO"],
                Phrase::Member => &["MEMBER OF"],
            };
            vec![fixed(ops, Kind::Operator)]
        }
        Spot::Value(None, _) => vec![Source::Groups(t)],
        Spot::Value(Some(field), Op::ReportsTo) => {
            vec![Source::Users(t, t.report_choices(field))]
        }
        Spot::Value(Some(field), _) | Spot::ListValue(field) => {
            vec![Source::Values(t.value_choices(field))]
        }
        Spot::ListOpen(_) => vec![fixed(&["("], Kind::Keyword)],
        Spot::ListNext(_) => vec![fixed(&[",", ")"], Kind::Keyword)],
        Spot::Connective if walked.open > 0 => vec![fixed(&["AND", "OR", ")"], Kind::Keyword)],
        Spot::Connective => vec![fixed(&["AND", "OR"], Kind::Keyword)],
        Spot::Broken => Vec::new(),
    }
}

/// The operators that fit `field`'s values, in the order of SPEC §4.2: ordering ones only
/// where some value is a number or a date, `REPORTS TO` only where some value is a user's id.
fn operators(t: &Tenant, field: &str) -> Vec<(&'static str, Kind)> {
    let values = t.value_choices(field);
    Op::ALL
        .into_iter()
        .filter(|op| match op {
            Op::Lt | Op::Le | Op::Gt | Op::Ge => values.ordered,
            Op::ReportsTo => values.names_users,
            Op::MemberOf => false,
            _ => true,
        })
        .map(|op| (op.as_str(), Kind::Operator))
        .collect()
}

/// A list items come from.
enum Source<'t> {
    Fields(&'t Tenant),
    Values(Arc<Values>),
    Groups(&'t Tenant),
    Users(&'t Tenant, Arc<Ranked<UserChoice>>),
    /// Operators and keywords: a few, matched by label.
    Fixed(Vec<(&'static str, Kind)>),
}

impl Source<'_> {
    /// Appends the first `limit` items whose folded label or detail starts with `needle` (or,
    /// `containing`, contains it without starting with it), in order.
    fn items<'a>(&'a self, needle: &str, limit: usize, containing: bool, out: &mut Vec<Item<'a>>) {
        fn pick<'r, T>(
            ranked: &'r Ranked<T>,
            needle: &str,
            limit: usize,
            containing: bool,
        ) -> impl Iterator<Item = &'r T> {
            let at = if containing {
                ranked.containing(needle, limit)
            } else {
                ranked.starting(needle, limit)
            };
            at.into_iter().filter_map(|i| ranked.get(i))
        }
        match self {
            Source::Fields(t) => {
                out.extend(
                    pick(t.field_choices(), needle, limit, containing).map(|f| Item {
                        label: &f.key,
                        kind: Kind::Field,
                        insert: quoted(&f.key, is_bare_field),
                        detail: None,
                        count: Some(f.count),
                    }),
                );
            }
            Source::Values(values) => {
                out.extend(
                    pick(&values.choices, needle, limit, containing).map(|v| Item {
                        label: &v.label,
                        kind: Kind::Value,
                        insert: match v.kind {
                            ValueKind::Number => Cow::Borrowed(&*v.label),
                            ValueKind::Bool if &*v.label == "true" => Cow::Borrowed("TRUE"),
                            ValueKind::Bool => Cow::Borrowed("FALSE"),
                            ValueKind::Text => quoted(&v.label, is_bare_text),
                        },
                        detail: None,
                        count: Some(v.count),
                    }),
                );
            }
            Source::Groups(t) => {
                let default = t.default_locale();
                out.extend(pick(t.group_choices(), needle, limit, containing).map(|g| {
                    let id = t.group_id(g.group);
                    Item {
                        label: id,
                        kind: Kind::Group,
                        insert: quoted(id, is_bare_text),
                        detail: Some(t.group_name(g.group).resolve(&[], default)),
                        count: Some(g.count),
                    }
                }));
            }
            Source::Users(t, users) => {
                out.extend(pick(users, needle, limit, containing).map(|u| {
                    let id = t.user_id(u.user);
                    Item {
                        label: id,
                        kind: Kind::User,
                        insert: quoted(id, is_bare_text),
                        detail: t.user_name(u.user),
                        count: Some(u.count),
                    }
                }));
            }
            Source::Fixed(list) => {
                let matching = list.iter().filter(|(label, _)| {
                    // Operators and keywords are ASCII: folding them is lowercasing.
                    let (label, needle) = (label.as_bytes(), needle.as_bytes());
                    let starts = label
                        .get(..needle.len())
                        .is_some_and(|head| head.eq_ignore_ascii_case(needle));
                    if containing {
                        !starts
                            && !needle.is_empty()
                            && label
                                .windows(needle.len())
                                .any(|w| w.eq_ignore_ascii_case(needle))
                    } else {
                        starts
                    }
                });
                out.extend(matching.take(limit).map(|&(label, kind)| Item {
                    label,
                    kind,
                    insert: Cow::Borrowed(label),
                    detail: None,
                    count: None,
                }));
            }
        }
    }
}

/// `text` bare when `bare` says it reads back as itself, else as a double-quoted string.
fn quoted(text: &str, bare: fn(&str) -> bool) -> Cow<'_, str> {
    if bare(text) {
        Cow::Borrowed(text)
    } else {
        let mut out = String::with_capacity(text.len() + 2);
        crate::json::write_string(&mut out, text);
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::snapshot::read_snapshot;

    fn tenant() -> Tenant {
        let snapshot = r#"{
            "users": [
                {"id": "u1", "name": "Ana Lopez", "attributes": {"location": "Paris", "level": 5, "manager": "u3"}},
                {"id": "u2", "name": "Bo", "attributes": {"location": "paris", "manager": "u3", "job title": "Dev"}},
                {"id": "u3", "name": "Émile", "orgRole": "admin", "attributes": {"location": "São Paulo", "remote": true}},
                {"id": "u4", "attributes": {"location": "Séparé", "hired": "2024-02-01"}}
            ],
            "groups": [
                {"id": "g-paris", "name": "Paris office", "rule": "location = Paris"},
                {"id": "g-all", "name": "Everyone", "members": ["u1", "u2", "u3", "u4"]}
            ]
        }"#;
        Tenant::compile(read_snapshot(snapshot).unwrap())
    }

    /// `text` with `|` marking the cursor: the range and `label:count` of each item.
    fn check(text: &str, expect: (usize, usize, &[&str])) {
        let cursor = text.chars().position(|c| c == '|').unwrap();
        let text = text.replacen('|', "", 1);
        let t = tenant();
        let s = suggest(&t, &text, cursor);
        let items: Vec<String> = s
            .items(20)
            .iter()
            .map(|i| match i.count {
                Some(c) => format!("{}:{c}", i.insert),
                None => i.insert.to_string(),
            })
            .collect();
        assert_eq!(
            (s.from, s.to, items),
            (
                expect.0,
                expect.1,
                expect.2.iter().map(|s| s.to_string()).collect()
            ),
            "{text}"
        );
    }

    #[test]
    fn where_a_condition_starts() {
        check(
            "|",
            (
                0,
                0,
                &[
                    "id:4",
                    "location:4",
                    "orgRole:4",
                    "name:3",
                    "manager:2",
                    "hired:1",
                    "\"job title\":1",
                    "level:1",
                    "remote:1",
                    "NOT",
                    "(",
                ],
            ),
        );
        check("a = 1 AND lo|c", (10, 13, &["location:4"]));
        check(
            "(NOT n|",
            (5, 6, &["name:3", "NOT", "location:4", "manager:2"]),
        );
    }

    #[test]
    fn operators_fit_the_values() {
        let plain: &[&str] = &[
            "=",
            "!=",
            "LIKE",
            "NOT LIKE",
            "STARTS WITH",
            "ENDS WITH",
            "IN",
            "NOT IN",
            "EXISTS",
            "NOT EXISTS",
        ];
        check("location |", (9, 9, plain));
        check(
            "level |",
            (
                6,
                6,
                &[
                    "=",
                    "!=",
                    "LIKE",
                    "NOT LIKE",
                    "STARTS WITH",
                    "ENDS WITH",
                    "IN",
                    "NOT IN",
                    "<",
                    "<=",
                    ">",
                    ">=",
                    "EXISTS",
                    "NOT EXISTS",
                ],
            ),
        );
        check(
            "manager |",
            (
                8,
                8,
                &[
                    "=",
                    "!=",
                    "LIKE",
                    "NOT LIKE",
                    "STARTS WITH",
                    "ENDS WITH",
                    "IN",
                    "NOT IN",
                    "EXISTS",
                    "NOT EXISTS",
                    "REPORTS TO",
                ],
            ),
        );
        check(
            "location NOT |",
            (9, 13, &["NOT LIKE", "NOT IN", "NOT EXISTS"]),
        );
        check("location not l|", (9, 14, &["NOT LIKE"]));
        check(
            "location st|",
            (9, 11, &["STARTS WITH", "EXISTS", "NOT EXISTS"]),
        );
        check("MEMBER |", (0, 7, &["MEMBER OF"]));
    }

    #[test]
    fn values_merge_and_quote() {
        check(
            "location = |",
            (11, 11, &["Paris:2", "\"São Paulo\":1", "Séparé:1"]),
        );
        check("location = \"sa|", (11, 14, &["\"São Paulo\":1"]));
        check("location = par|", (11, 14, &["Paris:2", "Séparé:1"]));
        check("remote = |", (9, 9, &["TRUE:1"]));
        check(
            "location IN (Paris, |",
            (20, 20, &["Paris:2", "\"São Paulo\":1", "Séparé:1"]),
        );
        check("location IN (Paris |", (19, 19, &[",", ")"]));
        check("location IN |", (12, 12, &["("]));
    }

    #[test]
    fn groups_users_and_connectives() {
        check("MEMBER OF |", (10, 10, &["g-all:4", "g-paris:2"]));
        check("MEMBER OF ev|", (10, 12, &["g-all:4"]));
        check(
            "manager REPORTS TO |",
            (19, 19, &["u3:2", "u1:0", "u2:0", "u4:0"]),
        );
        check("manager REPORTS TO emi|", (19, 22, &["u3:2"]));
        check("location = Paris |", (17, 17, &["AND", "OR"]));
        check("(location = Paris |", (18, 18, &["AND", "OR", ")"]));
        check("(location = Paris) |", (19, 19, &["AND", "OR"]));
        check("location = Paris ~ |", (19, 19, &[]));
    }

    #[test]
    fn diagnostics_are_rule_errors() {
        let t = tenant();
        assert_eq!(suggest(&t, "location = Paris", 0).diagnostic, None);
        let d = suggest(&t, "location =", 0).diagnostic.unwrap();
        assert_eq!(
            (d.code(), d.line(), d.column()),
            (ErrorCode::RuleSyntax, Some(1), Some(11))
        );
        let deep = format!("{}a = 1{}", "(".repeat(70), ")".repeat(70));
        let d = suggest(&t, &deep, 0).diagnostic.unwrap();
        assert_eq!(d.code(), ErrorCode::InvalidRule);
    }
}
