// The JavaScript surface: loading from objects and text, typed methods and their thrown
// errors, the fast check, the free functions, plain-object answers, and no throw or crash on
// garbage from `query`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { groupgate, pkgDir, root, vectorsDir } from "./lib/harness.mjs";

const { Engine, parseRule, formatRule, version } = groupgate();

const SNAPSHOT = {
  revision: "r1",
  users: [
    { id: "u1", name: "Ana", attributes: { department: "Sales" } },
    { id: "u2", name: "Bo", orgRole: "admin", attributes: { department: "IT" } },
    { id: "u3", name: "Cy", orgRole: "owner" },
  ],
  groups: [
    { id: "g1", name: "Sales", rule: "department = Sales", products: ["p1"], roles: ["r1"] },
    { id: "g2", name: "Everyone", members: ["u1", "u2"] },
  ],
  roles: [{ id: "r1", name: "Seller", permissions: ["deals.read"] }],
  products: [{ id: "p1" }, { id: "p2" }],
};

function engine() {
  return new Engine(SNAPSHOT);
}

/** Asserts that `f` throws an Error carrying `code` (and the other given properties). */
function throwsCode(f, code, more = {}) {
  assert.throws(f, (thrown) => {
    assert.ok(thrown instanceof Error, `an Error: ${thrown}`);
    assert.equal(thrown.code, code, `${thrown.message}`);
    assert.equal(typeof thrown.message, "string");
    for (const [key, value] of Object.entries(more)) {
      if (typeof value === "function") {
        assert.ok(value(thrown[key]), `${key}: ${JSON.stringify(thrown[key])}`);
      } else {
        assert.deepEqual(thrown[key], value, key);
      }
    }
    return true;
  });
}

/**
 * Asserts that `f` throws an Error carrying `code` and exactly the given `path`, `line` and
 * `column` (each required): a `null` one must be absent, as the contract's null fields are
 * (docs/decisions.md, "Thrown errors").
 */
function throwsAt(f, code, { path, line, column, ...more }) {
  for (const [key, value] of Object.entries({ path, line, column })) {
    assert.notEqual(value, undefined, `throwsAt needs \`${key}\` (null when absent)`);
  }
  throwsCode(f, code, more);
  try {
    f();
  } catch (thrown) {
    for (const [key, value] of Object.entries({ path, line, column })) {
      if (value === null) {
        assert.ok(!Object.hasOwn(thrown, key), `${code}: no \`${key}\`, got ${JSON.stringify(thrown[key])}`);
      } else {
        assert.equal(thrown[key], value, `${code}: ${key} (${thrown.message})`);
      }
    }
  }
}

/** Fails when a value holds anything but plain JSON data. */
function assertPlain(value, path = "$") {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertPlain(item, `${path}[${i}]`));
    return;
  }
  assert.equal(typeof value, "object", path);
  assert.equal(Object.getPrototypeOf(value), Object.prototype, `${path} is a plain object`);
  for (const [key, item] of Object.entries(value)) assertPlain(item, `${path}.${key}`);
}

test("version matches the package", () => {
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  assert.equal(version(), pkg.version);
  const cargo = readFileSync(join(root, "Cargo.toml"), "utf8");
  assert.match(cargo, new RegExp(`^version = "${pkg.version.replaceAll(".", "\\.")}"$`, "m"));
});

test("a snapshot loads from an object or from text, with the same answers", () => {
  const sample = readFileSync(join(root, "samples/tenant.json"), "utf8");
  const fromText = new Engine(sample);
  const fromObject = new Engine(JSON.parse(sample), { strict: false });
  const requests = [
    { op: "diagnostics" },
    { op: "listGroups", pageSize: 1000 },
    { op: "lint" },
  ];
  for (const request of requests) {
    const text = JSON.stringify(request);
    assert.equal(fromObject.queryJson(text), fromText.queryJson(text), text);
    assert.deepEqual(fromObject.query(request), JSON.parse(fromText.queryJson(text)), text);
  }
  fromText.free();
  fromObject.free();
});

