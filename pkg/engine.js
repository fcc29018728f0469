// The package's `Engine`: a wasm-bindgen `RawEngine` (src/js.rs) held by an object that knows
// when it has been freed. wasm-bindgen's own class forgets its pointer on `free()`, and any
// later call reaches Rust as a null pointer: an `Error` without a `code`. Here such a call,
// a second `free()` included, is an `invalid-request` error, as the contract asks.
//
// Everything else — arguments, options, answers, errors — is src/js.rs's business: each
// method hands its arguments over untouched, `decide` and `check` to one of two entries
// (see there).
//
// scripts/package-js.mjs writes this text into each entry (pkg/node, pkg/web, pkg/inline),
// after a line that brings `RawEngine` into scope and before the entry's exports.

const RESTORE = Symbol("restore");
// Where the runtime has `Symbol.dispose`, `using` frees the engine at the end of its scope.
const DISPOSE = Symbol.dispose ?? Symbol("dispose");

class Engine {
  #raw;

  constructor(snapshot, options) {
    this.#raw = snapshot === RESTORE ? options : new RawEngine(snapshot, options);
  }

  static fromCompiled(bytes) {
    return new Engine(RESTORE, RawEngine.fromCompiled(bytes));
  }

  export() { return this.#live().export(); }
  query(request) { return this.#live().query(request); }
  queryJson(request) { return this.#live().queryJson(request); }
  // wasm-bindgen's string arguments take strings only; `*Values` read, and refuse, anything else.
  decide(user, product) {
    const raw = this.#live();
    return typeof user === "string" && typeof product === "string"
      ? raw.decide(user, product)
      : raw.decideValues(user, product);
  }
  check(user, product) {
    const raw = this.#live();
    return typeof user === "string" && typeof product === "string"
      ? raw.check(user, product)
      : raw.checkValues(user, product);
  }
  checkBatch(checks) { return this.#live().checkBatch(checks); }
  hasPermission(user, permission) { return this.#live().hasPermission(user, permission); }
  userAccess(user) { return this.#live().userAccess(user); }
  homepage(user) { return this.#live().homepage(user); }
  members(group, options) { return this.#live().members(group, options); }
  explain(user, group) { return this.#live().explain(user, group); }
  previewRule(rule, options) { return this.#live().previewRule(rule, options); }
  whoCanAccess(product, options) { return this.#live().whoCanAccess(product, options); }
  editDashboard(group) { return this.#live().editDashboard(group); }
  diagnostics() { return this.#live().diagnostics(); }
  listGroups(options) { return this.#live().listGroups(options); }
  impact(changesOrNext, options) { return this.#live().impact(changesOrNext, options); }
  apply(changes, options) { return this.#live().apply(changes, options); }
  lint() { return this.#live().lint(); }
  suggest(text, options) { return this.#live().suggest(text, options); }

  /** Releases the engine's memory; any later call, `free()` included, throws `invalid-request`. */
  free() {
    const raw = this.#live();
    this.#raw = null;
    raw.free();
  }

  /** `free()`, unless the engine was freed already. */
  [DISPOSE]() {
    if (this.#raw !== null) this.free();
  }

  #live() {
    if (this.#raw === null) {
      throw Object.assign(new Error("the engine has been freed"), { code: "invalid-request" });
    }
    return this.#raw;
  }
}

