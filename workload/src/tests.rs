//! Determinism, shape and validity of the generated tenants.

use super::*;
use serde_json::Value;

fn parsed(size: &str, seed: u64) -> Value {
    let text = generate(size, seed).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn count(value: &Value, key: &str) -> usize {
    value.get(key).and_then(Value::as_array).map_or(0, Vec::len)
}

#[test]
fn same_seed_gives_same_bytes() {
    assert_eq!(generate("small", 7), generate("small", 7));
    assert_eq!(generate("medium", 1), generate("medium", 1));
    assert_ne!(generate("small", 7), generate("small", 8));
}

#[test]
fn unknown_size_is_an_error() {
    assert!(generate("enormous", 1).is_err());
}

#[test]
fn sizes_match_the_table() {
    for name in ["small", "medium"] {
        let size = Size::by_name(name).unwrap_or(SIZES[0]);
        let snapshot = parsed(name, 42);
        assert_eq!(count(&snapshot, "users"), size.users, "{name} users");
        assert_eq!(count(&snapshot, "groups"), size.groups, "{name} groups");
        assert_eq!(count(&snapshot, "roles"), size.roles, "{name} roles");
        assert_eq!(
            count(&snapshot, "products"),
            size.products,
            "{name} products"
        );
        assert_eq!(count(&snapshot, "modules"), size.modules, "{name} modules");
    }
}

#[test]
fn shape_follows_the_workload() {
    let tenant = Tenant::build(Size::by_name("medium").unwrap_or(SIZES[1]), 3);
    let users = tenant.users.len();
    // Manager tree: every user but the first has an earlier manager, depth at most 12.
    assert!(tenant.users[0].manager.is_none());
    for (index, user) in tenant.users.iter().enumerate().skip(1) {
        let manager = user.manager.map_or(usize::MAX, |manager| manager as usize);
        assert!(manager < index);
        assert!(user.depth <= MAX_MANAGER_DEPTH);
        assert!(user.roles.len() <= 2);
    }
    let privileged = tenant
        .users
        .iter()
        .filter(|user| user.org_role != OrgRole::Member)
        .count();
    assert!(
        (users / 100..users * 3 / 100).contains(&privileged),
        "{privileged} admins"
    );

    // Each user is in 1–5 manual groups.
    let mut per_user = vec![0usize; users];
    for group in &tenant.groups {
        if matches!(group.kind, GroupKind::Manual) {
            for (user, _) in &group.members {
                per_user[*user as usize] += 1;
            }
        } else {
            assert!(group.members.is_empty());
        }
    }
    assert!(per_user.iter().all(|groups| (1..=5).contains(groups)));

    let dynamic = tenant
        .groups
        .iter()
        .filter(|group| matches!(group.kind, GroupKind::Dynamic(_)));
    for group in dynamic {
        if let GroupKind::Dynamic(rule) = &group.kind {
            let conditions = rule.all.len() + rule.any.len();
            assert!((2..=4).contains(&conditions));
            assert_eq!(rule.any.len(), 2);
        }
    }
    let composites: Vec<&Group> = tenant
        .groups
        .iter()
        .filter(|group| matches!(group.kind, GroupKind::Composite))
        .collect();
    assert_eq!(composites.len(), tenant.groups.len() / 10);
    assert!(composites
        .iter()
        .all(|group| group.depth <= MAX_INCLUDE_DEPTH));
    assert!(composites.iter().all(|group| group.includes.len() >= 2));
    assert!(composites
        .iter()
        .any(|group| group.depth == MAX_INCLUDE_DEPTH));
    let inactive = tenant.groups.iter().filter(|group| !group.active).count();
    assert!(inactive > 0 && inactive < tenant.groups.len() / 20);

    // The deliberate cycle: each group of the pair reaches the other.
    let (first, back) = tenant.cycle;
    assert_ne!(first, back);
    assert!(tenant.groups[first as usize].includes.contains(&back));
    assert!(tenant.includers(first as usize).contains(&(back as usize)));
}

#[test]
fn snapshot_is_valid_json_with_rules_in_both_forms() {
    let snapshot = parsed("small", 9);
    let groups = snapshot
        .get("groups")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let text_rules = groups
        .iter()
        .filter(|group| group.get("rule").is_some_and(Value::is_string));
    let ast_rules = groups
        .iter()
        .filter(|group| group.get("rule").is_some_and(Value::is_object));
    assert!(text_rules.count() > 0);
    assert!(ast_rules.count() > 0);
    assert_eq!(snapshot.get("asOf").and_then(Value::as_str), Some(AS_OF));
}

#[test]
fn helper_requests_are_valid_json() {
    let tenant = Tenant::build(SIZES[0], 1);
    let mut requests = vec![
        tenant.members_request(),
        tenant.apply_add_member_request(),
        tenant.apply_set_rule_request(0),
        tenant.impact_request(),
        check_request("u1", "p\"2"),
        user_access_request("u1"),
    ];
    requests.extend(
        preview_rules()
            .iter()
            .map(|(_, rule)| preview_request(rule)),
    );
    for request in requests {
        assert!(serde_json::from_str::<Value>(&request).is_ok(), "{request}");
    }
    for rule in tenant.groups.iter().filter_map(|group| match &group.kind {
        GroupKind::Dynamic(rule) => Some(rule),
        _ => None,
    }) {
        assert!(serde_json::from_str::<Value>(&rule.json_value()).is_ok());
    }
}

#[test]
fn sequences_are_fixed_and_sized() {
    let tenant = Tenant::build(SIZES[0], 1);
    let checks = tenant.check_sequence(1, CHECKS);
    assert_eq!(checks.len(), CHECKS);
    assert_eq!(checks, tenant.check_sequence(1, CHECKS));
    // A reader of the snapshot draws the same pairs from its lists, which follow index order;
    // a prefix of the sequence is the shorter sequence.
    let snapshot = parsed("small", 1);
    let id = |key: &str, index: usize| {
        snapshot[key][index]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let drawn: Vec<(String, String)> = check_indices(
        1,
        count(&snapshot, "users"),
        count(&snapshot, "products"),
        1000,
    )
    .into_iter()
    .map(|(user, product)| (id("users", user), id("products", product)))
    .collect();
    assert_eq!(drawn[..], checks[..1000]);
    assert_eq!(tenant.access_users(1, ACCESS_USERS).len(), ACCESS_USERS);
    let largest = tenant.largest_group();
    assert!(tenant.groups.iter().all(|group| group.members.len()
        <= tenant.groups[largest].members.len()
        || !matches!(group.kind, GroupKind::Manual)));
    let target = tenant.composite_reachable_group();
    assert!(matches!(tenant.groups[target].kind, GroupKind::Manual));
    assert!(!tenant.includers(target).is_empty());
    let dynamic = tenant.included_dynamic_group();
    assert!(matches!(tenant.groups[dynamic].kind, GroupKind::Dynamic(_)));
}