test("a load failure throws an Error with code and path", () => {
  throwsAt(() => new Engine("{"), "invalid-json", { path: null, line: 1, column: 1 });
  throwsAt(() => new Engine("[]"), "invalid-snapshot", { path: "$", line: null, column: null });
  throwsAt(() => new Engine({ users: "nobody" }), "invalid-snapshot", { path: "$.users", line: null, column: null });
  throwsAt(() => new Engine({ users: [{ id: "u" }, { id: "u" }] }), "invalid-snapshot", {
    path: "$.users[1].id",
    line: null,
    column: null,
  });
  throwsCode(() => new Engine({ users: [1n] }), "invalid-json");
});

// Text that is not JSON, from the table the native and wasmtime runners read too
// (tests/vectors/raw/invalid_json_requests.json): the line and column count Unicode characters,
// not UTF-16 units, on every surface.
test("text that is not JSON is invalid-json at its exact line and column, as a request and as a snapshot", () => {
  const { cases } = JSON.parse(readFileSync(join(vectorsDir, "raw/invalid_json_requests.json"), "utf8"));
  assert.ok(cases.length >= 5);
  const e = engine();
  for (const { name, text, line, column } of cases) {
    const { error, revision } = JSON.parse(e.queryJson(text));
    const { message, ...fields } = error;
    assert.deepEqual(fields, { code: "invalid-json", path: null, line, column, expected: null }, `${name}: as a request`);
    assert.equal(revision, "r1");
    throwsAt(() => new Engine(text), "invalid-json", { path: null, line, column });
  }
  stillAnswers(e);
  e.free();
});

test("strict loading turns an error diagnostic into a load failure", () => {
  const broken = { groups: [{ id: "g", name: "G", rule: "department = " }] };
  const lenient = new Engine(broken);
  const { diagnostics } = lenient.diagnostics();
  assert.ok(diagnostics.some((d) => d.severity === "error"), JSON.stringify(diagnostics));
  lenient.free();
  throwsAt(() => new Engine(broken, { strict: true }), "invalid-snapshot", {
    path: "$.groups[0].rule",
    line: null,
    column: null,
  });
});

test("typed methods answer plain objects of the contract's shapes", () => {
  const e = engine();
  const check = e.check("u1", "p1");
  assert.deepEqual(check, {
    allowed: true,
    productGroups: [],
    reason: "group",
    revision: "r1",
    via: ["g1"],
  });
  assertPlain(check);
  assert.deepEqual(
    e.checkBatch([{ user: "u2", product: "p2" }]).results.map((r) => r.reason),
    ["admin"],
  );
  assert.equal(e.hasPermission("u1", "deals.read").allowed, true);
  const access = e.userAccess("u1");
  assertPlain(access);
  assert.deepEqual(
    access.groups.map((g) => g.group),
    ["g1", "g2"],
  );
  assertPlain(e.homepage("u1"));
  assert.equal(e.members("g2", { pageSize: 1 }).total, 2);
  assert.equal(e.members("g2", { pageSize: 1 }).members.length, 1);
  assert.equal(e.explain("u1", "g1").member, true);
  assert.deepEqual(
    e.previewRule({ field: "department", op: "=", value: "IT" }).users.map((u) => u.user),
    ["u2"],
  );
  assert.equal(e.previewRule("department = Sales", { limit: 0 }).count, 1);
  assert.ok(e.whoCanAccess("p1").count >= 1);
  assertPlain(e.editDashboard("g1"));
  assert.ok(Array.isArray(e.diagnostics().diagnostics));
  assert.equal(e.listGroups({ sort: "members", order: "desc" }).groups[0].group, "g2");
  assertPlain(e.lint());
  e.free();
});

