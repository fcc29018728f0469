//! Shared by the wasmtime tests: the plain module, compiled once per test binary.

use std::sync::OnceLock;

use groupgate_host::wasm::{locate_module, Guest, WasmModule};

/// The plain module, compiled once; panics with how to build it when it is missing.
pub fn module() -> &'static WasmModule {
    static MODULE: OnceLock<WasmModule> = OnceLock::new();
    MODULE.get_or_init(|| {
        let path = locate_module().unwrap_or_else(|message| panic!("{message}"));
        WasmModule::from_file(&path).unwrap_or_else(|message| panic!("{message}"))
    })
}

/// A fresh instance of the plain module.
#[allow(dead_code, reason = "not every test binary uses every helper")]
pub fn guest() -> Guest {
    module()
        .instantiate()
        .unwrap_or_else(|message| panic!("{message}"))
}
