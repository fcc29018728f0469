//! The WebAssembly backend: the plain-ABI module (`--features abi`) hosted by wasmtime.
//!
//! [`WasmModule`] compiles the module once; [`Guest`] is one instance of it with typed
//! wrappers over the `gg_*` exports (alloc, write, call, read, free); [`WasmBackend`] puts a
//! guest behind [`Backend`] so the command and the vector runner can use it like the native core.
//! A trap is never an answer: every guest call returns `Err` with the trap's text instead.

use std::path::{Path, PathBuf};

use groupgate::{error_answer_json, Error, ErrorCode};
use groupgate_vectors::Backend;
use wasmtime::{Config, Engine, Instance, Memory, Module, ResourceLimiter, Store, TypedFunc};

/// The environment variable that names the module to load.
pub const MODULE_ENV: &str = "GROUPGATE_WASM";

/// Where the plain module is: `$GROUPGATE_WASM`, else `abi/groupgate.wasm` under the cargo
/// target directory (`$CARGO_TARGET_DIR`, else the workspace's `target`).
///
/// # Errors
///
/// Says which file is missing and how to build it.
pub fn locate_module() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(MODULE_ENV) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{MODULE_ENV} names `{}`, which is not a file",
                path.display()
            ))
        };
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("abi").join("groupgate.wasm");
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "the WebAssembly module is not built: `{}` is missing; run `make wasm-abi` or set {MODULE_ENV}",
            path.display()
        ))
    }
}

/// A compiled plain-ABI module, ready to instantiate.
#[derive(Clone)]
pub struct WasmModule {
    engine: Engine,
    module: Module,
}

impl WasmModule {
    /// Compiles the module at `path`.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or is not a valid module.
    pub fn from_file(path: &Path) -> Result<WasmModule, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        WasmModule::from_bytes(&bytes)
    }

    /// Compiles a module from its bytes.
    ///
    /// # Errors
    ///
    /// When the bytes are not a valid module.
    pub fn from_bytes(bytes: &[u8]) -> Result<WasmModule, String> {
        let engine = Engine::new(&Config::new()).map_err(|e| format!("wasmtime: {e}"))?;
        let module = Module::new(&engine, bytes).map_err(|e| format!("invalid module: {e}"))?;
        Ok(WasmModule { engine, module })
    }

    /// The module's imports as `module.name`.
    pub fn imports(&self) -> Vec<String> {
        self.module
            .imports()
            .map(|import| format!("{}.{}", import.module(), import.name()))
            .collect()
    }

    /// The names of the module's exports, in the module's order.
    pub fn exports(&self) -> Vec<String> {
        self.module
            .exports()
            .map(|export| export.name().to_owned())
            .collect()
    }

    /// A fresh instance.
    ///
    /// # Errors
    ///
    /// When the module needs imports or lacks an export of the ABI.
    pub fn instantiate(&self) -> Result<Guest, String> {
        let mut store = Store::new(&self.engine, Limits::default());
        store.limiter(|limits| limits);
        let instance = Instance::new(&mut store, &self.module, &[])
            .map_err(|e| format!("cannot instantiate: {e}"))?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or("the module exports no `memory`")?;
        macro_rules! export {
            ($name:literal) => {
                instance
                    .get_typed_func(&mut store, $name)
                    .map_err(|e| format!("export `{}`: {e}", $name))?
            };
        }
        Ok(Guest {
            abi_version: export!("gg_abi_version"),
            alloc: export!("gg_alloc"),
            free: export!("gg_free"),
            engine_new: export!("gg_engine_new"),
            last_answer: export!("gg_last_answer"),
            query: export!("gg_query"),
            check: export!("gg_check"),
            engine_free: export!("gg_engine_free"),
            engine_export: export!("gg_engine_export"),
            engine_from_compiled: export!("gg_engine_from_compiled"),
            memory,
            store,
        })
    }
}

/// How far the instance's memory may grow: as far as the module allows, unless a test caps
/// it to play a host whose memory is full.
#[derive(Debug, Default)]
pub struct Limits {
    max_memory: Option<usize>,
}

