// The groupgate engine inside one isolate: the plain-ABI module (no imports), restored from
// compiled-snapshot bytes, and the string passing between JavaScript and the module's memory.
//
// One `Gate` lives per isolate. It instantiates the module and restores the engine on first use,
// keeps them for every later request, and replaces the instance when a call traps: a trapped
// instance may hold broken state, so nothing is called on it again.
// The bundled snapshot may be gzip-compressed (`gzip -k tenant.ggc`): the isolate then holds
// half the bytes, and every restore inflates them straight into the module's memory.
//
// Strings go in through one scratch buffer from `gg_alloc`, written with `TextEncoder.encodeInto`
// and grown when a request needs more room; the ABI accepts any range inside a live buffer, so
// the user and the product of a check share it. Answers come back as `ptr << 32 | len` and are
// freed as soon as they are read.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The decision codes of `gg_check`, as the reasons of a `check` answer (SPEC §5). */
export const REASONS = new Map([
  [1, "group"],
  [2, "owner"],
  [3, "admin"],
  [0, "no-group"],
  [-1, "unknown-user"],
  [-2, "unknown-product"],
]);

/** The scratch buffer's first size; it grows to the largest request seen. */
const SCRATCH_BYTES = 1024;

/**
 * A request the engine could not answer: `code` is `engine-trapped` (the instance trapped and was
 * dropped), `limit-exceeded` (the module had no memory for it) or `invalid-snapshot` (the compiled
 * snapshot was refused; `answer` is the engine's error answer, SPEC §7).
 */
export class GateError extends Error {
  constructor(message, { code, answer = null }) {
    super(message);
    this.name = "GateError";
    this.code = code;
    this.answer = answer;
  }
}

export class Gate {
  /**
   * @param {WebAssembly.Module} module the plain-ABI module
   * @param {ArrayBuffer | Uint8Array} compiled the compiled snapshot (SPEC §7.5)
   */
  constructor(module, compiled) {
    this.module = module;
    this.compiled = compiled instanceof Uint8Array ? compiled : new Uint8Array(compiled);
    this.live = null;
    /** The engine's error answer once the compiled snapshot was refused: the bytes never change. */
    this.refused = null;
    /** The restore under way, when the snapshot is inflated first. */
    this.restoring = null;
    /** Instances made, traps seen, and the last load's answer (`diagnostics`, `revision`). */
    this.instances = 0;
    this.traps = 0;
    this.loadAnswer = null;
    /** How long the last load took, in ms (0 at a Worker's start, where the clock stands still). */
    this.loadMs = null;
    /** When not null, called inside every guarded call: lets a test stand in for a trap. */
    this.beforeCall = null;
  }

  /** The engine's revision, once loaded (`null` when the snapshot has none). */
  get revision() {
    return this.loadAnswer?.revision ?? null;
  }

  /** Whether the bundled snapshot is gzip-compressed: it is then inflated at every restore. */
  get compressed() {
    return this.compiled[0] === 0x1f && this.compiled[1] === 0x8b;
  }

  /**
   * The live instance, restored first when there is none; any number of callers share one
   * restore. A gzip-compressed snapshot is inflated straight into the module's memory.
   */
  async ready() {
    if (this.live) return this.live;
    if (!this.compressed) return this.load();
    this.restoring ??= this.#inflateAndRestore()
      .catch((error) => {
        throw this.#trapped(error);
      })
      .finally(() => (this.restoring = null));
    return this.restoring;
  }

  /** `ready()` for an uncompressed snapshot, synchronously. */
  load() {
    if (this.live) return this.live;
    if (this.compressed) throw new Error("a compressed snapshot is restored by `await gate.ready()`");
    this.#refuseAgain();
    const started = performance.now();
    try {
      const live = this.#instantiate();
      const len = this.compiled.length;
      const ptr = alloc(live, len);
      view(live).set(this.compiled, ptr);
      return this.#restore(live, ptr, len, started);
    } catch (error) {
      throw this.#trapped(error);
    }
  }

