//! Writes the benchmark inputs of one tenant as JSON, for benches in other languages:
//! `plan SIZE SEED` prints `{"checks":[[user,product]…],"accessUsers":[…],"previewRules":
//! [{"name","rule"}…],"members":request,"applyAddMember":request,"applySetRule":request,
//! "impact":request}`.

use std::io::Write as _;

use groupgate_workload::{preview_rules, push_json_str, Size, Tenant, ACCESS_USERS, CHECKS};

fn main() {
    let mut args = std::env::args().skip(1);
    let size = args.next().unwrap_or_else(|| "small".to_string());
    let seed = args.next().and_then(|seed| seed.parse().ok()).unwrap_or(1);
    let size = match Size::by_name(&size) {
        Ok(size) => size,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let tenant = Tenant::build(size, seed);
    let mut out = String::from("{\"checks\":[");
    for (index, (user, product)) in tenant.check_sequence(seed, CHECKS).iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push('[');
        push_json_str(&mut out, user);
        out.push(',');
        push_json_str(&mut out, product);
        out.push(']');
    }
    out.push_str("],\"accessUsers\":[");
    for (index, user) in tenant.access_users(seed, ACCESS_USERS).iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        push_json_str(&mut out, user);
    }
    out.push_str("],\"previewRules\":[");
    for (index, (name, rule)) in preview_rules().iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        push_json_str(&mut out, name);
        out.push_str(",\"rule\":");
        out.push_str(rule);
        out.push('}');
    }
    out.push(']');
    for (key, request) in [
        ("members", tenant.members_request()),
        ("applyAddMember", tenant.apply_add_member_request()),
        ("applySetRule", tenant.apply_set_rule_request(0)),
        ("impact", tenant.impact_request()),
    ] {
        out.push_str(",\"");
        out.push_str(key);
        out.push_str("\":");
        out.push_str(&request);
    }
    out.push_str("}\n");
    let _ = std::io::stdout().write_all(out.as_bytes());
}
