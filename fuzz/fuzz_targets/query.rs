//! Arbitrary request text against a fixed tenant (SPEC §7, §8).
//!
//! Input: one selector byte (which of the fixed tenants of `groupgate_fuzz::TENANT_FILES`),
//! then the request text. The answer must have the shape of SPEC §7, and the engine must
//! stay usable: a fixed set of probe requests (`check`, `members`, `userAccess`, `homepage`,
//! `explain`, `whoCanAccess`, `diagnostics`) answers exactly as on a fresh engine — unless
//! the request succeeded with the answer shape of `apply`, which may change the state (then
//! the probes must still answer well-formed).

#![no_main]

use groupgate_fuzz::{ask, tenant_for, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, request)) = data.split_first() else {
        return;
    };
    let tenant = tenant_for(selector);
    let request = text(request);
    let mut engine = tenant.engine(false);
    let (_, answer) = ask(&mut engine, &request);

    let may_change = !answer.contains_key("error")
        && answer.len() == 2
        && answer.contains_key("diagnostics")
        && answer.contains_key("revision");
    if may_change {
        tenant.probe(&mut engine);
    } else {
        tenant.assert_unchanged_quick(&mut engine, &tenant.baseline, "the request");
    }
});
