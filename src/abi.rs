//! The plain WebAssembly ABI: `extern "C"` exports over linear memory, for wasmtime, wazero,
//! edge proxies and any host without JavaScript glue.
//!
//! The module built with `--features abi` imports nothing and exports `memory`, the functions
//! below, and the two globals the linker always adds (`__data_end`, `__heap_base`); no other
//! export is part of the ABI.
//! All integers are `i32`/`i64` on the wasm side; addresses and lengths are unsigned 32-bit.
//!
//! # Exports
//!
//! | export | signature | what it does |
//! | --- | --- | --- |
//! | `gg_abi_version` | `() -> u32` | this ABI's version, `1` |
//! | `gg_alloc` | `(len) -> ptr` | a zeroed buffer of `len` bytes owned by the host until passed to `gg_free`; `0` when out of memory |
//! | `gg_free` | `(ptr, len) -> i32` | frees a buffer from `gg_alloc` or an answer buffer; `0` freed, `-1` not a live buffer of that length (nothing happens) |
//! | `gg_engine_new` | `(ptr, len, flags) -> handle` | loads the snapshot (JSON text) in `ptr..ptr+len`; `0` when loading failed |
//! | `gg_last_answer` | `() -> u64` | the answer of the last `gg_engine_new`: `{"diagnostics":[…],"revision":…}` or the error answer; `0` before any load |
//! | `gg_query` | `(handle, ptr, len) -> u64` | answers the request (JSON text) in `ptr..ptr+len` |
//! | `gg_check` | `(handle, uptr, ulen, pptr, plen) -> i32` | the fast access check of user `uptr..` for product `pptr..` |
//! | `gg_engine_export` | `(handle) -> u64` | the engine as compiled-snapshot bytes (SPEC §7.5), `ptr << 32 \| len`; `0` for an unknown handle or without memory |
//! | `gg_engine_from_compiled` | `(ptr, len) -> handle` | restores an engine from compiled bytes in `ptr..ptr+len`; `0` when they are refused (the error answer is read with `gg_last_answer`) |
//! | `gg_engine_free` | `(handle) -> i32` | drops an engine; `0` dropped, `-1` unknown handle |
//!
//! `flags` bit 0 is `strict` (SPEC §1.1); other bits must be zero.
//!
//! # Buffers and ownership
//!
//! * The host asks for input buffers with `gg_alloc`, writes UTF-8 text into them, passes
//!   `(ptr, len)` to a call, and frees them with `gg_free(ptr, len)` when done.
//!   Input ranges must lie inside one live buffer (any part of it); the module only reads them.
//! * An answer comes back as a `u64`: `ptr << 32 | len`.
//!   The buffer belongs to the host, which reads `len` bytes of UTF-8 JSON at `ptr` and frees it
//!   with `gg_free(ptr, len)`.
//!   `0` means the module could not allocate the answer.
//! * Every live buffer is recorded in a table: `gg_free` of anything else (a stale pointer, a
//!   wrong length, a second free) is refused with `-1` and changes nothing.
//!
//! # Errors
//!
//! No input traps the instance: every failure is an answer.
//!
//! * `gg_query` always answers JSON: the answer object, or
//!   `{"error":{"code","message","path","line","column","expected"},"revision":…}` (SPEC §7).
//!   A handle that names no engine, or an input range outside every live buffer, is
//!   `invalid-request`; text that is not UTF-8 is `invalid-json`; both carry the engine's
//!   `revision` when the handle names one.
//!   Handle `0` names no engine but answers the requests that need none (`parseRule`,
//!   `formatRule`).
//! * `gg_engine_new` returns `0` on failure and the error answer is read with `gg_last_answer`.
//! * `gg_check` returns the decision: `1` allowed through a group, `2` as owner, `3` as admin,
//!   `0` no group carries the product, `-1` unknown user, `-2` unknown product; and for a
//!   careless host `-3` unknown engine handle, `-4` an input range outside every live buffer or
//!   not UTF-8.
//!
//! Handles count up from `1` and are never reused, so a freed handle stays invalid.
//! The module is single-threaded: calls must not overlap.
#![expect(
    unsafe_code,
    reason = "exports need `no_mangle`, and buffers handed to the host are raw allocations"
)]

use std::alloc::{self, GlobalAlloc, Layout, System};
use std::cell::{Cell, UnsafeCell};
use std::collections::BTreeMap;
use std::ptr::NonNull;

use crate::api::{self, Engine, LoadOptions};
use crate::error::{Error, ErrorCode};

