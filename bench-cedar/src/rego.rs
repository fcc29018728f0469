//! The Rego side, through regorus: a data document written from the resolved membership
//! (`membership.rs`), and a policy that answers "may user U use product P".
//!
//! The data document holds what Cedar's entities hold, in Rego's shape:
//!
//! * `users`: each user's `orgRole` and the `groups` it is a member of itself (manual entries
//!   in effect, and the dynamic members groupgate listed);
//! * `includers`: for every group, the groups that include it (nothing for an inactive
//!   group). Every group is a key, because `graph.reachable` drops a vertex it has no key for;
//! * `products`: each product's active carrying groups.
//!
//! Cedar is given the same edges and computes their transitive closure when it loads; Rego
//! has no recursive rules, so the policy walks the edges on each question with the
//! `graph.reachable` builtin, which also tolerates include cycles (Cedar needs them
//! flattened first).

use std::fmt::Write as _;

use groupgate_workload::push_json_str;
use regorus::Value;

use crate::membership::Membership;

/// Who may use a product: members of a group that carries it, directly or through the groups
/// that include theirs, and org owners and admins.
pub const POLICY: &str = r#"
package groupgate

default allow := false

allow if data.users[input.user].orgRole in {"owner", "admin"}

allow if {
	groups := graph.reachable(data.includers, data.users[input.user].groups)
	some group in data.products[input.product]
	group in groups
}
"#;

/// The rule every question evaluates.
pub const RULE: &str = "data.groupgate.allow";

/// What regorus loads: the data document's JSON text.
pub struct Input {
    pub data_json: String,
}

impl Input {
    /// Writes the data document.
    pub fn from_membership(membership: &Membership) -> Input {
        let group = |index: &usize| membership.groups.get(*index).map_or("", String::as_str);
        let mut out = String::with_capacity(
            64 * (membership.users.len() + membership.groups.len() + membership.products.len()),
        );
        out.push_str("{\"users\":{");
        for (position, user) in membership.users.iter().enumerate() {
            if position > 0 {
                out.push(',');
            }
            push_json_str(&mut out, &user.id);
            let _ = write!(out, ":{{\"orgRole\":\"{}\",\"groups\":", user.role);
            write_list(&mut out, user.groups.iter().map(group));
            out.push('}');
        }
        out.push_str("},\"includers\":{");
        for (index, id) in membership.groups.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            push_json_str(&mut out, id);
            out.push(':');
            let includers = membership.includers.get(index).into_iter().flatten();
            write_list(&mut out, includers.map(group));
        }
        out.push_str("},\"products\":{");
        for (position, product) in membership.products.iter().enumerate() {
            if position > 0 {
                out.push(',');
            }
            push_json_str(&mut out, &product.id);
            out.push(':');
            write_list(&mut out, product.groups.iter().map(group));
        }
        out.push_str("}}");
        Input { data_json: out }
    }
}

fn write_list<'a>(out: &mut String, items: impl Iterator<Item = &'a str>) {
    out.push('[');
    for (position, item) in items.enumerate() {
        if position > 0 {
            out.push(',');
        }
        push_json_str(out, item);
    }
    out.push(']');
}

/// A regorus engine holding the policy and the data document.
pub struct Engine {
    engine: regorus::Engine,
}

impl Engine {
    /// Creates the engine, parses the policy, and parses and adds the data document (the
    /// JSON text of an [`Input`]): the counterpart of groupgate's load.
    pub fn load(data_json: &str) -> Result<Engine, String> {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("groupgate.rego".to_string(), POLICY.to_string())
            .map_err(|error| format!("rego policy: {error}"))?;
        engine
            .add_data_json(data_json)
            .map_err(|error| format!("rego data: {error}"))?;
        Ok(Engine { engine })
    }

    /// The inputs for a (user, product) sequence, built once before timing.
    pub fn requests(checks: &[(String, String)]) -> Vec<Value> {
        checks
            .iter()
            .map(|(user, product)| {
                let mut input = Value::new_object();
                if let Ok(fields) = input.as_object_mut() {
                    fields.insert(Value::from("user"), Value::from(user.as_str()));
                    fields.insert(Value::from("product"), Value::from(product.as_str()));
                }
                input
            })
            .collect()
    }

    /// Evaluates `allow` for one input.
    pub fn allows(&mut self, input: &Value) -> Result<bool, String> {
        self.engine.set_input(input.clone());
        let answer = self
            .engine
            .eval_rule(RULE.to_string())
            .map_err(|error| format!("rego eval: {error}"))?;
        answer
            .as_bool()
            .copied()
            .map_err(|_| format!("rego: {RULE} is not a boolean: {answer}"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::membership::{Product, User};

    #[test]
    fn members_reach_products_through_includers_and_cycles() {
        // u0 is in g0; g1 includes g0; g1 and g2 include each other; g2 carries p0.
        // u1 is an admin in no group; u2 is in g3, which carries nothing.
        let user = |id: &str, role, groups: &[usize]| User {
            id: id.to_string(),
            role,
            groups: groups.iter().copied().collect(),
        };
        let membership = Membership {
            users: vec![
                user("u0", "member", &[0]),
                user("u1", "admin", &[]),
                user("u2", "member", &[3]),
            ],
            groups: ["g0", "g1", "g2", "g3"].map(String::from).to_vec(),
            includers: vec![
                BTreeSet::from([1]),
                BTreeSet::from([2]),
                BTreeSet::from([1]),
                BTreeSet::new(),
            ],
            products: vec![Product {
                id: "p0".to_string(),
                groups: BTreeSet::from([2]),
            }],
            dynamic_edges: 0,
        };
        let mut engine =
            Engine::load(&Input::from_membership(&membership).data_json).expect("loads");
        let checks = [
            ("u0", "p0"),
            ("u1", "p0"),
            ("u2", "p0"),
            ("u9", "p0"),
            ("u0", "p9"),
        ]
        .map(|(user, product)| (user.to_string(), product.to_string()));
        let answers: Vec<bool> = Engine::requests(&checks)
            .iter()
            .map(|input| engine.allows(input).expect("answers"))
            .collect();
        assert_eq!(answers, [true, true, false, false, false]);
    }
}