impl ResourceLimiter for Limits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(
            self.max_memory.is_none_or(|max| desired <= max)
                && maximum.is_none_or(|m| desired <= m),
        )
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

/// One instance of the module, with typed calls.
///
/// The `*_raw` methods pass their arguments through untouched, so tests can play a careless host.
pub struct Guest {
    store: Store<Limits>,
    memory: Memory,
    abi_version: TypedFunc<(), u32>,
    alloc: TypedFunc<u32, u32>,
    free: TypedFunc<(u32, u32), i32>,
    engine_new: TypedFunc<(u32, u32, u32), u32>,
    last_answer: TypedFunc<(), u64>,
    query: TypedFunc<(u32, u32, u32), u64>,
    check: TypedFunc<(u32, u32, u32, u32, u32), i32>,
    engine_free: TypedFunc<u32, i32>,
    engine_export: TypedFunc<u32, u64>,
    engine_from_compiled: TypedFunc<(u32, u32), u32>,
}

fn trap(call: &str, error: impl std::fmt::Display) -> String {
    format!("`{call}` trapped: {error}")
}

impl Guest {
    /// `gg_abi_version`.
    ///
    /// # Errors
    ///
    /// On a trap, as for every call below.
    pub fn abi_version(&mut self) -> Result<u32, String> {
        self.abi_version
            .call(&mut self.store, ())
            .map_err(|e| trap("gg_abi_version", e))
    }

    /// Caps the instance's memory at `bytes` (`None`: no cap): past it, `memory.grow` fails.
    pub fn limit_memory(&mut self, bytes: Option<usize>) {
        self.store.data_mut().max_memory = bytes;
    }

    /// The size of the instance's memory in bytes.
    pub fn memory_size(&self) -> usize {
        self.memory.data_size(&self.store)
    }

    /// Copies `bytes` into a new guest buffer: `(ptr, len)`.
    ///
    /// # Errors
    ///
    /// On a trap, or when the guest is out of memory.
    pub fn put(&mut self, bytes: &[u8]) -> Result<(u32, u32), String> {
        let len = u32::try_from(bytes.len()).map_err(|_| "input over 4 GiB".to_owned())?;
        let ptr = self.alloc_raw(len)?;
        if ptr == 0 {
            return Err(format!("the guest cannot allocate {len} bytes"));
        }
        self.memory
            .write(&mut self.store, ptr as usize, bytes)
            .map_err(|e| format!("`gg_alloc` gave a buffer outside memory: {e}"))?;
        Ok((ptr, len))
    }

    /// Reads and frees an answer buffer (`ptr << 32 | len`).
    ///
    /// # Errors
    ///
    /// On a trap, a `0` answer (out of memory), a buffer outside memory, or text not UTF-8.
    pub fn take(&mut self, packed: u64) -> Result<String, String> {
        if packed == 0 {
            return Err("the guest could not allocate its answer".to_owned());
        }
        let (ptr, len) = unpack(packed);
        let mut bytes = vec![0; len as usize];
        self.memory
            .read(&self.store, ptr as usize, &mut bytes)
            .map_err(|e| format!("answer buffer outside memory: {e}"))?;
        if self.free_raw(ptr, len)? != 0 {
            return Err(format!("`gg_free` refused answer buffer {ptr}+{len}"));
        }
        String::from_utf8(bytes).map_err(|e| format!("answer is not UTF-8: {e}"))
    }

    /// Copies an answer buffer of bytes out of the guest and frees it.
    ///
    /// # Errors
    ///
    /// On a trap, a `0` answer (the guest is out of memory) or a buffer out of bounds.
    pub fn take_bytes(&mut self, packed: u64) -> Result<Vec<u8>, String> {
        if packed == 0 {
            return Err("the guest could not allocate the answer".to_owned());
        }
        let (ptr, len) = unpack(packed);
        let data = self.memory.data(&self.store);
        let bytes = data
            .get(ptr as usize..ptr as usize + len as usize)
            .ok_or("answer buffer out of bounds")?
            .to_vec();
        self.free_raw(ptr, len)?;
        Ok(bytes)
    }