/// The version `gg_abi_version` reports; it changes when an export's meaning changes.
const ABI_VERSION: u32 = 1;
/// `gg_engine_new` flag: strict loading.
const FLAG_STRICT: u32 = 1;
/// `gg_check` code: the handle names no engine.
const CHECK_BAD_HANDLE: i32 = -3;
/// `gg_check` code: an input range is outside every live buffer, or not UTF-8.
const CHECK_BAD_INPUT: i32 = -4;

/// One buffer the module allocated and handed to the host.
struct Buffer {
    ptr: NonNull<u8>,
    len: usize,
}

/// The layout of a buffer of `len` bytes: never zero-sized.
fn layout(len: usize) -> Option<Layout> {
    Layout::from_size_align(len.max(1), 1).ok()
}

/// The table of live buffers, keyed by address.
// INVARIANT: every entry is a live allocation of `layout(len)` made by `alloc_zeroed`, keyed by
// its address, and no Rust reference points into it between calls.
struct Buffers(BTreeMap<usize, Buffer>);

impl Buffers {
    /// Allocates a zeroed buffer and records it; its address must fit the ABI's 32 bits.
    fn alloc(&mut self, len: usize) -> Option<u32> {
        let layout = layout(len)?;
        // SAFETY: `layout` has a non-zero size.
        let ptr = NonNull::new(unsafe { alloc::alloc_zeroed(layout) })?;
        let addr = ptr.as_ptr() as usize;
        let Ok(addr32) = u32::try_from(addr) else {
            // SAFETY: `ptr` was just allocated with `layout` and is recorded nowhere.
            unsafe { alloc::dealloc(ptr.as_ptr(), layout) };
            return None;
        };
        self.0.insert(addr, Buffer { ptr, len });
        Some(addr32)
    }

    /// Frees the buffer that starts at `addr` with length `len`, if there is one.
    fn free(&mut self, addr: usize, len: usize) -> bool {
        if self.0.get(&addr).is_none_or(|buffer| buffer.len != len) {
            return false;
        }
        let Some(buffer) = self.0.remove(&addr) else {
            return false;
        };
        if let Some(layout) = layout(buffer.len) {
            // SAFETY: by the table's invariant the buffer was allocated with this layout, and it
            // has just left the table, so it is freed once.
            unsafe { alloc::dealloc(buffer.ptr.as_ptr(), layout) };
        }
        true
    }

    /// The bytes in `addr..addr + len`, when that range lies inside one live buffer.
    fn bytes(&self, addr: usize, len: usize) -> Option<&[u8]> {
        if len == 0 {
            return Some(&[]);
        }
        let (&start, buffer) = self.0.range(..=addr).next_back()?;
        let offset = addr - start;
        if offset.checked_add(len)? > buffer.len {
            return None;
        }
        // SAFETY: `offset..offset + len` lies inside the live, zero-initialised allocation of
        // `buffer` (checked above; table invariant). The host writes it only between calls, and
        // the slice lives no longer than this borrow of the table, inside one call.
        Some(unsafe { std::slice::from_raw_parts(buffer.ptr.as_ptr().add(offset), len) })
    }

    /// The UTF-8 text in `addr..addr + len`.
    ///
    /// # Errors
    ///
    /// `invalid-request` when the range is outside every live buffer, `invalid-json` when the
    /// bytes are not UTF-8.
    fn text(&self, addr: u32, len: u32) -> Result<&str, Error> {
        let bytes = self.bytes(addr as usize, len as usize).ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidRequest,
                format!("range `{addr}+{len}` is not inside a buffer from `gg_alloc`"),
            )
        })?;
        std::str::from_utf8(bytes)
            .map_err(|e| Error::new(ErrorCode::InvalidJson, format!("text is not UTF-8: {e}")))
    }

    /// Copies `text` into a new buffer for the host: `ptr << 32 | len`, or `0` without memory.
    fn hand_over(&mut self, text: &str) -> u64 {
        self.hand_over_bytes(text.as_bytes())
    }

    /// Copies `bytes` into a new buffer for the host: `ptr << 32 | len`, or `0` without memory.
    fn hand_over_bytes(&mut self, bytes: &[u8]) -> u64 {
        let Some(addr) = self.alloc(bytes.len()) else {
            return 0;
        };
        let Some(buffer) = self.0.get(&(addr as usize)) else {
            return 0;
        };
        // SAFETY: the buffer was just allocated with room for `bytes.len()` bytes, and `bytes`
        // lives elsewhere, so the ranges do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buffer.ptr.as_ptr(), bytes.len()) };
        (u64::from(addr) << 32) | bytes.len() as u64
    }
}

