//! Dynamic membership rules (SPEC §4): the AST, its JSON form, the text syntax and its
//! canonical formatting. Evaluation over users lives in `crate::model` (`eval`).
//!
//! INVARIANT: every [`Rule`] that leaves this module respects the rule limits of SPEC §8
//! (nesting, size, `IN` lists: see [`crate::limits`]).

mod format;
mod parse;

pub use format::format_rule;
pub use parse::{
    check_rule_text, is_bare_field, is_bare_text, is_keyword, is_number_word, lexemes, parse_rule,
    Lexeme, LexemeKind,
};

use serde_json::{Map, Value};

use crate::error::{Error, ErrorCode};
use crate::json::{f64_text, path_index, path_key, type_name};
use crate::limits::{MAX_IN_LIST, MAX_RULE_DEPTH, MAX_RULE_NODES};
use crate::text::lower;

/// A rule node.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    All(Vec<Rule>),
    Any(Vec<Rule>),
    Not(Box<Rule>),
    Cond(Condition),
}

/// A condition: `field op value`, or `MEMBER OF group` (no field).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: Option<String>,
    pub op: Op,
    pub value: Operand,
    /// `value` as a user's values are compared with it, prepared once with the rule.
    prepared: Prepared,
}

/// A condition's operand, prepared once: each scalar's lowercase text and number. Deciding a
/// condition for one user (a change, an explanation) reads it rather than lowercasing the
/// operand again.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub(crate) scalars: Vec<(String, Option<f64>)>,
}

impl Prepared {
    /// Prepares `value`.
    pub fn new(value: &Operand) -> Prepared {
        let prep = |s: &Scalar| {
            (
                lower(&s.text()),
                if let Scalar::Number(n) = s {
                    Some(*n)
                } else {
                    None
                },
            )
        };
        let scalars = match value {
            Operand::None => Vec::new(),
            Operand::Scalar(s) => vec![prep(s)],
            Operand::List(items) => items.iter().map(prep).collect(),
        };
        Prepared { scalars }
    }
}

/// What an operator compares with.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    None,
    Scalar(Scalar),
    List(Vec<Scalar>),
}

/// A rule value.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Number(f64),
    Bool(bool),
}

impl Scalar {
    /// The text a scalar compares by: strings as they are, numbers and booleans as JSON text.
    pub fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Number(n) => f64_text(*n),
            Scalar::Bool(b) => b.to_string(),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Scalar::Text(s) => Value::String(s.clone()),
            Scalar::Number(n) => number_json(*n),
            Scalar::Bool(b) => Value::Bool(*b),
        }
    }
}

/// A field that reads the user record rather than the attributes (SPEC §4.1). Only these
/// exact spellings do: `Name` or `ID` read attributes of those keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordField {
    /// `id`: the user's id.
    Id,
    /// `name`: the display name.
    Name,
    /// `orgRole`: `owner`, `admin` or `member`.
    OrgRole,
}

impl RecordField {
    /// Every record field, in the order suggestions list them.
    pub const ALL: [RecordField; 3] = [RecordField::Id, RecordField::Name, RecordField::OrgRole];

    /// The record field a condition's `field` names, if any.
    pub fn of(field: &str) -> Option<RecordField> {
        match field {
            "id" => Some(RecordField::Id),
            "name" => Some(RecordField::Name),
            "orgRole" => Some(RecordField::OrgRole),
            _ => None,
        }
    }

    /// How rules spell it.
    pub fn key(self) -> &'static str {
        match self {
            RecordField::Id => "id",
            RecordField::Name => "name",
            RecordField::OrgRole => "orgRole",
        }
    }

    /// Its position in [`RecordField::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The operators of SPEC §4.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Like,
    NotLike,
    StartsWith,
    EndsWith,
    In,
    NotIn,
    Lt,
    Le,
    Gt,
    Ge,
    Exists,
    NotExists,
    ReportsTo,
    MemberOf,
}

impl Op {
    pub const ALL: [Op; 16] = [
        Op::Eq,
        Op::Ne,
        Op::Like,
        Op::NotLike,
        Op::StartsWith,
        Op::EndsWith,
        Op::In,
        Op::NotIn,
        Op::Lt,
        Op::Le,
        Op::Gt,
        Op::Ge,
        Op::Exists,
        Op::NotExists,
        Op::ReportsTo,
        Op::MemberOf,
    ];