    /// The engine `handle` as compiled-snapshot bytes.
    ///
    /// # Errors
    ///
    /// On a trap, an unknown handle or a guest out of memory.
    pub fn export(&mut self, handle: u32) -> Result<Vec<u8>, String> {
        let packed = self
            .engine_export
            .call(&mut self.store, handle)
            .map_err(|e| trap("gg_engine_export", e))?;
        self.take_bytes(packed)
    }

    /// Restores an engine from compiled bytes: the handle (`0` when refused) and the answer.
    ///
    /// # Errors
    ///
    /// On a trap or a guest out of memory.
    pub fn load_compiled(&mut self, bytes: &[u8]) -> Result<(u32, String), String> {
        let (ptr, len) = self.put(bytes)?;
        let handle = self
            .engine_from_compiled
            .call(&mut self.store, (ptr, len))
            .map_err(|e| trap("gg_engine_from_compiled", e));
        self.free_raw(ptr, len)?;
        let handle = handle?;
        let packed = self.last_answer_raw()?;
        Ok((handle, self.take(packed)?))
    }

    /// Loads a snapshot: the engine handle (`0` when loading failed) and the load answer.
    ///
    /// # Errors
    ///
    /// On a trap or a guest out of memory.
    pub fn load(&mut self, snapshot: &str, strict: bool) -> Result<(u32, String), String> {
        let (ptr, len) = self.put(snapshot.as_bytes())?;
        let handle = self.engine_new_raw(ptr, len, u32::from(strict));
        self.free_raw(ptr, len)?;
        let handle = handle?;
        let packed = self.last_answer_raw()?;
        Ok((handle, self.take(packed)?))
    }

    /// Answers one request with engine `handle` (`0` for the requests that need no engine).
    ///
    /// # Errors
    ///
    /// On a trap or a guest out of memory.
    pub fn query(&mut self, handle: u32, request: &str) -> Result<String, String> {
        let (ptr, len) = self.put(request.as_bytes())?;
        let packed = self.query_raw(handle, ptr, len);
        self.free_raw(ptr, len)?;
        self.take(packed?)
    }

    /// The fast access check: the decision code.
    ///
    /// # Errors
    ///
    /// On a trap or a guest out of memory.
    pub fn check(&mut self, handle: u32, user: &str, product: &str) -> Result<i32, String> {
        let (uptr, ulen) = self.put(user.as_bytes())?;
        let (pptr, plen) = self.put(product.as_bytes())?;
        let code = self.check_raw(handle, uptr, ulen, pptr, plen);
        self.free_raw(uptr, ulen)?;
        self.free_raw(pptr, plen)?;
        code
    }

    /// `gg_alloc(len)`.
    ///
    /// # Errors
    ///
    /// On a trap.
    pub fn alloc_raw(&mut self, len: u32) -> Result<u32, String> {
        self.alloc
            .call(&mut self.store, len)
            .map_err(|e| trap("gg_alloc", e))
    }

    /// `gg_free(ptr, len)`.
    ///
    /// # Errors
    ///
    /// On a trap.
    pub fn free_raw(&mut self, ptr: u32, len: u32) -> Result<i32, String> {
        self.free
            .call(&mut self.store, (ptr, len))
            .map_err(|e| trap("gg_free", e))
    }

    /// `gg_engine_new(ptr, len, flags)`.
    ///
    /// # Errors
    ///
    /// On a trap.
    pub fn engine_new_raw(&mut self, ptr: u32, len: u32, flags: u32) -> Result<u32, String> {
        self.engine_new
            .call(&mut self.store, (ptr, len, flags))
            .map_err(|e| trap("gg_engine_new", e))
    }

    /// `gg_last_answer()`.
    ///
    /// # Errors
    ///
    /// On a trap.
    pub fn last_answer_raw(&mut self) -> Result<u64, String> {
        self.last_answer
            .call(&mut self.store, ())
            .map_err(|e| trap("gg_last_answer", e))
    }

    /// `gg_query(handle, ptr, len)`.
    ///
    /// # Errors
    ///
    /// On a trap.
    pub fn query_raw(&mut self, handle: u32, ptr: u32, len: u32) -> Result<u64, String> {
        self.query
            .call(&mut self.store, (handle, ptr, len))
            .map_err(|e| trap("gg_query", e))
    }

