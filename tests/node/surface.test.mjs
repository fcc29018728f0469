// The JavaScript surface: loading from objects and text, typed methods and their thrown
// errors, the fast check, the free functions, plain-object answers, and no throw or crash on
// garbage from `query`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { groupgate, pkgDir, root } from "./lib/harness.mjs";

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
  throwsCode(() => new Engine("{"), "invalid-json");
  throwsCode(() => new Engine("[]"), "invalid-snapshot");
  throwsCode(() => new Engine({ users: "nobody" }), "invalid-snapshot", { path: "$.users" });
  throwsCode(() => new Engine({ users: [{ id: "u" }, { id: "u" }] }), "invalid-snapshot", {
    path: (path) => typeof path === "string" && path.startsWith("$.users"),
  });
  throwsCode(() => new Engine({ users: [1n] }), "invalid-json");
});

test("strict loading turns an error diagnostic into a load failure", () => {
  const broken = { groups: [{ id: "g", name: "G", rule: "department = " }] };
  const lenient = new Engine(broken);
  const { diagnostics } = lenient.diagnostics();
  assert.ok(diagnostics.some((d) => d.severity === "error"), JSON.stringify(diagnostics));
  lenient.free();
  throwsCode(() => new Engine(broken, { strict: true }), "invalid-snapshot", {
    path: (path) => typeof path === "string" && path.startsWith("$.groups[0]"),
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

test("impact and apply are not supported by this version: they throw unknown-op and change nothing", () => {
  const e = engine();
  const before = e.members("g1").total;
  throwsCode(() => e.impact([{ addMember: { group: "g1", user: "u3" } }]), "unknown-op");
  throwsCode(() => e.apply([{ addMember: { group: "g1", user: "u3" } }], { revision: "r2" }), "unknown-op");
  assert.equal(e.members("g1").total, before, "the engine answers for the snapshot it loaded");
  assert.equal(e.query({ op: "check", user: "u1", product: "p1" }).revision, "r1");
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
  throwsCode(() => e.previewRule("department = "), "rule-syntax", {
    line: 1,
    column: (column) => Number.isInteger(column) && column > 1,
    expected: (expected) => Array.isArray(expected) && expected.length > 0,
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
  throwsCode(() => parseRule("department = "), "rule-syntax", {
    line: 1,
    expected: (expected) => Array.isArray(expected),
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

test("a freed engine refuses calls without harming others", () => {
  const a = engine();
  const b = engine();
  a.free();
  assert.throws(() => a.check("u1", "p1"));
  assert.equal(b.check("u1", "p1").allowed, true);
  b.free();
});
