//! The text syntax of rules (SPEC §4.3), parsed by recursive descent into a canonical AST.
//!
//! Recursion is bounded: parentheses and `NOT` each count towards [`MAX_RULE_DEPTH`], so a
//! hostile nest is a `limit-exceeded` error long before the stack is at risk.

use super::{Condition, Op, Operand, Rule, Scalar};
use crate::error::{Error, ErrorCode};
use crate::limits::{MAX_IN_LIST, MAX_RULE_DEPTH, MAX_RULE_NODES, MAX_RULE_TEXT};

const KEYWORDS: [&str; 16] = [
    "AND", "OR", "NOT", "LIKE", "IN", "STARTS", "ENDS", "WITH", "EXISTS", "REPORTS", "TO",
    "MEMBER", "OF", "TRUE", "FALSE", "",
];

/// Whether `word` is a reserved keyword (case-insensitively).
pub fn is_keyword(word: &str) -> bool {
    !word.is_empty() && KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// Whether `c` may appear in a bare word.
pub(super) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '@' | ':')
}

/// Whether `text`, written bare where the grammar takes a field, reads back as that field.
pub fn is_bare_field(text: &str) -> bool {
    !text.is_empty() && text.chars().all(is_word_char) && !is_keyword(text)
}

/// Whether `text`, written bare where the grammar takes a value, reads back as that same
/// text: a word that is not a keyword, a boolean or a number.
pub fn is_bare_text(text: &str) -> bool {
    is_bare_field(text) && json_number(text).is_none()
}

/// Whether `word` is wholly a JSON number, so that the grammar reads it as one.
pub fn is_number_word(word: &str) -> bool {
    json_number(word).is_some()
}

/// The value of a word that is wholly a JSON number.
pub(super) fn json_number(word: &str) -> Option<f64> {
    let b = word.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == int_start || (b.get(int_start) == Some(&b'0') && i - int_start > 1) {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    word.parse::<f64>().ok().filter(|f| f.is_finite())
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    LParen,
    RParen,
    Comma,
    Cmp(Op),
    End,
    /// A character or string the lexer could not read, with why; for a string, what it read
    /// of its value before it stopped.
    Bad {
        why: String,
        partial: Option<String>,
    },
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: u32,
    column: u32,
    /// Where the token starts and ends, in characters from the start of the text.
    start: usize,
    end: usize,
}

/// What a piece of rule text is, as [`lexemes`] reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum LexemeKind {
    /// A bare word: a keyword, a field or a value.
    Word(String),
    /// A quoted string and its value. When the text ends inside it, or it holds an escape
    /// that does not read, it is not `closed`, its value is what was read before that, and
    /// nothing after it is read.
    Str {
        /// The value, escapes resolved.
        value: String,
        /// Whether the closing quote was read.
        closed: bool,
    },
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `,`.
    Comma,
    /// `=`, `!=`, `<`, `<=`, `>` or `>=`.
    Cmp(Op),
    /// A character no token starts with; nothing after it is read.
    Bad(char),
}

/// A token of rule text and where it is, in characters (`start..end`), for editors that
/// complete rules as they are typed. The parser reads the same tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Lexeme {
    /// What it is.
    pub kind: LexemeKind,
    /// The offset of its first character.
    pub start: usize,
    /// The offset just past its last character.
    pub end: usize,
}

/// The tokens of `text`, up to the first one that does not read.
pub fn lexemes(text: &str) -> Vec<Lexeme> {
    lex(text)
        .into_iter()
        .filter_map(|t| {
            let kind = match t.tok {
                Tok::Word(w) => LexemeKind::Word(w),
                Tok::Str(value) => LexemeKind::Str {
                    value,
                    closed: true,
                },
                Tok::LParen => LexemeKind::Open,
                Tok::RParen => LexemeKind::Close,
                Tok::Comma => LexemeKind::Comma,
                Tok::Cmp(op) => LexemeKind::Cmp(op),
                Tok::End => return None,
                Tok::Bad {
                    partial: Some(value),
                    ..
                } => LexemeKind::Str {
                    value,
                    closed: false,
                },
                Tok::Bad { partial: None, .. } => {
                    LexemeKind::Bad(text.chars().nth(t.start).unwrap_or('\u{fffd}'))
                }
            };
            Some(Lexeme {
                kind,
                start: t.start,
                end: t.end,
            })
        })
        .collect()
}

