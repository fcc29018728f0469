//! The Cedar side: entities JSON built from a groupgate snapshot, and the two policies.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityId, EntityTypeName, EntityUid, PolicySet,
    Request,
};
use groupgate_workload::push_json_str;
use serde_json::Value;

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
        let entities = Entities::from_json_str(&input.entities_json, None)
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
    /// Builds Cedar's entities from the snapshot text. Manual members, includes, activity and
    /// products are read from the snapshot itself; dynamic members come from groupgate's
    /// `members` listings of type `dynamic`, since Cedar has no counterpart of membership rules.
    pub fn from_snapshot(snapshot: &str, engine: &mut groupgate::Engine) -> Result<Input, String> {
        let root: Value =
            serde_json::from_str(snapshot).map_err(|error| format!("snapshot: {error}"))?;
        let list = |key: &str| {
            root.get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let users = list("users");
        let groups = list("groups");
        let products = list("products");
        let as_of = root.get("asOf").and_then(Value::as_str).and_then(instant);

        let user_index: HashMap<&str, usize> = users
            .iter()
            .enumerate()
            .filter_map(|(index, user)| Some((user.get("id")?.as_str()?, index)))
            .collect();
        let group_ids: Vec<&str> = groups
            .iter()
            .map(|group| group.get("id").and_then(Value::as_str).unwrap_or(""))
            .collect();
        let group_index: HashMap<&str, usize> = group_ids
            .iter()
            .enumerate()
            .map(|(index, id)| (*id, index))
            .collect();
        let active: Vec<bool> = groups
            .iter()
            .map(|group| {
                group
                    .get("isActive")
                    .and_then(Value::as_bool)
                    .unwrap_or(true)
            })
            .collect();

        // User → group edges: manual entries in effect, then dynamic memberships.
        let mut user_parents: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); users.len()];
        for (group, value) in groups.iter().enumerate() {
            for entry in value
                .get("members")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (user, in_effect) = match entry {
                    Value::String(user) => (user.as_str(), true),
                    Value::Object(fields) => {
                        let user = fields.get("user").and_then(Value::as_str).unwrap_or("");
                        (user, window_in_effect(fields, as_of))
                    }
                    _ => continue,
                };
                if let (true, Some(user)) = (in_effect, user_index.get(user)) {
                    user_parents[*user].insert(group);
                }
            }
        }
        // Dynamic members: one `members` listing (type dynamic) per group with a rule.
        let mut dynamic_edges = 0;
        for (group, value) in groups.iter().enumerate() {
            if value.get("rule").is_none() {
                continue;
            }
            let mut page = 1;
            loop {
                let mut request = String::from("{\"op\":\"members\",\"group\":");
                push_json_str(&mut request, group_ids[group]);
                let _ = write!(
                    request,
                    ",\"type\":\"dynamic\",\"page\":{page},\"pageSize\":1000}}"
                );
                let answer: Value = serde_json::from_str(&engine.answer_json(&request))
                    .map_err(|error| format!("members: {error}"))?;
                if let Some(error) = answer.get("error") {
                    return Err(format!("groupgate members {}: {error}", group_ids[group]));
                }
                let listed = answer
                    .get("members")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for member in &listed {
                    let user = member.get("user").and_then(Value::as_str).unwrap_or("");
                    if let Some(user) = user_index.get(user) {
                        if user_parents[*user].insert(group) {
                            dynamic_edges += 1;
                        }
                    }
                }
                if listed.len() < 1000 {
                    break;
                }
                page += 1;
            }
        }

        // Group → group edges: an active group's parents are the groups that include it.
        let mut group_parents: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); groups.len()];
        for (group, value) in groups.iter().enumerate() {
            for included in value
                .get("includeGroups")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(source) = included.as_str().and_then(|id| group_index.get(id)) else {
                    continue;
                };
                if active[*source] && *source != group {
                    group_parents[*source].insert(group);
                }
            }
        }
        let (group_parents, cycles, expand) = flatten_cycles(&group_parents);
        for parents in &mut user_parents {
            *parents = parents.iter().flat_map(|parent| expand(*parent)).collect();
        }

        // Product → the active groups that carry it.
        let mut product_groups: HashMap<&str, BTreeSet<usize>> = HashMap::new();
        for (group, value) in groups.iter().enumerate() {
            if !active[group] {
                continue;
            }
            for product in value
                .get("products")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(product) = product.as_str() {
                    product_groups.entry(product).or_default().insert(group);
                }
            }
        }

        let mut out = String::with_capacity(snapshot.len() / 2);
        out.push('[');
        out.push_str(r#"{"uid":{"type":"Action","id":"use"},"attrs":{},"parents":[]}"#);
        for (index, user) in users.iter().enumerate() {
            let id = user.get("id").and_then(Value::as_str).unwrap_or("");
            // An unknown orgRole counts as `member` (SPEC §1.1).
            let role = user
                .get("orgRole")
                .and_then(Value::as_str)
                .filter(|role| matches!(*role, "owner" | "admin"))
                .unwrap_or("member");
            out.push_str(r#",{"uid":{"type":"User","id":"#);
            push_json_str(&mut out, id);
            let _ = write!(out, r#"}},"attrs":{{"orgRole":"{role}"}},"parents":["#);
            write_groups(&mut out, &user_parents[index], &group_ids, false);
            out.push_str("]}");
        }
        for (index, id) in group_ids.iter().enumerate() {
            out.push_str(r#",{"uid":{"type":"Group","id":"#);
            push_json_str(&mut out, id);
            out.push_str(r#"},"attrs":{},"parents":["#);
            write_groups(&mut out, &group_parents[index], &group_ids, false);
            out.push_str("]}");
        }
        for product in &products {
            let id = product.get("id").and_then(Value::as_str).unwrap_or("");
            out.push_str(r#",{"uid":{"type":"Product","id":"#);
            push_json_str(&mut out, id);
            out.push_str(r#"},"attrs":{"groups":["#);
            if let Some(carriers) = product_groups.get(id) {
                write_groups(&mut out, carriers, &group_ids, true);
            }
            out.push_str(r#"]},"parents":[]}"#);
        }
        out.push(']');
        Ok(Input {
            entities_json: out,
            entity_count: 1 + users.len() + groups.len() + products.len(),
            dynamic_edges,
            cycles,
        })
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

/// Whether a member entry's `startsAt <= asOf < expiresAt` holds (SPEC §3.1); an entry with
/// a bound but no `asOf`, or with an unreadable bound, is not in effect.
fn window_in_effect(fields: &serde_json::Map<String, Value>, as_of: Option<i128>) -> bool {
    let bound = |key: &str| {
        fields
            .get(key)
            .map(|value| value.as_str().and_then(instant))
    };
    match (bound("startsAt"), bound("expiresAt")) {
        (None, None) => true,
        (starts, expires) => {
            let Some(now) = as_of else { return false };
            let starts_ok = match starts {
                None => true,
                Some(Some(starts)) => starts <= now,
                Some(None) => false,
            };
            let expires_ok = match expires {
                None => true,
                Some(Some(expires)) => now < expires,
                Some(None) => false,
            };
            starts_ok && expires_ok
        }
    }
}

/// An RFC 3339 timestamp as nanoseconds since 1970 (`YYYY-MM-DDTHH:MM:SS[.f](Z|±HH:MM)`).
fn instant(text: &str) -> Option<i128> {
    let bytes = text.as_bytes();
    let number = |from: usize, len: usize| -> Option<i128> {
        let digits = text.get(from..from + len)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let (year, month, day) = (number(0, 4)?, number(5, 2)?, number(8, 2)?);
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    if !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (hour, minute, second) = (number(11, 2)?, number(14, 2)?, number(17, 2)?);
    let mut position = 19;
    let mut nanos: i128 = 0;
    if bytes.get(position) == Some(&b'.') {
        position += 1;
        let mut scale = 100_000_000;
        while let Some(digit) = bytes.get(position).filter(|b| b.is_ascii_digit()) {
            nanos += i128::from(digit - b'0') * scale;
            scale /= 10;
            position += 1;
        }
    }
    let offset = match bytes.get(position) {
        Some(b'Z' | b'z') if position + 1 == bytes.len() => 0,
        Some(sign @ (b'+' | b'-')) if position + 6 == bytes.len() => {
            let minutes = number(position + 1, 2)? * 60 + number(position + 4, 2)?;
            if *sign == b'+' {
                minutes
            } else {
                -minutes
            }
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset * 60;
    Some(seconds * 1_000_000_000 + nanos)
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
    fn instants_honour_offsets() {
        assert_eq!(instant("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(instant("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(
            instant("2025-05-31T23:00:00-02:00"),
            instant("2025-06-01T01:00:00Z")
        );
        assert!(instant("2025-06-01").is_none());
    }

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
