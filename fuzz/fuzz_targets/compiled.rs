//! Compiled-snapshot bytes (SPEC §7.5) through `Engine::from_compiled`.
//!
//! Two input modes, picked by the first byte. Below 128: a tenant (the byte picks it) is
//! compiled, the rest of the input is read as edits to the compiled body (pairs of a position
//! and a byte, positions wrapping around the body; a final odd byte truncates the body to a
//! length it picks), and the header is sealed again with the edited body's length and CRC-32,
//! so that the decoder past the checksum is what gets exercised. 128 and above: the rest of the
//! input is handed over as is.
//! Asserted:
//! - bytes are either refused with `invalid-snapshot`, or restore an engine;
//! - a restored engine answers every probe of its tenant with a well-formed answer, and its
//!   own export restores again to an engine that answers the probes the same way;
//! - unedited bytes restore an engine that answers exactly as the engine that saved them.

#![no_main]

use groupgate::{Engine, ErrorCode};
use groupgate_fuzz::{ask, tenant_for};
use libfuzzer_sys::fuzz_target;

/// Magic, format version, body length, CRC-32 of the body.
const HEADER: usize = 4 + 4 + 8 + 4;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode >= 128 {
        restore(rest, None);
        return;
    }
    let tenant = tenant_for(mode);
    let bytes = tenant.engine(mode % 2 == 1 && tenant.loads_strict).to_compiled();
    let Some(body) = bytes.get(HEADER..) else {
        panic!("compiled bytes shorter than their header");
    };
    let original = body;
    let mut body = body.to_vec();
    let mut edits = rest.chunks_exact(3);
    for edit in &mut edits {
        if body.is_empty() {
            break;
        }
        let at = usize::from(u16::from_le_bytes([edit[0], edit[1]])) % body.len();
        body[at] = edit[2];
    }
    if let [cut] = edits.remainder() {
        let keep = body.len() * usize::from(*cut) / 256;
        body.truncate(keep);
    }
    let mut sealed = Vec::with_capacity(HEADER + body.len());
    sealed.extend_from_slice(&bytes[..8]);
    sealed.extend_from_slice(&(body.len() as u64).to_le_bytes());
    sealed.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    sealed.extend_from_slice(&body);
    let unedited = body == original;
    restore(&sealed, Some((tenant, unedited)));
});

fn restore(bytes: &[u8], tenant: Option<(&groupgate_fuzz::Tenant, bool)>) {
    let mut engine = match Engine::from_compiled(bytes) {
        Ok(engine) => engine,
        Err(error) => {
            assert_eq!(
                error.code(),
                ErrorCode::InvalidSnapshot,
                "refused bytes must be invalid-snapshot: {error:?}"
            );
            if let Some((tenant, true)) = tenant {
                panic!("the unedited bytes of {} are refused: {error:?}", tenant.name);
            }
            return;
        }
    };
    let Some((tenant, unedited)) = tenant else {
        ask(&mut engine, r#"{"op":"diagnostics"}"#);
        return;
    };
    let answers = tenant.probe(&mut engine);
    if unedited {
        assert!(
            answers == tenant.baseline,
            "{}: a restored engine answers differently from the one that saved it",
            tenant.name
        );
    }
    let again = engine.to_compiled();
    let mut restored = match Engine::from_compiled(&again) {
        Ok(engine) => engine,
        Err(error) => panic!("an engine's own export is refused: {error:?}"),
    };
    assert!(
        tenant.probe(&mut restored) == answers,
        "{}: the export of a restored engine answers differently",
        tenant.name
    );
}