  async #inflateAndRestore() {
    this.#refuseAgain();
    const started = performance.now();
    const gz = this.compiled;
    // The gzip trailer's last four bytes: the inflated length, modulo 2^32.
    const len = (gz[gz.length - 4] | (gz[gz.length - 3] << 8) | (gz[gz.length - 2] << 16) | (gz[gz.length - 1] << 24)) >>> 0;
    const live = this.#instantiate();
    const ptr = alloc(live, len);
    let at = 0;
    try {
      const reader = new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (at + value.length > len) throw new Error("it inflates past the length its trailer gives");
        view(live).set(value, ptr + at);
        at += value.length;
      }
      if (at !== len) throw new Error(`it inflates to ${at} bytes, its trailer says ${len}`);
    } catch (error) {
      const message = `the compressed snapshot does not inflate: ${error.message}`;
      this.refused = { error: { code: "invalid-snapshot", column: null, expected: null, line: null, message, path: null }, revision: null };
      throw new GateError(message, { code: "invalid-snapshot", answer: this.refused });
    }
    return this.#restore(live, ptr, len, started);
  }

  #refuseAgain() {
    if (this.refused) throw new GateError("the compiled snapshot was refused", { code: "invalid-snapshot", answer: this.refused });
  }

  #instantiate() {
    const x = new WebAssembly.Instance(this.module, {}).exports;
    if (x.gg_abi_version() !== 1) {
      throw new Error(`groupgate ABI version ${x.gg_abi_version()}, this host speaks 1`);
    }
    this.instances += 1;
    return { x, memory: x.memory, bytes: new Uint8Array(x.memory.buffer), scratch: null, handle: 0, ptr: 0, cap: 0 };
  }

  /** Restores the engine from the compiled bytes at `ptr`, frees them, and keeps the instance. */
  #restore(live, ptr, len, started) {
    const { x } = live;
    live.handle = x.gg_engine_from_compiled(ptr, len);
    x.gg_free(ptr, len);
    const answer = JSON.parse(takeText(live, x.gg_last_answer()) ?? "null");
    if (live.handle === 0) {
      this.refused = answer;
      throw new GateError("the compiled snapshot was refused", { code: "invalid-snapshot", answer });
    }
    this.loadAnswer = answer;
    this.live = live;
    grow(live, SCRATCH_BYTES);
    this.loadMs = performance.now() - started;
    return live;
  }

  /**
   * The fast check: a decision code of `gg_check` (positive when allowed), without JSON.
   * @param {string} user
   * @param {string} product
   */
  check(user, product) {
    return this.guard((live) => {
      // UTF-8 takes at most 3 bytes per UTF-16 unit.
      const buffer = scratch(live, 3 * (user.length + product.length));
      const u = encoder.encodeInto(user, buffer).written;
      const p = encoder.encodeInto(product, buffer.subarray(u)).written;
      return live.x.gg_check(live.handle, live.ptr, u, live.ptr + u, p);
    });
  }

  /**
   * Any request of SPEC §7, as JSON text; the answer's JSON text.
   * @param {string} request
   */
  query(request) {
    return this.guard((live) => {
      const n = encoder.encodeInto(request, scratch(live, 3 * request.length)).written;
      const answer = takeText(live, live.x.gg_query(live.handle, live.ptr, n));
      if (answer === null) throw new GateError("no memory for the answer", { code: "limit-exceeded" });
      return answer;
    });
  }

  /** Runs `call` on the live instance; a trap drops the instance, and the next call makes a new one. */
  guard(call) {
    try {
      const live = this.live ?? this.load();
      this.beforeCall?.();
      return call(live);
    } catch (error) {
      throw this.#trapped(error);
    }
  }

  /** A trap as a `GateError`, the instance dropped: nothing is called on it again. */
  #trapped(error) {
    if (!(error instanceof WebAssembly.RuntimeError)) return error;
    this.live = null;
    this.traps += 1;
    return new GateError(`the engine trapped (${error.message}); a fresh instance answers the next request`, {
      code: "engine-trapped",
    });
  }
}

/** The module's memory as bytes, made again after the memory grew (growing detaches the old view). */
function view(live) {
  if (live.bytes.buffer !== live.memory.buffer) live.bytes = new Uint8Array(live.memory.buffer);
  return live.bytes;
}

/** The scratch buffer, at least `need` bytes, as a view kept until it moves or the memory grows. */
function scratch(live, need) {
  grow(live, need);
  if (live.scratch === null || live.scratch.buffer !== live.memory.buffer) {
    live.scratch = new Uint8Array(live.memory.buffer, live.ptr, live.cap);
  }
  return live.scratch;
}

/** A buffer of `len` bytes from the module, for the compiled snapshot. */
function alloc(live, len) {
  const ptr = live.x.gg_alloc(len);
  if (ptr === 0) throw new GateError(`no memory for the ${len}-byte compiled snapshot`, { code: "limit-exceeded" });
  return ptr;
}

/** Makes the scratch buffer at least `need` bytes. */
function grow(live, need) {
  if (need <= live.cap) return;
  const cap = Math.max(need, 2 * live.cap, SCRATCH_BYTES);
  const ptr = live.x.gg_alloc(cap);
  if (ptr === 0) throw new GateError(`no memory for a ${cap}-byte request`, { code: "limit-exceeded" });
  if (live.cap) live.x.gg_free(live.ptr, live.cap);
  live.ptr = ptr;
  live.cap = cap;
  live.scratch = null;
}

/** Reads and frees an answer buffer (`ptr << 32 | len`); `null` when the module had no memory for it. */
function takeText(live, packed) {
  if (packed === 0n) return null;
  const ptr = Number(packed >> 32n);
  const len = Number(packed & 0xffffffffn);
  const text = decoder.decode(view(live).subarray(ptr, ptr + len));
  live.x.gg_free(ptr, len);
  return text;
}