fn lex(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let (mut line, mut column) = (1u32, 1u32);
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied();
    while let Some(c) = at(i) {
        if c == '\n' {
            line += 1;
            column = 1;
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            column += 1;
            i += 1;
            continue;
        }
        let token = |tok: Tok, width: usize| Token {
            tok,
            line,
            column,
            start: i,
            end: i + width,
        };
        let (tok, width) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ',' => (Tok::Comma, 1),
            '=' => (Tok::Cmp(Op::Eq), 1),
            '!' if at(i + 1) == Some('=') => (Tok::Cmp(Op::Ne), 2),
            '<' | '>' => {
                let eq = at(i + 1) == Some('=');
                let op = match (c, eq) {
                    ('<', true) => Op::Le,
                    ('<', false) => Op::Lt,
                    (_, true) => Op::Ge,
                    _ => Op::Gt,
                };
                (Tok::Cmp(op), if eq { 2 } else { 1 })
            }
            '"' | '\'' => match lex_string(&chars, i) {
                Ok((s, w)) => (Tok::Str(s), w),
                Err((why, w, partial)) => {
                    let bad = Tok::Bad {
                        why,
                        partial: Some(partial),
                    };
                    tokens.push(token(bad, w));
                    tokens.push(Token {
                        tok: Tok::End,
                        line,
                        column: column + 1,
                        start: i + w,
                        end: i + w,
                    });
                    return tokens;
                }
            },
            c if is_word_char(c) => {
                let mut word = String::new();
                let mut width = 0;
                while let Some(w) = at(i + width).filter(|&w| is_word_char(w)) {
                    word.push(w);
                    width += 1;
                }
                (Tok::Word(word), width)
            }
            other => {
                let bad = Tok::Bad {
                    why: format!("unexpected character `{other}`"),
                    partial: None,
                };
                tokens.push(token(bad, 1));
                return tokens;
            }
        };
        tokens.push(token(tok, width));
        // A string may span lines; keep line and column true to the text.
        for k in i..i + width {
            if at(k) == Some('\n') {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        i += width;
    }
    tokens.push(Token {
        tok: Tok::End,
        line,
        column,
        start: i,
        end: i,
    });
    tokens
}

/// Reads a quoted string starting at `start`; returns its value and width in characters, or
/// why it does not read, how far it was read, and its value up to there.
fn lex_string(chars: &[char], start: usize) -> Result<(String, usize), (String, usize, String)> {
    let quote = chars.get(start).copied().unwrap_or('"');
    let mut out = String::new();
    let mut i = start + 1;
    loop {
        let Some(c) = chars.get(i).copied() else {
            return Err(("unterminated string".to_owned(), i - start, out));
        };
        i += 1;
        if c == quote {
            return Ok((out, i - start));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.get(i).copied() else {
            return Err(("unterminated string".to_owned(), i - start, out));
        };
        i += 1;
        match e {
            '"' => out.push('"'),
            '\'' => out.push('\''),
            '\\' => out.push('\\'),
            '/' => out.push('/'),
            'b' => out.push('\u{08}'),
            'f' => out.push('\u{0c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let hex = |at: usize| -> Option<u32> {
                    let s: String = chars.get(at..at + 4)?.iter().collect();
                    if s.chars().all(|c| c.is_ascii_hexdigit()) {
                        u32::from_str_radix(&s, 16).ok()
                    } else {
                        None
                    }
                };
                let Some(high) = hex(i) else {
                    return Err(("invalid `\\u` escape".to_owned(), i - start, out));
                };
                i += 4;
                let code = if (0xD800..0xDC00).contains(&high) {
                    let low = (chars.get(i) == Some(&'\\') && chars.get(i + 1) == Some(&'u'))
                        .then(|| hex(i + 2))
                        .flatten()
                        .filter(|low| (0xDC00..0xE000).contains(low));
                    let Some(low) = low else {
                        return Err((
                            "unpaired surrogate in `\\u` escape".to_owned(),
                            i - start,
                            out,
                        ));
                    };
                    i += 6;
                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    high
                };
                match char::from_u32(code) {
                    Some(ch) => out.push(ch),
                    None => return Err(("invalid `\\u` escape".to_owned(), i - start, out)),
                }
            }
            other => return Err((format!("invalid escape `\\{other}`"), i - start, out)),
        }
    }
}

const CONDITION_START: &[&str] = &["NOT", "(", "MEMBER OF", "field"];
const OPERATORS: &[&str] = &[
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "LIKE",
    "NOT LIKE",
    "STARTS WITH",
    "ENDS WITH",
    "IN",
    "NOT IN",
    "EXISTS",
    "NOT EXISTS",
    "REPORTS TO",
];
const VALUE: &[&str] = &["value"];

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    parens: usize,
    nots: usize,
}