test("impact previews changes or a whole snapshot, and apply changes the engine", () => {
  const e = engine();
  const changes = [{ addMember: { group: "g1", user: "u3" } }];
  const impact = e.impact(changes, { limit: 10 });
  assertPlain(impact);
  assert.deepEqual(impact.users.map((u) => [u.user, u.joined]), [["u3", ["g1"]]]);
  assert.equal(e.members("g1").total, 1, "impact changes nothing");
  const next = { ...SNAPSHOT, groups: SNAPSHOT.groups.filter((g) => g.id !== "g2") };
  assert.deepEqual(e.impact(next).groups.map((g) => [g.group, g.before, g.after, g.activeAfter]), [["g2", 2, null, null]]);
  assert.equal(e.impact(next).totals.left, 2, "both members of the removed group leave it");
  throwsAt(() => e.impact([{ addMember: { group: "nope", user: "u3" } }]), "unknown-group", {
    path: "$.changes[0].addMember.group",
    line: null,
    column: null,
  });
  throwsCode(() => e.impact(undefined), "invalid-request");

  const applied = e.apply(changes, { revision: "r2" });
  assert.equal(applied.revision, "r2");
  assert.ok(Array.isArray(applied.diagnostics));
  assert.equal(e.members("g1").total, 2);
  assert.equal(e.check("u1", "p1").revision, "r2");
  throwsAt(() => e.apply([{ removeUser: 5 }], { revision: "r3" }), "invalid-request", {
    path: "$.changes[0].removeUser",
    line: null,
    column: null,
  });
  throwsCode(() => e.apply(changes, { revison: "r3" }), "invalid-request", { path: "$.revison" });
  assert.equal(e.check("u1", "p1").revision, "r2", "a failed apply changes nothing");
  e.free();
});

test("suggest answers as the suggest request does", () => {
  const e = engine();
  const request = { op: "suggest", text: "department = S", cursor: 14, limit: 5 };
  const viaQuery = e.query(request);
  if (viaQuery.error) {
    // An engine without the op: the typed method throws the same error.
    throwsCode(() => e.suggest(request.text, { cursor: 14, limit: 5 }), viaQuery.error.code);
  } else {
    assert.deepEqual(e.suggest(request.text, { cursor: 14, limit: 5 }), viaQuery);
  }
  e.free();
});

test("typed methods throw failures as Errors with code", () => {
  const e = engine();
  throwsCode(() => e.userAccess("nobody"), "unknown-user");
  throwsCode(() => e.homepage("nobody"), "unknown-user");
  throwsCode(() => e.members("nope"), "unknown-group");
  throwsCode(() => e.editDashboard("nope"), "unknown-group");
  throwsCode(() => e.whoCanAccess("nope"), "unknown-product");
  throwsCode(() => e.members("g1", { pageSize: 5000 }), "limit-exceeded");
  throwsCode(() => e.members("g1", { typo: 1 }), "invalid-request");
  throwsCode(() => e.members("g1", 5), "invalid-request");
  throwsCode(() => e.check(1, "p1"), "invalid-request");
  throwsAt(() => e.previewRule("department = "), "rule-syntax", {
    path: "$.rule",
    line: 1,
    column: 14,
    expected: ["value"],
  });
  // Columns count characters: "é" and "😀" once each (UTF-16 would count the emoji twice).
  throwsAt(() => e.previewRule('dépt = "😀" AND'), "rule-syntax", {
    path: "$.rule",
    line: 1,
    column: 15,
    expected: ["NOT", "(", "MEMBER OF", "field"],
  });
  throwsAt(() => e.previewRule("department = Sales\nAND (level >"), "rule-syntax", {
    path: "$.rule",
    line: 2,
    column: 13,
    expected: ["value"],
  });
  // The engine is unchanged and usable after every failure.
  assert.equal(e.members("g1").total, 1);
  e.free();
});

test("the fast check agrees with the check op", () => {
  const e = engine();
  const codes = { group: 1, owner: 2, admin: 3, "no-group": 0, "unknown-user": -1, "unknown-product": -2 };
  for (const user of ["u1", "u2", "u3", "nobody"]) {
    for (const product of ["p1", "p2", "nothing"]) {
      const { reason } = e.check(user, product);
      assert.equal(e.decide(user, product), codes[reason], `${user} ${product} ${reason}`);
    }
  }
  e.free();
});

