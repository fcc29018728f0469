//! Rule evaluation (SPEC §4): over every user at once, as a bitset; for one user; and for one
//! user with the trace `explain` shows.
//!
//! All three read attributes, the user record and group members the same way, and a unit test
//! holds them to the same answers.

use crate::hash::{Map, Set};
use crate::ids::{GroupIx, Ix, UserIx};
use crate::limits::{RULE_WORK_BASE, RULE_WORK_PER_ITEM};
use crate::rules::{Condition, Op, Operand, Prepared, RecordField, Rule};
use crate::sets::Bits;

use super::attrs::{is_indexed, named_by, positive_users, AttrValue};
use super::Tenant;

/// What a condition read for one user, for `explain`.
#[derive(Debug, Clone, PartialEq)]
pub enum Actual {
    /// No value.
    Missing,
    /// The value as canonical JSON.
    Value(String),
    /// Whether the user belongs to the group (`MEMBER OF`).
    Member(bool),
}

/// The rule tree with each node's result.
#[derive(Debug, Clone, PartialEq)]
pub enum Trace {
    /// `all` and its children.
    All(Vec<Trace>, bool),
    /// `any` and its children.
    Any(Vec<Trace>, bool),
    /// `not` and its child.
    Not(Box<Trace>, bool),
    /// A condition, what it read, and its result.
    Cond(Condition, Actual, bool),
}

impl Trace {
    /// The node's result.
    pub fn result(&self) -> bool {
        match self {
            Trace::All(_, r) | Trace::Any(_, r) | Trace::Not(_, r) | Trace::Cond(_, _, r) => *r,
        }
    }
}

/// The operand's single text (`MEMBER OF` and `REPORTS TO` take one).
fn scalar_text(value: &Operand) -> String {
    match value {
        Operand::Scalar(s) => s.text(),
        _ => String::new(),
    }
}

/// A rule that would do more work than its budget allows (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooCostly;

/// What one evaluation over every user carries: each field's `REPORTS TO` lines, built once,
/// and the work left before the rule is refused as too costly (none: unbounded).
struct Ctx<'t> {
    lines: Map<String, Lines<'t>>,
    left: Option<usize>,
}

impl Ctx<'_> {
    /// Spends `work` units (values or users looked at), or refuses the rule.
    fn charge(&mut self, work: usize) -> Result<(), TooCostly> {
        if let Some(left) = &mut self.left {
            *left = left.checked_sub(work).ok_or(TooCostly)?;
        }
        Ok(())
    }
}

impl Tenant {
    /// The live users a rule matches.
    pub fn matching_users(&self, rule: &Rule) -> Bits {
        self.matching(rule, None)
            .unwrap_or_else(|TooCostly| Bits::empty(self.user_slots()))
    }

    /// The live users a rule matches, or [`TooCostly`] once it has looked at more than
    /// `budget` values and users: conditions that an index answers cost what they match,
    /// those that must decide every value (`LIKE`, `ENDS WITH`, comparisons) cost the
    /// values and users they look at.
    ///
    /// # Errors
    ///
    /// [`TooCostly`] past the budget.
    pub fn matching_users_within(&self, rule: &Rule, budget: usize) -> Result<Bits, TooCostly> {
        self.matching(rule, Some(budget))
    }

    /// The work a rule asked of this tenant may do (SPEC §8): the same on every host, in
    /// proportion to the tenant.
    pub fn rule_budget(&self) -> usize {
        let items = self.user_count().saturating_add(self.attrs.value_count());
        RULE_WORK_BASE.saturating_add(RULE_WORK_PER_ITEM.saturating_mul(items))
    }

    fn matching(&self, rule: &Rule, budget: Option<usize>) -> Result<Bits, TooCostly> {
        let mut ctx = Ctx {
            lines: Map::default(),
            left: budget,
        };
        let mut bits = self.match_bits(rule, &mut ctx)?;
        bits.and_with(self.live_users());
        Ok(bits)
    }