    /// The spelling in the AST and in canonical text.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Like => "LIKE",
            Op::NotLike => "NOT LIKE",
            Op::StartsWith => "STARTS WITH",
            Op::EndsWith => "ENDS WITH",
            Op::In => "IN",
            Op::NotIn => "NOT IN",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Exists => "EXISTS",
            Op::NotExists => "NOT EXISTS",
            Op::ReportsTo => "REPORTS TO",
            Op::MemberOf => "MEMBER OF",
        }
    }

    fn from_str(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.as_str() == s)
    }

    /// The positive twin of a negative operator (`!=` → `=`), for evaluation.
    pub fn positive(self) -> (Op, bool) {
        match self {
            Op::Ne => (Op::Eq, true),
            Op::NotLike => (Op::Like, true),
            Op::NotIn => (Op::In, true),
            Op::NotExists => (Op::Exists, true),
            other => (other, false),
        }
    }
}

impl Rule {
    /// Nesting of `all`/`any`/`not` nodes on the deepest path (a lone condition is 0).
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(self, 0usize)];
        while let Some((node, depth)) = stack.pop() {
            match node {
                Rule::All(children) | Rule::Any(children) => {
                    deepest = deepest.max(depth + 1);
                    stack.extend(children.iter().map(|c| (c, depth + 1)));
                }
                Rule::Not(child) => {
                    deepest = deepest.max(depth + 1);
                    stack.push((child, depth + 1));
                }
                Rule::Cond(_) => {}
            }
        }
        deepest
    }

    /// How many nodes the rule holds: conditions and connectives.
    pub fn size(&self) -> usize {
        let mut count = 0;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            count += 1;
            match node {
                Rule::All(children) | Rule::Any(children) => stack.extend(children.iter()),
                Rule::Not(child) => stack.push(child),
                Rule::Cond(_) => {}
            }
        }
        count
    }

    /// Visits every condition.
    pub fn conditions(&self) -> Vec<&Condition> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            match node {
                Rule::All(children) | Rule::Any(children) => stack.extend(children.iter().rev()),
                Rule::Not(child) => stack.push(child),
                Rule::Cond(c) => out.push(c),
            }
        }
        out
    }

    /// The canonical AST JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Rule::All(children) => single(
                "all",
                Value::Array(children.iter().map(Rule::to_json).collect()),
            ),
            Rule::Any(children) => single(
                "any",
                Value::Array(children.iter().map(Rule::to_json).collect()),
            ),
            Rule::Not(child) => single("not", child.to_json()),
            Rule::Cond(c) => Value::Object(c.to_json_map()),
        }
    }

    /// Reads a rule given as AST JSON or as text.
    ///
    /// # Errors
    ///
    /// `rule-syntax` (text), `invalid-rule` (AST, with the path) or `limit-exceeded`.
    pub fn from_source(value: &Value, path: &str) -> Result<Rule, Error> {
        match value {
            Value::String(text) => parse_rule(text).map_err(|e| e.at_if_unset(path)),
            Value::Object(_) => Rule::from_json(value, path),
            other => Err(Error::new(
                ErrorCode::InvalidRule,
                format!("a rule is an AST object or text, not {}", type_name(other)),
            )
            .at(path)),
        }
    }

    /// Reads a rule from its AST JSON.
    ///
    /// # Errors
    ///
    /// `invalid-rule` with the path of the offending node, or `limit-exceeded`.
    pub fn from_json(value: &Value, path: &str) -> Result<Rule, Error> {
        let mut budget = MAX_RULE_NODES;
        from_json_at(value, path, 0, &mut budget)
    }
}

/// A JSON number, whole values as integers so that they compare and print canonically.
pub fn number_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        #[expect(clippy::cast_possible_truncation, reason = "whole and below 2^53")]
        let whole = n as i64;
        Value::Number(whole.into())
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

fn single(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_owned(), value);
    Value::Object(map)
}

