//! The tenant as the peers are given it: each user's groups in effect, each group's includers,
//! each product's carrying groups, each user's org role, resolved from a groupgate snapshot.
//!
//! Manual members, includes, activity and products are read from the snapshot itself.
//! The peers cannot evaluate groupgate's membership rules, so dynamic members come from
//! groupgate's `members` listings of type `dynamic`, and reach a peer as plain memberships.
//! Each peer's module writes this in its own input format (`cedar.rs`, `rego.rs`); nothing
//! here is timed.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use groupgate_workload::push_json_str;
use serde_json::Value;

/// One user: its id, its org role as the access rule reads it, and its groups.
pub struct User {
    pub id: String,
    /// `owner`, `admin` or `member` (an unknown role counts as `member`, SPEC §1.1).
    pub role: &'static str,
    /// The groups it is a member of itself: manual entries in effect at `asOf`, and dynamic
    /// memberships (positions in [`Membership::groups`]).
    pub groups: BTreeSet<usize>,
}

/// One product: its id and the active groups that carry it.
pub struct Product {
    pub id: String,
    pub groups: BTreeSet<usize>,
}

/// The resolved membership of a tenant, in snapshot order.
pub struct Membership {
    pub users: Vec<User>,
    /// Group ids.
    pub groups: Vec<String>,
    /// For each group, the groups that include it, when it is active (an inactive group
    /// feeds no members). May hold cycles.
    pub includers: Vec<BTreeSet<usize>>,
    pub products: Vec<Product>,
    /// How many user → group memberships came from groupgate's dynamic listings.
    pub dynamic_edges: usize,
}

impl Membership {
    /// Resolves the snapshot text; `engine` is groupgate loaded from the same text, asked for
    /// the dynamic members.
    pub fn from_snapshot(
        snapshot: &str,
        engine: &mut groupgate::Engine,
    ) -> Result<Membership, String> {
        let root: Value =
            serde_json::from_str(snapshot).map_err(|error| format!("snapshot: {error}"))?;
        let list = |key: &str| {
            root.get(key)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
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
        let mut user_groups: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); users.len()];
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
                    user_groups[*user].insert(group);
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
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                for member in listed {
                    let user = member.get("user").and_then(Value::as_str).unwrap_or("");
                    if let Some(user) = user_index.get(user) {
                        if user_groups[*user].insert(group) {
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

        // Group → group edges: an active group's includers.
        let mut includers: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); groups.len()];
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
                    includers[*source].insert(group);
                }
            }
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

        let users = users
            .iter()
            .zip(user_groups)
            .map(|(user, groups)| User {
                id: user
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                role: match user.get("orgRole").and_then(Value::as_str) {
                    Some("owner") => "owner",
                    Some("admin") => "admin",
                    _ => "member",
                },
                groups,
            })
            .collect();
        let products = products
            .iter()
            .map(|product| {
                let id = product.get("id").and_then(Value::as_str).unwrap_or("");
                Product {
                    id: id.to_string(),
                    groups: product_groups.get(id).cloned().unwrap_or_default(),
                }
            })
            .collect();
        Ok(Membership {
            users,
            groups: group_ids.iter().map(|id| (*id).to_string()).collect(),
            includers,
            products,
            dynamic_edges,
        })
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
}