    fn match_bits<'t>(&'t self, rule: &Rule, ctx: &mut Ctx<'t>) -> Result<Bits, TooCostly> {
        let slots = self.user_slots();
        Ok(match rule {
            Rule::All(children) => {
                let mut acc = self.live_users().clone();
                for child in children {
                    if acc.is_empty() {
                        break;
                    }
                    acc.and_with(&self.match_bits(child, ctx)?);
                }
                acc
            }
            Rule::Any(children) => {
                let mut acc = Bits::empty(slots);
                for child in children {
                    acc.or_with(&self.match_bits(child, ctx)?);
                }
                acc
            }
            Rule::Not(child) => {
                let mut bits = self.match_bits(child, ctx)?;
                bits.complement_in(self.live_users());
                bits
            }
            Rule::Cond(cond) => self.condition_bits(cond, ctx)?,
        })
    }

    fn condition_bits<'t>(
        &'t self,
        cond: &Condition,
        ctx: &mut Ctx<'t>,
    ) -> Result<Bits, TooCostly> {
        let slots = self.user_slots();
        let field = cond.field.as_deref().unwrap_or("");
        ctx.charge(1)?;
        Ok(match cond.op {
            Op::MemberOf => match self.group(&scalar_text(&cond.value)) {
                Some(g) => self.members(g).to_bits(slots),
                None => Bits::empty(slots),
            },
            Op::ReportsTo => {
                if !ctx.lines.contains_key(field) {
                    ctx.charge(self.user_count())?;
                    ctx.lines.insert(field.to_owned(), self.lines(field));
                }
                match ctx.lines.get(field) {
                    Some(lines) => lines.below(&scalar_text(&cond.value), slots),
                    None => Bits::empty(slots),
                }
            }
            op => {
                let (positive, negated) = op.positive();
                let mut bits = self.positive_bits(field, positive, cond.prepared(), ctx)?;
                if negated {
                    bits.complement_in(self.live_users());
                }
                bits
            }
        })
    }

    /// The users for which the positive operator `op` holds on `field`: from an index for
    /// `=`, `IN` and `STARTS WITH` (SPEC §8), else by deciding every value.
    fn positive_bits(
        &self,
        field: &str,
        op: Op,
        prepared: &Prepared,
        ctx: &mut Ctx<'_>,
    ) -> Result<Bits, TooCostly> {
        let slots = self.user_slots();
        if let Some(r) = RecordField::of(field) {
            if is_indexed(op) {
                let users = self.record_lookup(r).candidates(op, prepared);
                ctx.charge(users.len())?;
                let mut bits = Bits::empty(slots);
                for u in users {
                    bits.insert(u);
                }
                return Ok(bits);
            }
            ctx.charge(self.user_count())?;
            let mut bits = Bits::empty(slots);
            for &u in self.users_by_name() {
                if prepared.holds_text(op, self.record_str(r, u)) {
                    bits.insert(u.get());
                }
            }
            return Ok(bits);
        }
        let indices = self.attrs.resolve_indices(field);
        if let ([one], true) = (indices.as_slice(), is_indexed(op)) {
            if let (Some(column), Some(lookup)) =
                (self.attrs.column(*one), self.column_lookup(*one))
            {
                let (bits, looked) = column.indexed_users(&lookup, op, prepared, slots);
                ctx.charge(looked)?;
                return Ok(bits);
            }
        }
        let columns = self.attrs.resolve(field);
        ctx.charge(columns.iter().map(|c| c.scan_cost()).sum())?;
        Ok(positive_users(&columns, op, prepared, slots))
    }

    /// `field`'s reporting lines: who names each text, and who names each user.
    fn lines(&self, field: &str) -> Lines<'_> {
        let slots = self.user_slots();
        let by_text: Map<&str, Vec<u32>> = if let Some(r) = RecordField::of(field) {
            let mut by_text: Map<&str, Vec<u32>> = Map::default();
            for &u in self.users_by_name() {
                if let Some(text) = self.record_str(r, u) {
                    by_text.entry(text).or_default().push(u.get());
                }
            }
            by_text
        } else {
            named_by(&self.attrs.resolve(field), slots)
        };
        // Who names each user, laid out by slot, so walking down a chain reads memory in
        // the order the users were given rather than jumping between scattered lists.
        let mut start = vec![0u32; slots + 1];
        let mut owner: Vec<(usize, &Vec<u32>)> = Vec::new();
        for (text, users) in &by_text {
            if let Some((u, _)) = self.users.ids.lookup(text) {
                owner.push((u.index(), users));
            }
        }
        owner.sort_unstable_by_key(|(u, _)| *u);
        let mut flat = Vec::with_capacity(owner.iter().map(|(_, users)| users.len()).sum());
        let mut next = 0usize;
        for (u, users) in owner {
            while next <= u {
                if let Some(s) = start.get_mut(next) {
                    *s = flat.len() as u32;
                }
                next += 1;
            }
            flat.extend_from_slice(users);
        }
        for s in start.iter_mut().skip(next) {
            *s = flat.len() as u32;
        }
        Lines {
            named: by_text,
            start,
            flat,
        }
    }

    /// The value `field` reads for `u`.
    fn field_value(&self, field: &str, u: UserIx) -> FieldValue<'_> {
        match RecordField::of(field) {
            Some(r) => FieldValue::Record(self.record_str(r, u).map(str::to_owned)),
            None => FieldValue::Attr(self.attrs.value(field, u)),
        }
    }

    /// Whether `u`'s `field` leads, in one step or more, to `target` (SPEC §4.2).
    fn user_reports_to(&self, field: &str, u: UserIx, target: &str) -> bool {
        let mut seen: Set<u32> = Set::default();
        let mut queue = vec![u];
        while let Some(v) = queue.pop() {
            if !seen.insert(v.get()) {
                continue;
            }
            let mut step = |text: &str| {
                if text == target {
                    return true;
                }
                if let Some(next) = self.user(text) {
                    queue.push(next);
                }
                false
            };
            let reached = match RecordField::of(field) {
                Some(r) => self.record_str(r, v).is_some_and(&mut step),
                None => self
                    .attrs
                    .value(field, v)
                    .into_iter()
                    .flat_map(AttrValue::items)
                    .any(|(text, _, _)| step(text)),
            };
            if reached {
                return true;
            }
        }
        false
    }

    /// Whether `rule` matches user `u`.
    pub fn user_matches(&self, rule: &Rule, u: UserIx) -> bool {
        if !self.user_live(u) {
            return false;
        }
        match rule {
            Rule::All(children) => children.iter().all(|c| self.user_matches(c, u)),
            Rule::Any(children) => children.iter().any(|c| self.user_matches(c, u)),
            Rule::Not(child) => !self.user_matches(child, u),
            Rule::Cond(cond) => self.condition_result(cond, u),
        }
    }

    /// Whether `cond` holds for `u`, and what it read (for traces).
    fn condition_holds(&self, cond: &Condition, u: UserIx) -> (bool, Actual) {
        let result = self.condition_result(cond, u);
        let actual = match cond.op {
            Op::MemberOf => Actual::Member(result),
            _ => match self.field_value(cond.field.as_deref().unwrap_or(""), u) {
                FieldValue::Record(Some(text)) => Actual::Value(AttrValue::text(&text).json()),
                FieldValue::Attr(Some(v)) => Actual::Value(v.json()),
                _ => Actual::Missing,
            },
        };
        (result, actual)
    }

    /// Whether `cond` holds for `u`.
    fn condition_result(&self, cond: &Condition, u: UserIx) -> bool {
        let field = cond.field.as_deref().unwrap_or("");
        match cond.op {
            Op::MemberOf => self
                .group(&scalar_text(&cond.value))
                .is_some_and(|g| self.is_member(g, u)),
            Op::ReportsTo => self.user_reports_to(field, u, &scalar_text(&cond.value)),
            op => {
                let value = self.field_value(field, u);
                let (positive, negated) = op.positive();
                let prepared = cond.prepared();
                let holds = match &value {
                    FieldValue::Record(text) => prepared.holds_text(positive, text.as_deref()),
                    FieldValue::Attr(v) => v.is_some_and(|v| prepared.holds(positive, v)),
                };
                holds != negated
            }
        }
    }

    /// Whether `rule` matches `u`, with the trace `explain` shows.
    pub fn explain_rule(&self, rule: &Rule, u: UserIx) -> Trace {
        match rule {
            Rule::All(children) => {
                let traced: Vec<Trace> = children.iter().map(|c| self.explain_rule(c, u)).collect();
                let result = traced.iter().all(Trace::result);
                Trace::All(traced, result)
            }
            Rule::Any(children) => {
                let traced: Vec<Trace> = children.iter().map(|c| self.explain_rule(c, u)).collect();
                let result = traced.iter().any(Trace::result);
                Trace::Any(traced, result)
            }
            Rule::Not(child) => {
                let inner = self.explain_rule(child, u);
                let result = !inner.result();
                Trace::Not(Box::new(inner), result)
            }
            Rule::Cond(cond) => {
                let (result, actual) = self.condition_holds(cond, u);
                Trace::Cond(cond.clone(), actual, result)
            }
        }
    }

    /// The groups a rule names with `MEMBER OF`, when they exist.
    pub fn member_of_targets(&self, rule: &Rule) -> Vec<GroupIx> {
        let mut out: Vec<GroupIx> = rule
            .conditions()
            .into_iter()
            .filter(|c| c.op == Op::MemberOf)
            .filter_map(|c| self.groups.ids.get(&scalar_text(&c.value)))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// One field's reporting lines, built on the first `REPORTS TO` over the field in an
/// evaluation: who names each text, and, by user slot, who names that user's id. A chain is
/// then walked down over slots without hashing an id per step, so a rule with many
/// `REPORTS TO` over a deep chain costs the users it reaches, not their ids' hashes.
pub(super) struct Lines<'t> {
    /// The users naming each text.
    named: Map<&'t str, Vec<u32>>,
    /// By user slot, where in `flat` the users naming that user start; one past the last
    /// slot, the end.
    start: Vec<u32>,
    /// The users naming each user, slot after slot.
    flat: Vec<u32>,
}