impl Condition {
    /// The condition `field op value`.
    pub fn new(field: Option<String>, op: Op, value: Operand) -> Condition {
        let prepared = Prepared::new(&value);
        Condition {
            field,
            op,
            value,
            prepared,
        }
    }

    /// The operand, prepared.
    pub fn prepared(&self) -> &Prepared {
        &self.prepared
    }

    fn to_json_map(&self) -> Map<String, Value> {
        let mut map = Map::new();
        if let Some(field) = &self.field {
            map.insert("field".to_owned(), Value::String(field.clone()));
        }
        map.insert("op".to_owned(), Value::String(self.op.as_str().to_owned()));
        match &self.value {
            Operand::None => {}
            Operand::Scalar(s) => {
                map.insert("value".to_owned(), s.to_json());
            }
            Operand::List(items) => {
                map.insert(
                    "value".to_owned(),
                    Value::Array(items.iter().map(Scalar::to_json).collect()),
                );
            }
        }
        map
    }

    /// The condition as AST JSON, with extra keys (for traces).
    pub fn to_json_with(&self, extra: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
        let mut map = self.to_json_map();
        for (k, v) in extra {
            map.insert(k.to_owned(), v);
        }
        Value::Object(map)
    }
}

fn invalid(path: &str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidRule, message).at(path)
}

fn from_json_at(
    value: &Value,
    path: &str,
    depth: usize,
    budget: &mut usize,
) -> Result<Rule, Error> {
    if *budget == 0 {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            format!("a rule holds at most {MAX_RULE_NODES} conditions and connectives"),
        )
        .at(path));
    }
    *budget -= 1;
    let Value::Object(map) = value else {
        return Err(invalid(
            path,
            format!("a rule node is an object, not {}", type_name(value)),
        ));
    };
    for connective in ["all", "any", "not"] {
        if let Some(inner) = map.get(connective) {
            if let Some(other) = map.keys().find(|k| k.as_str() != connective) {
                return Err(invalid(
                    &path_key(path, other),
                    format!("`{connective}` node has an unexpected key `{other}`"),
                ));
            }
            if depth + 1 > MAX_RULE_DEPTH {
                return Err(Error::new(
                    ErrorCode::LimitExceeded,
                    format!("rule nests deeper than {MAX_RULE_DEPTH} levels"),
                )
                .at(path));
            }
            let inner_path = path_key(path, connective);
            if connective == "not" {
                return Ok(Rule::Not(Box::new(from_json_at(
                    inner,
                    &inner_path,
                    depth + 1,
                    budget,
                )?)));
            }
            let Value::Array(items) = inner else {
                return Err(invalid(
                    &inner_path,
                    format!("`{connective}` takes an array, not {}", type_name(inner)),
                ));
            };
            let children = items
                .iter()
                .enumerate()
                .map(|(i, item)| from_json_at(item, &path_index(&inner_path, i), depth + 1, budget))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(if connective == "all" {
                Rule::All(children)
            } else {
                Rule::Any(children)
            });
        }
    }
    condition_from_json(map, path).map(Rule::Cond)
}

