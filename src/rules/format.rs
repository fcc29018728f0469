//! Canonical rule text: keywords in upper case, strings in double quotes, numbers bare,
//! parentheses only where precedence needs them, and around an AND section inside an OR
//! (as the contract's example `a = "x" OR (b >= 5 AND NOT c EXISTS)` writes it).
//!
//! INVARIANT: `parse_rule(format_rule(ast)) == ast` for every canonical AST.

use super::parse::{is_keyword, is_word_char};
use super::{Operand, Rule, Scalar};
use crate::error::{Error, ErrorCode};
use crate::json::{f64_text, write_string};

/// Writes the canonical text of a rule.
///
/// # Errors
///
/// `invalid-rule` for what has no text form: an empty `all`/`any` or an empty list.
pub fn format_rule(rule: &Rule) -> Result<String, Error> {
    let mut out = String::new();
    write(&mut out, rule, 0)?;
    Ok(out)
}

/// Binding strength: OR 1, AND 2, NOT 3, a condition 4.
fn strength(rule: &Rule) -> u8 {
    match rule {
        Rule::Any(c) if c.len() == 1 => c.first().map_or(1, strength),
        Rule::All(c) if c.len() == 1 => c.first().map_or(2, strength),
        Rule::Any(_) => 1,
        Rule::All(_) => 2,
        Rule::Not(_) => 3,
        Rule::Cond(_) => 4,
    }
}

fn write(out: &mut String, rule: &Rule, needed: u8) -> Result<(), Error> {
    let parens = strength(rule) < needed;
    if parens {
        out.push('(');
    }
    match rule {
        Rule::All(children) | Rule::Any(children) => {
            let (joiner, own) = if matches!(rule, Rule::All(_)) {
                (" AND ", 2)
            } else {
                (" OR ", 1)
            };
            if children.is_empty() {
                return Err(Error::new(
                    ErrorCode::InvalidRule,
                    "an empty `all` or `any` has no text form",
                ));
            }
            for (i, child) in children.iter().enumerate() {
                if i > 0 {
                    out.push_str(joiner);
                }
                // An AND section inside an OR is bracketed, as the contract's own example
                // writes it: precedence alone would not need it, but people read it better.
                let child_needs = if own == 1 && strength(child) == 2 {
                    3
                } else {
                    own
                };
                write(out, child, child_needs)?;
            }
        }
        Rule::Not(child) => {
            out.push_str("NOT ");
            write(out, child, 3)?;
        }
        Rule::Cond(c) => {
            if let Some(field) = &c.field {
                write_field(out, field);
                out.push(' ');
            }
            out.push_str(c.op.as_str());
            match &c.value {
                Operand::None => {}
                Operand::Scalar(s) => {
                    out.push(' ');
                    write_scalar(out, s);
                }
                Operand::List(items) => {
                    if items.is_empty() {
                        return Err(Error::new(
                            ErrorCode::InvalidRule,
                            "an empty list has no text form",
                        ));
                    }
                    out.push_str(" (");
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        write_scalar(out, item);
                    }
                    out.push(')');
                }
            }
        }
    }
    if parens {
        out.push(')');
    }
    Ok(())
}

fn write_field(out: &mut String, field: &str) {
    if !field.is_empty() && field.chars().all(is_word_char) && !is_keyword(field) {
        out.push_str(field);
    } else {
        write_string(out, field);
    }
}

fn write_scalar(out: &mut String, scalar: &Scalar) {
    match scalar {
        Scalar::Text(s) => write_string(out, s),
        Scalar::Number(n) => out.push_str(&f64_text(*n)),
        Scalar::Bool(true) => out.push_str("TRUE"),
        Scalar::Bool(false) => out.push_str("FALSE"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_rule;
    use super::*;

    fn round_trip(text: &str, canonical: &str) {
        let rule = parse_rule(text);
        let formatted = rule.as_ref().map_err(Clone::clone).and_then(format_rule);
        assert_eq!(formatted.as_deref(), Ok(canonical), "{text}");
        assert_eq!(parse_rule(canonical).ok(), rule.ok(), "{canonical}");
    }

    #[test]
    fn formats_canonically_and_round_trips() {
        round_trip(
            "location = 'Paris, France' and status = Active",
            r#"location = "Paris, France" AND status = "Active""#,
        );
        round_trip(
            "department = Sales or (level >= 5 and not manager exists)",
            r#"department = "Sales" OR (level >= 5 AND NOT manager EXISTS)"#,
        );
        round_trip(
            "(a = 1 or b = 2) and c = 3",
            r#"(a = 1 OR b = 2) AND c = 3"#,
        );
        round_trip("not (a = 1 and b = 2)", r#"NOT (a = 1 AND b = 2)"#);
        round_trip("not not a exists", "NOT NOT a EXISTS");
        round_trip(
            "'job title' in (x, 2, true)",
            r#""job title" IN ("x", 2, TRUE)"#,
        );
        round_trip("\"and\" = \"or\"", r#""and" = "or""#);
        round_trip(
            "member of g-1 and x not in (1)",
            r#"MEMBER OF "g-1" AND x NOT IN (1)"#,
        );
        round_trip("a = \"line\\nbreak\"", r#"a = "line\nbreak""#);
    }

    #[test]
    fn empty_nodes_have_no_text() {
        assert_eq!(
            format_rule(&Rule::All(vec![])).map_err(|e| e.code()),
            Err(ErrorCode::InvalidRule)
        );
    }
}