impl Lines<'_> {
    /// The users naming user slot `u`.
    fn naming(&self, u: u32) -> &[u32] {
        let u = u as usize;
        match (self.start.get(u), self.start.get(u + 1)) {
            (Some(&a), Some(&b)) => self.flat.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Everyone whose line leads to `target`, in one step or more.
    fn below(&self, target: &str, slots: usize) -> Bits {
        let mut found = Bits::empty(slots);
        let mut queue: Vec<u32> = self.named.get(target).cloned().unwrap_or_default();
        while let Some(u) = queue.pop() {
            if found.contains(u) {
                continue;
            }
            found.insert(u);
            queue.extend(
                self.naming(u)
                    .iter()
                    .copied()
                    .filter(|&n| !found.contains(n)),
            );
        }
        found
    }
}

enum FieldValue<'a> {
    Record(Option<String>),
    Attr(Option<&'a AttrValue>),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::rules::parse_rule;
    use crate::snapshot::read_snapshot;

    use super::super::Tenant;
    use super::*;

    fn tenant() -> Tenant {
        let snap = read_snapshot(
            r#"{"users":[
                {"id":"a","name":"A","attributes":{"location":"Paris","level":5,"jobTitle":"Engineering Manager","tags":["x","y"],"manager":"c"}},
                {"id":"b","name":"B","attributes":{"Location":"paris","level":"10","job":"Chef","tags":[],"manager":"a"}},
                {"id":"c","name":"C","orgRole":"owner","attributes":{"location":"London","level":12,"active":true,"manager":"b"}},
                {"id":"d","name":"D","attributes":{"location":null,"level":5.0,"status":""}}],
              "groups":[{"id":"g","name":"G","members":["a","d"]}]}"#,
        )
        .unwrap();
        Tenant::compile(snap)
    }

    /// Evaluates `rule` over the users all three ways and checks they agree with `expect`.
    fn check(t: &Tenant, rule: &str, expect: &[&str]) {
        let parsed = parse_rule(rule).unwrap();
        let mut all: Vec<&str> = t
            .matching_users(&parsed)
            .iter()
            .map(|u| t.user_id(UserIx::new(u)))
            .collect();
        all.sort_unstable();
        assert_eq!(all, expect, "{rule}");
        for u in t.users_by_id() {
            let one = t.user_matches(&parsed, u);
            assert_eq!(
                one,
                expect.contains(&t.user_id(u)),
                "one user disagrees: {rule}"
            );
            assert_eq!(
                t.explain_rule(&parsed, u).result(),
                one,
                "trace disagrees: {rule}"
            );
        }
    }

    #[test]
    fn comparisons() {
        let t = tenant();
        check(&t, "location = PARIS", &["a", "b"]);
        check(&t, "location != paris", &["c", "d"]);
        check(&t, "level = 5", &["a", "d"]);
        check(&t, "level > 5", &["c"]);
        check(&t, "level < 2", &["b"]);
        check(&t, "job LIKE manager", &["a"]);
        check(&t, "job = chef", &["b"]);
        check(&t, "active = 'TRUE'", &["c"]);
        check(&t, "tags IN (y, z)", &["a"]);
        check(&t, "tags NOT IN (y, z)", &["b", "c", "d"]);
        check(&t, "tags EXISTS", &["a"]);
        check(&t, "status NOT EXISTS", &["a", "b", "c", "d"]);
        check(
            &t,
            "location STARTS WITH lon OR location ENDS WITH RIS",
            &["a", "b", "c"],
        );
        check(&t, "name = 'B' OR id = c OR orgRole = owner", &["b", "c"]);
        check(&t, "NAME = b OR ID = c", &[]);
        check(&t, "MEMBER OF g AND NOT level > 6", &["a", "d"]);
        check(&t, "MEMBER OF nowhere", &[]);
    }

    #[test]
    fn indexed_conditions_agree_with_deciding_each_user() {
        // 200 users, each with its own `code` (too many values for postings, so the lookup
        // lists each value's users) and numbers written several ways.
        let users: Vec<String> = (0..200)
            .map(|i| {
                let number = match i % 5 {
                    0 => "100".to_owned(),
                    1 => "100.0".to_owned(),
                    2 => "1e2".to_owned(),
                    3 => "\"100\"".to_owned(),
                    _ => format!("{i}"),
                };
                let zero = if i % 2 == 0 { "0" } else { "-0.0" };
                format!(
                    r#"{{"id":"U{i}","name":"Name {i}","attributes":{{"code":"C-{i}","n":{number},"z":{zero},"tags":["t{}","T{}"]}}}}"#,
                    i % 3,
                    i % 7
                )
            })
            .collect();
        let t = Tenant::compile(
            read_snapshot(&format!(r#"{{"users":[{}]}}"#, users.join(","))).unwrap(),
        );
        let ids = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
            let mut out: Vec<String> = (0..200)
                .filter(|&i| keep(i))
                .map(|i| format!("U{i}"))
                .collect();
            out.sort();
            out
        };
        check(&t, "code = c-7", &strs(&ids(&|i| i == 7)));
        check(
            &t,
            "code IN (C-7, c-8, nope)",
            &strs(&ids(&|i| i == 7 || i == 8)),
        );
        check(
            &t,
            "code STARTS WITH c-19",
            &strs(&ids(&|i| i == 19 || (190..200).contains(&i))),
        );
        check(&t, "code != C-7", &strs(&ids(&|i| i != 7)));
        // Numbers compare as numbers, text as text: "100" the string is not the number 1e2's
        // text when the condition gives the number.
        check(&t, "n = 100", &strs(&ids(&|i| i % 5 <= 3 || i == 100)));
        check(&t, "n = '100.0'", &[]);
        check(&t, "n IN (1e2, 4)", &strs(&ids(&|i| i % 5 <= 3 || i == 4)));
        check(&t, "z = 0", &strs(&ids(&|_| true)));
        check(&t, "tags = t1", &strs(&ids(&|i| i % 3 == 1 || i % 7 == 1)));
        check(
            &t,
            "id = u7 OR id IN (u8, U9) OR name = 'NAME 10'",
            &strs(&ids(&|i| (7..=10).contains(&i))),
        );
        check(
            &t,
            "name STARTS WITH 'name 19'",
            &strs(&ids(&|i| i == 19 || (190..200).contains(&i))),
        );
        check(&t, "orgRole = 'member'", &strs(&ids(&|_| true)));
    }

    #[test]
    fn a_costly_rule_is_refused_and_a_cheap_one_is_not() {
        let t = tenant();
        let like = parse_rule("name LIKE a OR name LIKE b").unwrap();
        assert_eq!(t.matching_users_within(&like, 1).err(), Some(TooCostly));
        let all = t.matching_users_within(&like, t.rule_budget()).unwrap();
        assert_eq!(all.count(), 2, "A and B");
        assert_eq!(all, t.matching_users(&like));
        // An indexed condition costs what it matches, not the tenant.
        let eq = parse_rule("id = a").unwrap();
        assert_eq!(t.matching_users_within(&eq, 2).unwrap().count(), 1);
    }

    #[test]
    fn reports_to_follows_chains_and_ends_on_cycles() {
        let t = tenant();
        check(&t, "manager REPORTS TO a", &["a", "b", "c"]);
        check(&t, "manager REPORTS TO d", &[]);
        check(&t, "NOT manager REPORTS TO c", &["d"]);
        check(&t, "id REPORTS TO a", &["a"]);
    }

    fn strs(ids: &[String]) -> Vec<&str> {
        ids.iter().map(String::as_str).collect()
    }

    #[test]
    fn reports_to_walks_long_chains_and_record_fields_alike() {
        // u1 reports to u0, u2 to u1, …; each user's name names the next user up, given in
        // reverse order so slots and the chain run opposite ways.
        let users: Vec<String> = (0..300)
            .rev()
            .map(|i| {
                let up = if i == 0 {
                    "ceo".to_owned()
                } else {
                    format!("u{}", i - 1)
                };
                format!(r#"{{"id":"u{i}","name":"{up}","attributes":{{"manager":"{up}"}}}}"#)
            })
            .collect();
        let t = Tenant::compile(
            read_snapshot(&format!(r#"{{"users":[{}]}}"#, users.join(","))).unwrap(),
        );
        // Ids below user `k`, in the order `check` compares them (sorted; all are
        // u0..u299, so u101..u200 come first among those below u100).
        let below = |k: usize| -> Vec<String> {
            let mut ids: Vec<String> = (k + 1..300).map(|i| format!("u{i}")).collect();
            ids.sort();
            ids
        };
        let mut everyone: Vec<String> = (0..300).map(|i| format!("u{i}")).collect();
        everyone.sort();
        for field in ["manager", "name"] {
            check(&t, &format!("{field} REPORTS TO ceo"), &strs(&everyone));
            check(&t, &format!("{field} REPORTS TO u150"), &strs(&below(150)));
            check(&t, &format!("{field} REPORTS TO u299"), &[]);
            check(
                &t,
                &format!("{field} REPORTS TO u100 AND NOT {field} REPORTS TO u200"),
                &strs(&below(100)[..100]),
            );
        }
    }
}