/// Rule text against its limit of SPEC §8, 64 KiB, for whatever reads rule text.
///
/// # Errors
///
/// `limit-exceeded`, located nowhere yet.
pub fn check_rule_text(text: &str) -> Result<(), Error> {
    if text.len() > MAX_RULE_TEXT {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            format!("rule text is longer than {MAX_RULE_TEXT} bytes"),
        ));
    }
    Ok(())
}

/// Parses rule text into its canonical AST.
///
/// # Errors
///
/// `rule-syntax` with line, column and what was expected; `limit-exceeded` for text over
/// 64 KiB or nesting over 64.
pub fn parse_rule(text: &str) -> Result<Rule, Error> {
    check_rule_text(text)?;
    let mut parser = Parser {
        tokens: lex(text),
        pos: 0,
        parens: 0,
        nots: 0,
    };
    let rule = parser.or()?;
    if parser.peek() != &Tok::End {
        return Err(parser.error(&["AND", "OR", "end of rule"]));
    }
    if rule.depth() > MAX_RULE_DEPTH {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            format!("rule nests deeper than {MAX_RULE_DEPTH} levels"),
        ));
    }
    if rule.size() > MAX_RULE_NODES {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            format!("a rule holds at most {MAX_RULE_NODES} conditions and connectives"),
        ));
    }
    Ok(rule)
}

impl Parser {
    fn token(&self) -> Option<&Token> {
        self.tokens.get(self.pos).or_else(|| self.tokens.last())
    }