test("parseRule and formatRule round-trip, and throw rule errors", () => {
  const rule = parseRule("department = Sales and not (level >= 5 or manager exists)");
  assertPlain(rule);
  const text = formatRule(rule);
  assert.equal(typeof text, "string");
  assert.deepEqual(parseRule(text), rule);
  throwsAt(() => parseRule("department = "), "rule-syntax", {
    path: "$.text",
    line: 1,
    column: 14,
    expected: ["value"],
  });
  throwsCode(() => formatRule({ all: [] }), "invalid-rule");
  throwsCode(() => parseRule(42), "invalid-request");
});

test("query never throws on garbage and leaves the engine usable", () => {
  const e = engine();
  const cyclic = {};
  cyclic.self = cyclic;
  let deep = {};
  for (let i = 0; i < 10_000; i++) deep = { op: "check", user: deep };
  const garbage = [
    undefined,
    null,
    42,
    true,
    "",
    "garbage",
    "{",
    "\ud800",
    "[]",
    [],
    {},
    { op: 1 },
    { op: "nope" },
    { op: "check" },
    { op: "check", user: "u1", product: "p1", typo: true },
    { op: "members", group: "g1", pageSize: -1 },
    { op: "checkBatch", checks: "all" },
    { op: "previewRule", rule: "((((" },
    { op: "previewRule", rule: { all: [{ all: [{ all: [] }] }], extra: 1 } },
    { op: "impact", changes: [{ removeUser: 5 }] },
    { op: "apply", changes: [{ setAsOf: "yesterday" }] },
    "[".repeat(100_000),
    deep,
    cyclic,
    { op: "check", user: 10n },
    Symbol("x"),
    () => 1,
  ];
  for (const request of garbage) {
    const answer = e.query(request);
    assertPlain(answer);
    assert.equal(typeof answer.error?.code, "string", `${String(request).slice(0, 40)}: ${JSON.stringify(answer)}`);
    assert.equal(answer.revision, "r1");
  }
  for (const text of ["", "\u0000", "{\"op\":\"check\"", "[".repeat(100_000)]) {
    const answer = JSON.parse(e.queryJson(text));
    assert.equal(typeof answer.error.code, "string");
  }
  assert.equal(e.check("u1", "p1").allowed, true);
  assert.equal(e.decide("u1", "p1"), 1);
  e.free();
});

// Every method of an engine, called with arguments it accepts.
const CALLS = {
  query: (e) => e.query({ op: "diagnostics" }),
  queryJson: (e) => e.queryJson('{"op":"diagnostics"}'),
  decide: (e) => e.decide("u1", "p1"),
  check: (e) => e.check("u1", "p1"),
  checkBatch: (e) => e.checkBatch([{ user: "u1", product: "p1" }]),
  hasPermission: (e) => e.hasPermission("u1", "deals.read"),
  userAccess: (e) => e.userAccess("u1"),
  homepage: (e) => e.homepage("u1"),
  members: (e) => e.members("g1", { page: 1 }),
  explain: (e) => e.explain("u1", "g1"),
  previewRule: (e) => e.previewRule("department = Sales", { limit: 1 }),
  whoCanAccess: (e) => e.whoCanAccess("p1", { pageSize: 1 }),
  editDashboard: (e) => e.editDashboard("g1"),
  diagnostics: (e) => e.diagnostics(),
  listGroups: (e) => e.listGroups({ pageSize: 1 }),
  impact: (e) => e.impact([{ addMember: { group: "g1", user: "u3" } }]),
  apply: (e) => e.apply([], { revision: "r1" }),
  lint: (e) => e.lint(),
  suggest: (e) => e.suggest("department = ", { limit: 1 }),
  export: (e) => e.export(),
  free: (e) => e.free(),
};

/** Asserts that `e` still answers, and answers right. */
function stillAnswers(e) {
  assert.equal(e.decide("u1", "p1"), 1);
  assert.deepEqual(e.check("u1", "p1"), {
    allowed: true,
    productGroups: [],
    reason: "group",
    revision: "r1",
    via: ["g1"],
  });
  assert.equal(e.members("g2", { pageSize: 1 }).total, 2);
  assert.equal(e.query({ op: "check", user: "u2", product: "p2" }).reason, "admin");
}