/// Everything the exports share.
struct State {
    buffers: Buffers,
    engines: BTreeMap<u32, Engine>,
    next_handle: u32,
    last_answer: Option<String>,
}

thread_local! {
    // INVARIANT: only `with_state` reaches the state, one export at a time (the module is
    // single-threaded and calls do not overlap), so at most one `&mut State` exists. A call that
    // traps never resumes, so the reference it held is gone too: unlike a `RefCell`, whose borrow
    // flag a trap would leave set and so wedge every later export, nothing here outlives a trap.
    static STATE: UnsafeCell<State> = const {
        UnsafeCell::new(State {
            buffers: Buffers(BTreeMap::new()),
            engines: BTreeMap::new(),
            next_handle: 1,
            last_answer: None,
        })
    };
}

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    RESERVE.with(Reserve::refill);
    // SAFETY: by the invariant above, no other reference to the state is alive.
    STATE.with(|state| f(unsafe { &mut *state.get() }))
}

/// Memory kept aside so that a call whose allocation fails can still finish.
///
/// When memory cannot grow, the first allocation that fails gives this block back and is tried
/// again, so the call can finish with an error answer (the answer writer stops at its own
/// failed reservation) instead of aborting, which in WebAssembly is a trap. The block is taken
/// again at the next export.
struct Reserve {
    block: Cell<Option<NonNull<u8>>>,
}

/// How much memory is kept aside.
const RESERVE_BYTES: usize = 1 << 20;

fn reserve_layout() -> Option<Layout> {
    Layout::from_size_align(RESERVE_BYTES, 16).ok()
}

impl Reserve {
    fn refill(&self) {
        if self.block.get().is_none() {
            if let Some(layout) = reserve_layout() {
                // SAFETY: the layout has a non-zero size.
                self.block
                    .set(NonNull::new(unsafe { System.alloc(layout) }));
            }
        }
    }

    /// Gives the block back; true when there was one.
    fn release(&self) -> bool {
        match (self.block.take(), reserve_layout()) {
            (Some(block), Some(layout)) => {
                // SAFETY: the block was allocated by `refill` with this layout and has just been
                // taken out of the cell, so it is freed once.
                unsafe { System.dealloc(block.as_ptr(), layout) };
                true
            }
            _ => false,
        }
    }
}

thread_local! {
    static RESERVE: Reserve = const { Reserve { block: Cell::new(None) } };
}

/// The module's allocator: the system one, which on failure gives back the reserve and tries
/// once more.
struct Allocator;