fn condition_from_json(map: &Map<String, Value>, path: &str) -> Result<Condition, Error> {
    if let Some(other) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "field" | "op" | "value"))
    {
        return Err(invalid(
            &path_key(path, other),
            format!("a condition has no key `{other}`"),
        ));
    }
    let op_path = path_key(path, "op");
    let op = match map.get("op") {
        Some(Value::String(s)) => {
            Op::from_str(s).ok_or_else(|| invalid(&op_path, format!("unknown operator `{s}`")))?
        }
        Some(other) => {
            return Err(invalid(
                &op_path,
                format!("`op` is a string, not {}", type_name(other)),
            ))
        }
        None => {
            return Err(invalid(
                path,
                "a rule node needs `all`, `any`, `not` or `op`",
            ))
        }
    };
    let field_path = path_key(path, "field");
    let field = match (map.get("field"), op) {
        (None | Some(Value::Null), Op::MemberOf) => None,
        (Some(_), Op::MemberOf) => return Err(invalid(&field_path, "`MEMBER OF` takes no field")),
        (Some(Value::String(f)), _) => Some(f.clone()),
        (Some(other), _) => {
            return Err(invalid(
                &field_path,
                format!("`field` is a string, not {}", type_name(other)),
            ))
        }
        (None, _) => return Err(invalid(path, format!("`{}` needs a `field`", op.as_str()))),
    };
    let value_path = path_key(path, "value");
    let value = match op {
        Op::Exists | Op::NotExists => match map.get("value") {
            None | Some(Value::Null) => Operand::None,
            Some(_) => {
                return Err(invalid(
                    &value_path,
                    format!("`{}` takes no value", op.as_str()),
                ))
            }
        },
        Op::In | Op::NotIn => match map.get("value") {
            Some(Value::Array(items)) => {
                if items.len() > MAX_IN_LIST {
                    return Err(Error::new(
                        ErrorCode::LimitExceeded,
                        format!("an `IN` list holds at most {MAX_IN_LIST} values"),
                    )
                    .at(value_path));
                }
                let scalars = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| scalar_from_json(item, &path_index(&value_path, i)))
                    .collect::<Result<Vec<_>, _>>()?;
                Operand::List(scalars)
            }
            Some(other) => {
                return Err(invalid(
                    &value_path,
                    format!("`{}` takes a list, not {}", op.as_str(), type_name(other)),
                ))
            }
            None => {
                return Err(invalid(
                    path,
                    format!("`{}` needs a `value` list", op.as_str()),
                ))
            }
        },
        _ => match map.get("value") {
            Some(v) => Operand::Scalar(scalar_from_json(v, &value_path)?),
            None => return Err(invalid(path, format!("`{}` needs a `value`", op.as_str()))),
        },
    };
    Ok(Condition::new(field, op, value))
}

fn scalar_from_json(value: &Value, path: &str) -> Result<Scalar, Error> {
    match value {
        Value::String(s) => Ok(Scalar::Text(s.clone())),
        Value::Bool(b) => Ok(Scalar::Bool(*b)),
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(Scalar::Number)
            .ok_or_else(|| invalid(path, "number out of range")),
        other => Err(invalid(
            path,
            format!(
                "a value is a string, number or boolean, not {}",
                type_name(other)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(value: Value) -> Option<(ErrorCode, Option<String>)> {
        Rule::from_json(&value, "$.rule")
            .err()
            .map(|e| (e.code(), e.path().map(str::to_owned)))
    }

    #[test]
    fn ast_round_trips_through_json() {
        let ast = json!({"any": [
            {"all": [{"field": "location", "op": "=", "value": "Paris"}, {"field": "level", "op": ">=", "value": 5}]},
            {"not": {"field": "manager", "op": "EXISTS"}},
            {"op": "MEMBER OF", "value": "g-paris"},
            {"field": "dept", "op": "IN", "value": ["a", 1, true]}
        ]});
        let rule = Rule::from_json(&ast, "$").map(|r| r.to_json());
        assert_eq!(rule, Ok(ast));
    }

    #[test]
    fn ast_errors_carry_paths() {
        assert_eq!(
            code(json!({"all": [{"field": "a", "op": "~", "value": 1}]})),
            Some((ErrorCode::InvalidRule, Some("$.rule.all[0].op".to_owned())))
        );
        assert_eq!(
            code(json!({"field": "a", "op": "IN", "value": "x"})),
            Some((ErrorCode::InvalidRule, Some("$.rule.value".to_owned())))
        );
        assert_eq!(
            code(json!({"field": "a", "op": "=", "value": 1, "vaule": 2})),
            Some((ErrorCode::InvalidRule, Some("$.rule.vaule".to_owned())))
        );
        assert_eq!(
            code(json!({"field": "a", "op": "MEMBER OF", "value": "g"})),
            Some((ErrorCode::InvalidRule, Some("$.rule.field".to_owned())))
        );
        let mut deep = json!({"field": "a", "op": "EXISTS"});
        for _ in 0..MAX_RULE_DEPTH {
            deep = json!({ "not": deep });
        }
        assert!(Rule::from_json(&deep, "$").is_ok());
        assert_eq!(
            code(json!({ "not": deep })).map(|c| c.0),
            Some(ErrorCode::LimitExceeded)
        );
    }
}