test("the engine's methods are exactly those of the contract", () => {
  const e = engine();
  const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(e)).filter((name) => name !== "constructor");
  assert.deepEqual(methods.sort(), Object.keys(CALLS).sort());
  assert.equal(typeof Engine.fromCompiled, "function");
  for (const [name, call] of Object.entries(CALLS)) {
    try {
      call(e); // `free` comes last.
    } catch (thrown) {
      // An engine built without the suggest op says so.
      assert.ok(name === "suggest" && thrown.code === "unknown-op", `${name}: ${thrown}`);
    }
  }
});

test("every call on a freed engine, free() included, is invalid-request; other engines go on", () => {
  const a = engine();
  const b = engine();
  a.free();
  for (const call of Object.values(CALLS)) {
    throwsCode(() => call(a), "invalid-request", { message: (m) => /freed/.test(m) });
  }
  if (Symbol.dispose) a[Symbol.dispose](); // Disposing of a freed engine is no error.
  stillAnswers(b);
  b.free();
});

test("a throwing getter or Proxy as options or argument is invalid-request, and the engine goes on", () => {
  const e = engine();
  const boom = () => {
    throw new Error("boom");
  };
  const getter = Object.defineProperty({}, "page", { get: boom, enumerable: true });
  const proxy = new Proxy({}, { get: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, has: boom });
  const revocable = Proxy.revocable([], {});
  revocable.revoke();
  for (const bad of [getter, proxy, revocable.proxy, { toJSON: boom }]) {
    throwsCode(() => e.members("g1", bad), "invalid-request");
    throwsCode(() => e.listGroups(bad), "invalid-request");
    throwsCode(() => e.userAccess(bad), "invalid-request", { path: "$.user" });
    throwsCode(() => e.checkBatch(bad), "invalid-request", { path: "$.checks" });
    throwsCode(() => e.checkBatch([{ user: "u1", product: "p1" }, bad]), "invalid-request");
    throwsCode(() => e.previewRule(bad), "invalid-request", { path: "$.rule" });
    throwsCode(() => e.impact(bad), "invalid-request");
    throwsCode(() => e.apply(bad), "invalid-request");
    throwsCode(() => e.decide(bad, "p1"), "invalid-request", { path: "$.user" });
    throwsCode(() => e.check("u1", bad), "invalid-request", { path: "$.product" });
    assert.equal(e.query(bad).error.code, "invalid-json");
    assert.equal(e.queryJson(bad), e.queryJson(5));
    throwsCode(() => new Engine(SNAPSHOT, bad), "invalid-request");
    throwsCode(() => new Engine(bad), "invalid-json");
    throwsCode(() => Engine.fromCompiled(bad), "invalid-request");
    throwsCode(() => parseRule(bad), "invalid-request");
    stillAnswers(e);
  }
  e.free();
});