// SAFETY: every method forwards to `System` with the caller's arguments; the retry only
// happens after memory was given back, and returns `System`'s result as it is.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() && RESERVE.with(Reserve::release) {
            // SAFETY: forwarded as is.
            return unsafe { System.alloc(layout) };
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() && RESERVE.with(Reserve::release) {
            // SAFETY: forwarded as is.
            return unsafe { System.alloc_zeroed(layout) };
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() && RESERVE.with(Reserve::release) {
            // SAFETY: forwarded as is.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Allocator = Allocator;

/// Loads `ptr..ptr + len` with `flags`: the engine and the load answer, or the error answer.
fn load(buffers: &Buffers, ptr: u32, len: u32, flags: u32) -> Result<(Engine, String), String> {
    if flags & !FLAG_STRICT != 0 {
        let error = Error::new(
            ErrorCode::InvalidRequest,
            format!("unknown load flags `{flags}`"),
        );
        return Err(api::error_answer_json(&error, None));
    }
    let text = buffers
        .text(ptr, len)
        .map_err(|error| api::error_answer_json(&error, None))?;
    let strict = flags & FLAG_STRICT != 0;
    match api::load_json(text, LoadOptions { strict }) {
        (Some(engine), answer) => Ok((engine, answer)),
        (None, answer) => Err(answer),
    }
}

// The exports below are `no_mangle` symbols; the `gg_` prefix keeps them apart from anything
// else the module links.

/// This ABI's version.
#[no_mangle]
pub extern "C" fn gg_abi_version() -> u32 {
    ABI_VERSION
}

/// A zeroed buffer of `len` bytes for the host to fill; `0` when out of memory.
#[no_mangle]
pub extern "C" fn gg_alloc(len: u32) -> u32 {
    with_state(|state| state.buffers.alloc(len as usize).unwrap_or(0))
}

/// Frees a buffer from `gg_alloc` or an answer; `-1` (and nothing happens) for anything else.
#[no_mangle]
pub extern "C" fn gg_free(ptr: u32, len: u32) -> i32 {
    if with_state(|state| state.buffers.free(ptr as usize, len as usize)) {
        0
    } else {
        -1
    }
}

/// Keeps a loaded engine under a new handle, or records why not; the handle or `0`.
fn keep(state: &mut State, loaded: Result<(Engine, String), String>) -> u32 {
    match loaded {
        Ok((engine, answer)) => {
            let handle = state.next_handle;
            let Some(next) = handle.checked_add(1) else {
                let error = Error::new(ErrorCode::LimitExceeded, "engine handles are exhausted");
                state.last_answer = Some(api::error_answer_json(&error, None));
                return 0;
            };
            state.next_handle = next;
            state.engines.insert(handle, engine);
            state.last_answer = Some(answer);
            handle
        }
        Err(answer) => {
            state.last_answer = Some(answer);
            0
        }
    }
}

/// Loads a snapshot; returns its handle, or `0` with the error answer in `gg_last_answer`.
#[no_mangle]
pub extern "C" fn gg_engine_new(ptr: u32, len: u32, flags: u32) -> u32 {
    with_state(|state| {
        let loaded = load(&state.buffers, ptr, len, flags);
        keep(state, loaded)
    })
}

/// Restores an engine from compiled bytes; its handle, or `0` with the error answer in
/// `gg_last_answer`.
#[no_mangle]
pub extern "C" fn gg_engine_from_compiled(ptr: u32, len: u32) -> u32 {
    with_state(|state| {
        let loaded = match state.buffers.bytes(ptr as usize, len as usize) {
            None => Err(api::error_answer_json(
                &Error::new(
                    ErrorCode::InvalidRequest,
                    format!("range `{ptr}+{len}` is not inside a buffer from `gg_alloc`"),
                ),
                None,
            )),
            Some(bytes) => match Engine::from_compiled(bytes) {
                Ok(engine) => {
                    let answer = engine.load_answer_json();
                    Ok((engine, answer))
                }
                Err(error) => Err(api::error_answer_json(&error, None)),
            },
        };
        keep(state, loaded)
    })
}

/// The engine as compiled bytes in a new buffer; `0` for an unknown handle or without memory.
#[no_mangle]
pub extern "C" fn gg_engine_export(handle: u32) -> u64 {
    with_state(|state| {
        let State {
            buffers, engines, ..
        } = state;
        match engines.get(&handle) {
            Some(engine) => buffers.hand_over_bytes(&engine.to_compiled()),
            None => 0,
        }
    })
}

/// The answer of the last `gg_engine_new`, as a new buffer; `0` before any load.
#[no_mangle]
pub extern "C" fn gg_last_answer() -> u64 {
    with_state(|state| {
        let State {
            buffers,
            last_answer,
            ..
        } = state;
        last_answer
            .as_deref()
            .map_or(0, |answer| buffers.hand_over(answer))
    })
}

/// Answers a request; the answer buffer belongs to the host.
#[no_mangle]
pub extern "C" fn gg_query(handle: u32, ptr: u32, len: u32) -> u64 {
    with_state(|state| {
        let State {
            buffers, engines, ..
        } = state;
        let text = buffers.text(ptr, len);
        let answer = match (handle, engines.get_mut(&handle)) {
            (0, _) => match text {
                Ok(text) => api::answer_without_engine_json(text),
                Err(error) => api::error_answer_json(&error, None),
            },
            (_, None) => api::error_answer_json(&unknown_handle(handle), None),
            (_, Some(engine)) => match text {
                Ok(text) => engine.query_json(text),
                Err(error) => api::error_answer_json(&error, engine.revision()),
            },
        };
        buffers.hand_over(&answer)
    })
}

fn unknown_handle(handle: u32) -> Error {
    Error::new(
        ErrorCode::InvalidRequest,
        format!("handle `{handle}` names no engine"),
    )
}

/// The fast access check: a `Decision` code, or `-3`/`-4` for a careless host.
#[no_mangle]
pub extern "C" fn gg_check(handle: u32, uptr: u32, ulen: u32, pptr: u32, plen: u32) -> i32 {
    with_state(|state| {
        let Some(engine) = state.engines.get(&handle) else {
            return CHECK_BAD_HANDLE;
        };
        match (
            state.buffers.text(uptr, ulen),
            state.buffers.text(pptr, plen),
        ) {
            (Ok(user), Ok(product)) => engine.decide(user, product) as i32,
            _ => CHECK_BAD_INPUT,
        }
    })
}

/// Drops an engine; `-1` for a handle that names none.
#[no_mangle]
pub extern "C" fn gg_engine_free(handle: u32) -> i32 {
    match with_state(|state| state.engines.remove(&handle)) {
        Some(_) => 0,
        None => -1,
    }
}
