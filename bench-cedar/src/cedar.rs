//! The Cedar side: entities JSON written from the resolved membership (`membership.rs`), and
//! the two policies.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityId, EntityTypeName, EntityUid, PolicySet,
    Request,
};
use groupgate_workload::push_json_str;

use crate::membership::Membership;

/// Who may use a product: members of one of the product's (active) groups, and org owners
/// and admins.
pub const POLICIES: &str = r#"
permit (principal, action == Action::"use", resource)
when { principal in resource.groups };

permit (principal, action == Action::"use", resource)
when { principal.orgRole == "owner" || principal.orgRole == "admin" };
"#;

/// What Cedar loads: its entities JSON text and the policies.
pub struct Input {
    pub entities_json: String,
    pub entity_count: usize,
    pub dynamic_edges: usize,
    pub cycles: usize,
}

/// A loaded Cedar store and policy set.
pub struct Engine {
    entities: Entities,
    policies: PolicySet,
    authorizer: Authorizer,
}

impl Engine {
    /// Parses the entities JSON (computing the transitive closure) and the policies: the
    /// counterpart of groupgate's load.
    pub fn load(input: &Input) -> Result<Engine, String> {
        Engine::from_entities_json(&input.entities_json)
    }

    /// [`Engine::load`] from the entities JSON text alone.
    pub fn from_entities_json(entities_json: &str) -> Result<Engine, String> {
        let entities = Entities::from_json_str(entities_json, None)
            .map_err(|error| format!("cedar entities: {error}"))?;
        let policies =
            PolicySet::from_str(POLICIES).map_err(|error| format!("cedar policies: {error}"))?;
        Ok(Engine {
            entities,
            policies,
            authorizer: Authorizer::new(),
        })
    }

    /// The Cedar requests for a (user, product) sequence, built once before timing.
    pub fn requests(&self, checks: &[(String, String)]) -> Result<Vec<Request>, String> {
        let user = type_name("User")?;
        let product = type_name("Product")?;
        let action = EntityUid::from_type_name_and_id(type_name("Action")?, EntityId::new("use"));
        checks
            .iter()
            .map(|(user_id, product_id)| {
                Request::new(
                    EntityUid::from_type_name_and_id(user.clone(), EntityId::new(user_id)),
                    action.clone(),
                    EntityUid::from_type_name_and_id(product.clone(), EntityId::new(product_id)),
                    Context::empty(),
                    None,
                )
                .map_err(|error| format!("cedar request: {error}"))
            })
            .collect()
    }

    /// Cedar's side of one membership change: the user entity upserted with one more parent
    /// group, which recomputes the store's transitive closure (Cedar keeps ancestors, not
    /// parents). The counterpart of groupgate's `apply` of one `addMember`.
    pub fn add_member(&mut self, user: &str, group: &str) -> Result<(), String> {
        let uid = EntityUid::from_type_name_and_id(type_name("User")?, EntityId::new(user));
        let group = EntityUid::from_type_name_and_id(type_name("Group")?, EntityId::new(group));
        let entity = self
            .entities
            .get(&uid)
            .cloned()
            .ok_or_else(|| format!("cedar has no user {user}"))?;
        let (uid, attrs, mut parents) = entity.into_inner();
        parents.insert(group);
        let entity = cedar_policy::Entity::new(uid, attrs, parents)
            .map_err(|error| format!("cedar entity: {error}"))?;
        let entities = std::mem::replace(&mut self.entities, Entities::empty());
        self.entities = entities
            .upsert_entities([entity], None)
            .map_err(|error| format!("cedar upsert: {error}"))?;
        Ok(())
    }

    pub fn allows(&self, request: &Request) -> bool {
        self.authorizer
            .is_authorized(request, &self.policies, &self.entities)
            .decision()
            == Decision::Allow
    }
}

fn type_name(name: &str) -> Result<EntityTypeName, String> {
    EntityTypeName::from_str(name).map_err(|error| format!("cedar type {name}: {error}"))
}

impl Input {
    /// Builds Cedar's entities from the resolved membership (see `membership.rs`).
    pub fn from_snapshot(snapshot: &str, engine: &mut groupgate::Engine) -> Result<Input, String> {
        Ok(Input::from_membership(&Membership::from_snapshot(
            snapshot, engine,
        )?))
    }