test("arguments of the wrong type are invalid-request, never a trap, and the engine goes on", () => {
  const e = engine();
  for (const [user, product] of [
    [1, 2],
    [{}, []],
    [undefined, undefined],
    [null, "p1"],
    ["u1", 10n],
    [Symbol("u1"), "p1"],
    [new String("u1"), "p1"],
  ]) {
    throwsCode(() => e.decide(user, product), "invalid-request");
    throwsCode(() => e.check(user, product), "invalid-request");
  }
  throwsCode(() => e.decide(1, "p1"), "invalid-request", { path: "$.user" });
  throwsCode(() => e.decide("u1", 2), "invalid-request", { path: "$.product" });
  throwsCode(() => e.decide(), "invalid-request", { path: "$.user" });
  throwsCode(() => e.userAccess(5), "invalid-request", { path: "$.user" });
  throwsCode(() => e.userAccess(), "invalid-request");
  throwsCode(() => e.hasPermission("u1", ["deals.read"]), "invalid-request", { path: "$.permission" });
  throwsCode(() => e.explain("u1", 10n), "invalid-request", { path: "$.group" });
  throwsCode(() => e.members(() => "g1"), "invalid-request", { path: "$.group" });
  throwsCode(() => e.members("g1", "page 2"), "invalid-request", { path: "$" });
  throwsCode(() => e.members("g1", [1]), "invalid-request", { path: "$" });
  throwsCode(() => e.checkBatch("all"), "invalid-request", { path: "$.checks" });
  throwsCode(() => e.checkBatch([{ user: "u1", product: 1 }]), "invalid-request", { path: "$.checks[0].product" });
  throwsCode(() => e.checkBatch([{ user: "u1" }]), "invalid-request", { path: "$.checks[0]" });
  throwsCode(() => e.checkBatch([{ user: "u1", product: "p1", typo: 1 }]), "invalid-request", {
    path: "$.checks[0].typo",
  });
  // A rule is an AST or text: anything else is a malformed rule, as the request would say.
  throwsCode(() => e.previewRule(42), "invalid-rule", { path: "$.rule" });
  assert.equal(e.query({ op: "previewRule", rule: 42 }).error.code, "invalid-rule");
  throwsCode(() => parseRule(), "invalid-request");
  throwsCode(() => formatRule(10n), "invalid-request", { path: "$.rule" });
  const answer = JSON.parse(e.queryJson(5));
  assert.equal(answer.error.code, "invalid-request");
  assert.equal(answer.revision, "r1");
  stillAnswers(e);
  e.free();
});

test("options name only the op's optional keys", () => {
  const e = engine();
  throwsCode(() => e.members("g1", { group: "g2" }), "invalid-request", { path: "$.group" });
  throwsCode(() => e.members("g1", { op: "apply", changes: [{ removeUser: "u1" }] }), "invalid-request", {
    path: "$.op",
  });
  throwsCode(() => e.listGroups({ sortt: "name" }), "invalid-request", { path: "$.sortt" });
  assert.equal(e.members("g1", { page: 1, pageSize: 1, search: null }).total, 1);
  stillAnswers(e);
  e.free();
});

test("load options are checked: an unknown key or a wrong type is invalid-request", () => {
  throwsCode(() => new Engine(SNAPSHOT, { strcit: true }), "invalid-request", { path: "$.strcit" });
  throwsCode(() => new Engine(SNAPSHOT, { strict: "yes" }), "invalid-request", { path: "$.strict" });
  throwsCode(() => new Engine(SNAPSHOT, "strict"), "invalid-request", { path: "$" });
  throwsCode(() => new Engine(SNAPSHOT, [true]), "invalid-request", { path: "$" });
  for (const options of [undefined, null, {}, { strict: false }, { strict: null }, { strict: true }]) {
    const e = new Engine(SNAPSHOT, options);
    stillAnswers(e);
    e.free();
  }
});

test("check() answers exactly as the check request, and checkBatch as single checks", () => {
  const e = engine();
  const pairs = [];
  for (const user of ["u1", "u2", "u3", "nobody", "u\"1\u00e9"]) {
    for (const product of ["p1", "p2", "nothing"]) {
      pairs.push({ user, product });
      const typed = e.check(user, product);
      assertPlain(typed);
      assert.equal(JSON.stringify(typed), e.queryJson(JSON.stringify({ op: "check", user, product })));
    }
  }
  const batch = e.checkBatch(pairs);
  assertPlain(batch);
  assert.equal(batch.revision, "r1");
  assert.deepEqual(
    batch.results,
    pairs.map(({ user, product }) => {
      const { revision, ...result } = e.check(user, product);
      return result;
    }),
  );
  assert.deepEqual(e.checkBatch([]), { results: [], revision: "r1" });
  e.free();
});

test("a checkBatch over the limit is limit-exceeded", () => {
  const e = engine();
  const checks = Array.from({ length: 100_001 }, () => ({ user: "u1", product: "p1" }));
  throwsCode(() => e.checkBatch(checks), "limit-exceeded", { path: "$.checks" });
  assert.equal(e.checkBatch(checks.slice(1)).results.length, 100_000);
  stillAnswers(e);
  e.free();
});
