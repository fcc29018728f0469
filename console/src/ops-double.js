// A stand-in for the contract's `impact` and `apply` (SPEC §7, §7.2), compiled only into the
// console's test build (`node build.mjs --ops-double`), so that the pages built on them are
// exercised end to end while the engine still answers them with `unknown-op`.
//
// It is deliberately naive: it applies the change list to the snapshot, compiles a second
// engine from the result, and compares what `userAccess` and `listGroups` answer before and
// after. The product never uses it; the engine's own ops replace it as soon as they exist.

import { Engine } from "groupgate/inline";

import { applyToSnapshot } from "./changes.js";

/**
 * Answers `request` (an `impact` or `apply`) for the engine built from `snapshot`.
 * Returns `{ answer, engine? }`: `engine` is the engine to use from now on (after `apply`).
 */
export function answerWithDouble(engine, snapshot, request) {
  const revision = engine.query({ op: "diagnostics" }).revision;
  const fail = (code, message, path) => ({
    answer: { error: { code, message, path, line: null, column: null, expected: null }, revision },
  });
  const changes = request.changes;
  if (!Array.isArray(changes)) return fail("invalid-request", "`changes` must be a list", "$.changes");
  const problem = checkChanges(snapshot, changes);
  if (problem) return fail(problem.code, problem.message, problem.path);
  const next = applyToSnapshot(snapshot, changes);
  if (request.op === "apply") {
    if (request.revision) next.revision = request.revision;
    else delete next.revision;
    const after = new Engine(JSON.stringify(next));
    return { answer: { diagnostics: after.diagnostics().diagnostics, revision: next.revision ?? null }, engine: after };
  }
  const after = new Engine(JSON.stringify(next));
  try {
    return { answer: impact(engine, after, snapshot, next, request.limit ?? 1000, revision) };
  } finally {
    after.free();
  }
}

function checkChanges(snapshot, changes) {
  const ids = (key) => new Set((snapshot[key] ?? []).map((item) => item.id));
  const groups = ids("groups");
  const users = ids("users");
  const roles = ids("roles");
  const products = ids("products");
  for (const [i, change] of changes.entries()) {
    const path = `$.changes[${i}]`;
    const [kind, body] = Object.entries(change ?? {})[0] ?? [];
    if (!kind) return { code: "invalid-request", message: "a change is an object with one key", path };
    if (body && typeof body === "object" && "group" in body && !groups.has(body.group)) {
      return { code: "unknown-group", message: `unknown group \`${body.group}\``, path };
    }
    if (body && typeof body === "object" && "user" in body && !users.has(body.user)) {
      return { code: "unknown-user", message: `unknown user \`${body.user}\``, path };
    }
    if (body && typeof body === "object" && "role" in body && !roles.has(body.role)) {
      return { code: "unknown-role", message: `unknown role \`${body.role}\``, path };
    }
    if (body && typeof body === "object" && "product" in body && !products.has(body.product)) {
      return { code: "unknown-product", message: `unknown product \`${body.product}\``, path };
    }
    if (kind === "removeGroup" && !groups.has(body)) return { code: "unknown-group", message: `unknown group \`${body}\``, path };
  }
  return null;
}

function impact(before, after, snapshot, next, limit, revision) {
  const userIds = [...new Set([...(snapshot.users ?? []), ...(next.users ?? [])].map((u) => u.id))].sort(bytes);
  const users = [];
  for (const user of userIds) {
    const a = access(before, user);
    const b = access(after, user);
    const entry = {
      user,
      joined: minus(b.groups, a.groups),
      left: minus(a.groups, b.groups),
      rolesGained: minus(b.roles, a.roles),
      rolesLost: minus(a.roles, b.roles),
      permissionsGained: minus(b.permissions, a.permissions),
      permissionsLost: minus(a.permissions, b.permissions),
      productsGained: minus(b.products, a.products),
      productsLost: minus(a.products, b.products),
    };
    if (Object.values(entry).some((value) => Array.isArray(value) && value.length)) users.push(entry);
  }
  const counts = (engine) => {
    const out = new Map();
    for (let page = 1; ; page++) {
      const answer = engine.query({ op: "listGroups", includeHidden: true, page, pageSize: 1000 });
      for (const group of answer.groups) out.set(group.group, group.memberCount);
      if (answer.groups.length < 1000) return out;
    }
  };
  const was = counts(before);
  const is = counts(after);
  const groups = [...new Set([...was.keys(), ...is.keys()])]
    .sort(bytes)
    .map((group) => ({ group, before: was.get(group) ?? 0, after: is.get(group) ?? 0 }))
    .filter((group) => group.before !== group.after);
  return { totalUsers: users.length, users: users.slice(0, limit), groups, revision };
}

function access(engine, user) {
  const answer = engine.query({ op: "userAccess", user });
  if (answer.error) return { groups: [], roles: [], permissions: [], products: [] };
  return {
    groups: answer.groups.map((g) => g.group),
    roles: answer.roles.map((r) => r.role),
    permissions: answer.permissions,
    products: answer.products.map((p) => p.product),
  };
}

function minus(a, b) {
  const other = new Set(b);
  return a.filter((item) => !other.has(item)).sort(bytes);
}

function bytes(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}