    /// Writes the entities: Cedar rejects a cyclic hierarchy, so include cycles are flattened
    /// first (the ancestors of every entity stay the same).
    pub fn from_membership(membership: &Membership) -> Input {
        let group_ids: Vec<&str> = membership.groups.iter().map(String::as_str).collect();
        let (group_parents, cycles, expand) = flatten_cycles(&membership.includers);

        let mut out = String::with_capacity(
            64 * (membership.users.len() + membership.groups.len() + membership.products.len()),
        );
        out.push('[');
        out.push_str(r#"{"uid":{"type":"Action","id":"use"},"attrs":{},"parents":[]}"#);
        for user in &membership.users {
            let parents: BTreeSet<usize> = user
                .groups
                .iter()
                .flat_map(|parent| expand(*parent))
                .collect();
            out.push_str(r#",{"uid":{"type":"User","id":"#);
            push_json_str(&mut out, &user.id);
            let _ = write!(
                out,
                r#"}},"attrs":{{"orgRole":"{}"}},"parents":["#,
                user.role
            );
            write_groups(&mut out, &parents, &group_ids, false);
            out.push_str("]}");
        }
        for (index, id) in group_ids.iter().enumerate() {
            out.push_str(r#",{"uid":{"type":"Group","id":"#);
            push_json_str(&mut out, id);
            out.push_str(r#"},"attrs":{},"parents":["#);
            write_groups(&mut out, &group_parents[index], &group_ids, false);
            out.push_str("]}");
        }
        for product in &membership.products {
            out.push_str(r#",{"uid":{"type":"Product","id":"#);
            push_json_str(&mut out, &product.id);
            out.push_str(r#"},"attrs":{"groups":["#);
            write_groups(&mut out, &product.groups, &group_ids, true);
            out.push_str(r#"]},"parents":[]}"#);
        }
        out.push(']');
        Input {
            entities_json: out,
            entity_count: 1
                + membership.users.len()
                + membership.groups.len()
                + membership.products.len(),
            dynamic_edges: membership.dynamic_edges,
            cycles,
        }
    }
}

fn write_groups(out: &mut String, groups: &BTreeSet<usize>, ids: &[&str], escaped: bool) {
    for (position, group) in groups.iter().enumerate() {
        if position > 0 {
            out.push(',');
        }
        out.push_str(if escaped {
            r#"{"__entity":{"type":"Group","id":"#
        } else {
            r#"{"type":"Group","id":"#
        });
        push_json_str(out, ids.get(*group).copied().unwrap_or(""));
        out.push_str(if escaped { "}}" } else { "}" });
    }
}

type Expand = Box<dyn Fn(usize) -> Vec<usize>>;

/// Replaces every cycle of group → parent edges by equivalent acyclic edges (Cedar rejects
/// cycles): the members of a strongly connected set share its outside parents, and an edge
/// to one member becomes edges to all. Returns the new parents, the number of cycles, and
/// the expansion of one parent into the set it belongs to.
fn flatten_cycles(parents: &[BTreeSet<usize>]) -> (Vec<BTreeSet<usize>>, usize, Expand) {
    let component = strongly_connected(parents);
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (node, id) in component.iter().enumerate() {
        members.entry(*id).or_default().push(node);
    }
    let sets: Vec<Vec<usize>> = component
        .iter()
        .map(|id| members.get(id).cloned().unwrap_or_default())
        .collect();
    let cycles = members.values().filter(|nodes| nodes.len() > 1).count();
    let mut flattened = Vec::with_capacity(parents.len());
    for node in 0..parents.len() {
        let own = component[node];
        let mut result = BTreeSet::new();
        for peer in &sets[node] {
            for parent in &parents[*peer] {
                if component[*parent] != own {
                    result.extend(sets[*parent].iter().copied());
                }
            }
        }
        flattened.push(result);
    }
    let expand: Expand = Box::new(move |group| sets.get(group).cloned().unwrap_or_default());
    (flattened, cycles, expand)
}

/// Tarjan's algorithm, iterative: the component id of every node.
fn strongly_connected(edges: &[BTreeSet<usize>]) -> Vec<usize> {
    let n = edges.len();
    let unvisited = usize::MAX;
    let mut index = vec![unvisited; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut component = vec![unvisited; n];
    let mut next_index = 0;
    let mut next_component = 0;
    let adjacency: Vec<Vec<usize>> = edges
        .iter()
        .map(|set| set.iter().copied().collect())
        .collect();
    for root in 0..n {
        if index[root] != unvisited {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some((node, edge)) = work.pop() {
            if let Some(&child) = adjacency[node].get(edge) {
                work.push((node, edge + 1));
                if index[child] == unvisited {
                    index[child] = next_index;
                    low[child] = next_index;
                    next_index += 1;
                    stack.push(child);
                    on_stack[child] = true;
                    work.push((child, 0));
                } else if on_stack[child] {
                    low[node] = low[node].min(index[child]);
                }
                continue;
            }
            if low[node] == index[node] {
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component[member] = next_component;
                    if member == node {
                        break;
                    }
                }
                next_component += 1;
            }
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[node]);
            }
        }
    }
    component
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_flatten_to_the_same_ancestors() {
        // 0 → 1 → 2 → 1, 2 → 3: {1, 2} is a cycle.
        let parents = vec![
            BTreeSet::from([1]),
            BTreeSet::from([2]),
            BTreeSet::from([1, 3]),
            BTreeSet::new(),
        ];
        let (flat, cycles, expand) = flatten_cycles(&parents);
        assert_eq!(cycles, 1);
        assert_eq!(flat[0], BTreeSet::from([1, 2]));
        assert_eq!(flat[1], BTreeSet::from([3]));
        assert_eq!(flat[2], BTreeSet::from([3]));
        assert_eq!(expand(2), vec![1, 2]);
        assert_eq!(expand(0), vec![0]);
    }
}