    fn peek(&self) -> &Tok {
        self.token().map_or(&Tok::End, |t| &t.tok)
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn bump(&mut self) {
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
    }

    fn error(&self, expected: &[&str]) -> Error {
        let found = match self.peek() {
            Tok::Word(w) => format!("`{w}`"),
            Tok::Str(_) => "a string".to_owned(),
            Tok::LParen => "`(`".to_owned(),
            Tok::RParen => "`)`".to_owned(),
            Tok::Comma => "`,`".to_owned(),
            Tok::Cmp(op) => format!("`{}`", op.as_str()),
            Tok::End => "the end of the rule".to_owned(),
            Tok::Bad { why, .. } => why.clone(),
        };
        let err = Error::new(
            ErrorCode::RuleSyntax,
            format!("expected {}, found {found}", expected.join(", ")),
        );
        self.located(err)
            .expecting(expected.iter().map(|s| (*s).to_owned()).collect())
    }

    fn located(&self, err: Error) -> Error {
        match self.token() {
            Some(t) => err.at_position(t.line, t.column),
            None => err,
        }
    }

    fn expect_keyword(&mut self, kw: &'static str) -> Result<(), Error> {
        if self.keyword(kw) {
            self.bump();
            Ok(())
        } else {
            Err(self.error(&[kw]))
        }
    }

    fn or(&mut self) -> Result<Rule, Error> {
        let mut children = vec![self.and()?];
        while self.keyword("OR") {
            self.bump();
            children.push(self.and()?);
        }
        Ok(flatten(children, false))
    }

    fn and(&mut self) -> Result<Rule, Error> {
        let mut children = vec![self.unary()?];
        while self.keyword("AND") {
            self.bump();
            children.push(self.unary()?);
        }
        Ok(flatten(children, true))
    }

    fn unary(&mut self) -> Result<Rule, Error> {
        if self.keyword("NOT") {
            self.nots += 1;
            if self.nots > MAX_RULE_DEPTH {
                return Err(self.too_deep());
            }
            self.bump();
            let inner = self.unary()?;
            self.nots -= 1;
            return Ok(Rule::Not(Box::new(inner)));
        }
        if self.peek() == &Tok::LParen {
            self.parens += 1;
            if self.parens > MAX_RULE_DEPTH {
                return Err(self.too_deep());
            }
            self.bump();
            let inner = self.or()?;
            if self.peek() != &Tok::RParen {
                return Err(self.error(&["AND", "OR", ")"]));
            }
            self.bump();
            self.parens -= 1;
            return Ok(inner);
        }
        if self.keyword("MEMBER") {
            self.bump();
            self.expect_keyword("OF")?;
            let value = self.scalar()?;
            return Ok(Rule::Cond(Condition::new(
                None,
                Op::MemberOf,
                Operand::Scalar(value),
            )));
        }
        let field = match self.peek() {
            Tok::Word(w) if !is_keyword(w) => w.clone(),
            Tok::Str(s) => s.clone(),
            _ => return Err(self.error(CONDITION_START)),
        };
        self.bump();
        self.condition(field).map(Rule::Cond)
    }

    fn too_deep(&self) -> Error {
        self.located(Error::new(
            ErrorCode::LimitExceeded,
            format!("rule nests deeper than {MAX_RULE_DEPTH} levels"),
        ))
    }

    fn condition(&mut self, field: String) -> Result<Condition, Error> {
        let op = match self.peek().clone() {
            Tok::Cmp(op) => {
                self.bump();
                op
            }
            Tok::Word(w) => {
                let op = match w.to_ascii_uppercase().as_str() {
                    "LIKE" => Op::Like,
                    "IN" => Op::In,
                    "EXISTS" => Op::Exists,
                    "STARTS" => {
                        self.bump();
                        self.expect_keyword("WITH")?;
                        self.pos -= 1;
                        Op::StartsWith
                    }
                    "ENDS" => {
                        self.bump();
                        self.expect_keyword("WITH")?;
                        self.pos -= 1;
                        Op::EndsWith
                    }
                    "REPORTS" => {
                        self.bump();
                        self.expect_keyword("TO")?;
                        self.pos -= 1;
                        Op::ReportsTo
                    }
                    "NOT" => {
                        self.bump();
                        let op = if self.keyword("LIKE") {
                            Op::NotLike
                        } else if self.keyword("IN") {
                            Op::NotIn
                        } else if self.keyword("EXISTS") {
                            Op::NotExists
                        } else {
                            return Err(self.error(&["LIKE", "IN", "EXISTS"]));
                        };
                        self.pos -= 1;
                        op
                    }
                    _ => return Err(self.error(OPERATORS)),
                };
                // The last word of the operator.
                self.bump();
                if matches!(op, Op::NotLike | Op::NotIn | Op::NotExists) {
                    self.bump();
                }
                op
            }
            _ => return Err(self.error(OPERATORS)),
        };
        let value = match op {
            Op::Exists | Op::NotExists => Operand::None,
            Op::In | Op::NotIn => Operand::List(self.list()?),
            _ => Operand::Scalar(self.scalar()?),
        };
        Ok(Condition::new(Some(field), op, value))
    }

    fn list(&mut self) -> Result<Vec<Scalar>, Error> {
        if self.peek() != &Tok::LParen {
            return Err(self.error(&["("]));
        }
        self.bump();
        let mut items = vec![self.scalar()?];
        loop {
            match self.peek() {
                Tok::Comma => {
                    self.bump();
                    if items.len() >= MAX_IN_LIST {
                        return Err(self.located(Error::new(
                            ErrorCode::LimitExceeded,
                            format!("an `IN` list holds at most {MAX_IN_LIST} values"),
                        )));
                    }
                    items.push(self.scalar()?);
                }
                Tok::RParen => {
                    self.bump();
                    return Ok(items);
                }
                _ => return Err(self.error(&[",", ")"])),
            }
        }
    }

    fn scalar(&mut self) -> Result<Scalar, Error> {
        let value = match self.peek() {
            Tok::Str(s) => Scalar::Text(s.clone()),
            Tok::Word(w) if w.eq_ignore_ascii_case("TRUE") => Scalar::Bool(true),
            Tok::Word(w) if w.eq_ignore_ascii_case("FALSE") => Scalar::Bool(false),
            Tok::Word(w) if !is_keyword(w) => match json_number(w) {
                Some(n) => Scalar::Number(n),
                None => Scalar::Text(w.clone()),
            },
            _ => return Err(self.error(VALUE)),
        };
        self.bump();
        Ok(value)
    }
}

/// One node for a chain of one connective: `a AND (b AND c)` is one `all` of three.
fn flatten(children: Vec<Rule>, and: bool) -> Rule {
    if children.len() == 1 {
        if let Some(only) = children.into_iter().next() {
            return only;
        }
        return Rule::All(Vec::new());
    }
    let mut flat = Vec::with_capacity(children.len());
    for child in children {
        match (child, and) {
            (Rule::All(inner), true) | (Rule::Any(inner), false) => flat.extend(inner),
            (other, _) => flat.push(other),
        }
    }
    if and {
        Rule::All(flat)
    } else {
        Rule::Any(flat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(text: &str, expect: serde_json::Value) {
        assert_eq!(parse_rule(text).map(|r| r.to_json()), Ok(expect), "{text}");
    }

    fn check_err(text: &str, line: u32, column: u32, expected: &[&str]) {
        let err = parse_rule(text).err();
        assert_eq!(
            err.as_ref().map(Error::code),
            Some(ErrorCode::RuleSyntax),
            "{text}"
        );
        assert_eq!(
            err.as_ref().and_then(|e| e.line().zip(e.column())),
            Some((line, column)),
            "{text}"
        );
        let want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(
            err.as_ref().and_then(|e| e.expected()),
            Some(want.as_slice()),
            "{text}"
        );
    }

    #[test]
    fn precedence_and_flattening() {
        check(
            "a = 1 OR b = 2 AND NOT c = x",
            json!({"any": [
                {"field": "a", "op": "=", "value": 1},
                {"all": [{"field": "b", "op": "=", "value": 2}, {"not": {"field": "c", "op": "=", "value": "x"}}]}
            ]}),
        );
        check(
            "a EXISTS and (b exists AND (c EXISTS))",
            json!({"all": [
                {"field": "a", "op": "EXISTS"}, {"field": "b", "op": "EXISTS"}, {"field": "c", "op": "EXISTS"}
            ]}),
        );
        check(
            "((a = 'x'))",
            json!({"field": "a", "op": "=", "value": "x"}),
        );
    }

    #[test]
    fn words_numbers_and_strings() {
        check(
            "location IN (Paris, London, 'New York')",
            json!({"field": "location", "op": "IN", "value": ["Paris", "London", "New York"]}),
        );
        check(
            "hireDate < 2025-01-01",
            json!({"field": "hireDate", "op": "<", "value": "2025-01-01"}),
        );
        check(
            "level >= 1e3",
            json!({"field": "level", "op": ">=", "value": 1000}),
        );
        check("x = -2.5", json!({"field": "x", "op": "=", "value": -2.5}));
        check(
            "x != true",
            json!({"field": "x", "op": "!=", "value": true}),
        );
        check(
            "\"job title\" not like 'O\\'Brien'",
            json!({"field": "job title", "op": "NOT LIKE", "value": "O'Brien"}),
        );
        check(
            "manager reports to u-7",
            json!({"field": "manager", "op": "REPORTS TO", "value": "u-7"}),
        );
        check(
            "member of g-paris",
            json!({"op": "MEMBER OF", "value": "g-paris"}),
        );
        check(
            "name starts with \"\\u00c9\"",
            json!({"field": "name", "op": "STARTS WITH", "value": "É"}),
        );
        check("x = 01", json!({"field": "x", "op": "=", "value": "01"}));
    }

    #[test]
    fn syntax_errors_locate_and_list_expectations() {
        check_err("", 1, 1, CONDITION_START);
        check_err("location =", 1, 11, VALUE);
        check_err("a = 1 AND\n  b ~ 2", 2, 5, OPERATORS);
        check_err("(a = 1", 1, 7, &["AND", "OR", ")"]);
        check_err("a = 1 b", 1, 7, &["AND", "OR", "end of rule"]);
        check_err("a NOT = 1", 1, 7, &["LIKE", "IN", "EXISTS"]);
        check_err("a IN (1, 2", 1, 11, &[",", ")"]);
        check_err("Ünïcode = 'x", 1, 11, VALUE);
        check_err("a = AND", 1, 5, VALUE);
        check_err("AND = 1", 1, 1, CONDITION_START);
    }

    #[test]
    fn lexemes_carry_character_ranges_and_open_strings() {
        let kinds = |text: &str| -> Vec<(LexemeKind, usize, usize)> {
            lexemes(text)
                .into_iter()
                .map(|l| (l.kind, l.start, l.end))
                .collect()
        };
        let word = |w: &str| LexemeKind::Word(w.to_owned());
        assert_eq!(
            kinds("ville = \"Zü rich\" AND (n <= 2)"),
            vec![
                (word("ville"), 0, 5),
                (LexemeKind::Cmp(Op::Eq), 6, 7),
                (
                    LexemeKind::Str {
                        value: "Zü rich".to_owned(),
                        closed: true
                    },
                    8,
                    17
                ),
                (word("AND"), 18, 21),
                (LexemeKind::Open, 22, 23),
                (word("n"), 23, 24),
                (LexemeKind::Cmp(Op::Le), 25, 27),
                (word("2"), 28, 29),
                (LexemeKind::Close, 29, 30),
            ]
        );
        let open = |v: &str| LexemeKind::Str {
            value: v.to_owned(),
            closed: false,
        };
        assert_eq!(
            kinds("é = 'Sa\\u00e9 x"),
            vec![
                (word("é"), 0, 1),
                (LexemeKind::Cmp(Op::Eq), 2, 3),
                (open("Saé x"), 4, 15)
            ]
        );
        assert_eq!(
            kinds("a = \"b\\"),
            vec![
                (word("a"), 0, 1),
                (LexemeKind::Cmp(Op::Eq), 2, 3),
                (open("b"), 4, 7)
            ]
        );
        assert_eq!(
            kinds("a ! b"),
            vec![(word("a"), 0, 1), (LexemeKind::Bad('!'), 2, 3)]
        );
    }

    #[test]
    fn bare_words_read_back_as_themselves() {
        assert!(is_bare_text("Paris") && is_bare_text("u-7") && is_bare_text("2025-01-01"));
        assert!(!is_bare_text("São Paulo") && !is_bare_text("in") && !is_bare_text("True"));
        assert!(!is_bare_text("5") && !is_bare_text("") && is_bare_text("007"));
        assert!(is_bare_field("5") && !is_bare_field("job title") && !is_bare_field("OR"));
    }

    #[test]
    fn a_long_word_lexes_in_linear_time() {
        let text = format!("a = {}", "é".repeat(32_000));
        let rule = parse_rule(&text);
        assert!(rule.is_ok());
    }

    #[test]
    fn hostile_nesting_is_a_limit_not_a_crash() {
        let deep = format!("{}a = 1{}", "(".repeat(200), ")".repeat(200));
        assert_eq!(
            parse_rule(&deep).map_err(|e| e.code()),
            Err(ErrorCode::LimitExceeded)
        );
        let nots = format!("{}a = 1", "NOT ".repeat(100_000));
        assert_eq!(
            parse_rule(&nots).map_err(|e| e.code()),
            Err(ErrorCode::LimitExceeded)
        );
        let fine = format!("{}a = 1{}", "(".repeat(64), ")".repeat(64));
        assert!(parse_rule(&fine).is_ok());
        let long = format!("a IN ({})", vec!["x"; 40_000].join(","));
        assert_eq!(
            parse_rule(&long).map_err(|e| e.code()),
            Err(ErrorCode::LimitExceeded)
        );
    }
}