    /// `gg_check(handle, uptr, ulen, pptr, plen)`.
    ///
    /// # Errors
    ///
    /// On a trap.
    pub fn check_raw(
        &mut self,
        handle: u32,
        uptr: u32,
        ulen: u32,
        pptr: u32,
        plen: u32,
    ) -> Result<i32, String> {
        self.check
            .call(&mut self.store, (handle, uptr, ulen, pptr, plen))
            .map_err(|e| trap("gg_check", e))
    }

    /// `gg_engine_free(handle)`.
    ///
    /// # Errors
    ///
    /// On a trap.
    pub fn engine_free_raw(&mut self, handle: u32) -> Result<i32, String> {
        self.engine_free
            .call(&mut self.store, handle)
            .map_err(|e| trap("gg_engine_free", e))
    }
}

/// Splits an answer word into `(ptr, len)`.
pub fn unpack(packed: u64) -> (u32, u32) {
    ((packed >> 32) as u32, packed as u32)
}

/// The module in wasmtime behind [`Backend`]: one instance, one engine at a time.
///
/// A trap comes back as text that is not JSON (`trap: …`), which any caller comparing answers
/// reports as a failure.
pub struct WasmBackend {
    guest: Guest,
    handle: u32,
}

impl WasmBackend {
    /// Loads the module found by [`locate_module`].
    ///
    /// # Errors
    ///
    /// When the module is missing or invalid.
    pub fn new() -> Result<WasmBackend, String> {
        WasmBackend::from_file(&locate_module()?)
    }

    /// Loads the module at `path`.
    ///
    /// # Errors
    ///
    /// When the module is missing or invalid.
    pub fn from_file(path: &Path) -> Result<WasmBackend, String> {
        WasmBackend::from_module(&WasmModule::from_file(path)?)
    }

    /// A backend on a fresh instance of `module`.
    ///
    /// # Errors
    ///
    /// When the module does not instantiate.
    pub fn from_module(module: &WasmModule) -> Result<WasmBackend, String> {
        let mut guest = module.instantiate()?;
        // A host with a memory budget: the module's memory may not grow past it.
        if let Some(bytes) = std::env::var("GROUPGATE_WASM_MEMORY_LIMIT")
            .ok()
            .and_then(|b| b.parse::<usize>().ok())
        {
            guest.limit_memory(Some(bytes));
        }
        Ok(WasmBackend { guest, handle: 0 })
    }

    /// The guest, for calls beyond [`Backend`].
    pub fn guest(&mut self) -> &mut Guest {
        &mut self.guest
    }

    /// The handle of the loaded engine, `0` when none is loaded.
    pub fn handle(&self) -> u32 {
        self.handle
    }
}

impl Backend for WasmBackend {
    fn load(&mut self, snapshot: &str, strict: bool) -> String {
        if self.handle != 0 {
            // A stale handle is harmless; the guest refuses it if it is already gone.
            let _ = self.guest.engine_free_raw(self.handle);
            self.handle = 0;
        }
        match self.guest.load(snapshot, strict) {
            Ok((handle, answer)) => {
                self.handle = handle;
                answer
            }
            Err(message) => format!("trap: {message}"),
        }
    }

    fn load_compiled(&mut self, bytes: &[u8]) -> String {
        if self.handle != 0 {
            let _ = self.guest.engine_free_raw(self.handle);
            self.handle = 0;
        }
        match self.guest.load_compiled(bytes) {
            Ok((handle, answer)) => {
                self.handle = handle;
                answer
            }
            Err(message) => format!("trap: {message}"),
        }
    }

    fn export(&mut self) -> Result<Vec<u8>, String> {
        if self.handle == 0 {
            return Err("no snapshot is loaded".to_owned());
        }
        self.guest.export(self.handle)
    }

    fn query(&mut self, request: &str) -> String {
        if self.handle == 0 {
            let error = Error::host(ErrorCode::InvalidSnapshot, "no snapshot is loaded");
            return error_answer_json(&error, None);
        }
        self.guest
            .query(self.handle, request)
            .unwrap_or_else(|message| format!("trap: {message}"))
    }
}
