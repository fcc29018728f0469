// A stand-in for the contract's `impact`, `apply` (SPEC §7, §7.2) and `suggest` (§7.4),
// compiled only into the console's test build (`node build.mjs --ops-double`), so that the
// pages built on them are exercised end to end while the engine still answers them with
// `unknown-op`.
//
// It is deliberately naive. `impact` and `apply` apply the change list to the snapshot, compile
// a second engine from the result, and compare what `userAccess` and `listGroups` answer before
// and after. `suggest` looks at the token before the cursor and offers fields, operators,
// values or keywords in the answer's shape, without the contract's finer rules.
// The product never uses it; the engine's own ops replace it as soon as they exist.

import { Engine, parseRule } from "groupgate/inline";

import { applyToSnapshot } from "./changes.js";

/**
 * Answers `request` (an `impact` or `apply`) for the engine built from `snapshot`.
 * Returns `{ answer, engine? }`: `engine` is the engine to use from now on (after `apply`).
 */
export function answerWithDouble(engine, snapshot, request) {
  const revision = engine.query({ op: "diagnostics" }).revision;
  if (request.op === "suggest") return { answer: { ...suggest(snapshot, request), revision } };
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

// ---------------------------------------------------------------------------------------------
// suggest

const WORD = /[\p{L}\p{N}_\-.@:]/u;
const KEYWORDS = new Set(["AND", "OR", "NOT", "LIKE", "IN", "STARTS", "ENDS", "WITH", "EXISTS", "REPORTS", "TO", "MEMBER", "OF", "TRUE", "FALSE"]);
const OPERATORS = ["=", "!=", "LIKE", "NOT LIKE", "IN", "NOT IN", "STARTS WITH", "ENDS WITH", "<", "<=", ">", ">=", "EXISTS", "NOT EXISTS"];

function suggest(snapshot, { text, cursor, limit = 20 }) {
  const chars = [...text];
  const at = Math.min(cursor ?? chars.length, chars.length);
  let from = at;
  while (from > 0 && WORD.test(chars[from - 1])) from--;
  let to = at;
  while (to < chars.length && WORD.test(chars[to])) to++;
  const partial = chars.slice(from, at).join("").toLowerCase();
  const tokens = chars.slice(0, from).join("").match(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|!=|<=|>=|[=<>(),]|[\p{L}\p{N}_\-.@:]+/gu) ?? [];
  const last = tokens.at(-1);
  const upper = last?.toUpperCase();
  const users = snapshot.users ?? [];
  let items;
  if (!last || ["AND", "OR", "NOT", "("].includes(upper)) {
    const counts = new Map([["id", users.length], ["name", users.filter((u) => u.name).length], ["orgRole", users.length]]);
    for (const user of users) for (const key of Object.keys(user.attributes ?? {})) counts.set(key, (counts.get(key) ?? 0) + 1);
    items = [...counts].map(([label, count]) => item(label, "field", label, count));
    items.push(item("NOT", "keyword", "NOT", null), item("(", "keyword", "(", null));
  } else if (/^[=<>!]/.test(last) || ["LIKE", "IN", "WITH"].includes(upper)) {
    const field = tokens.at(upper === "WITH" || (tokens.at(-2) ?? "").toUpperCase() === "NOT" ? -3 : -2) ?? "";
    const counts = new Map();
    for (const user of users) {
      const value = user.attributes?.[field];
      for (const one of Array.isArray(value) ? value : [value]) {
        if (typeof one === "string" || typeof one === "number") counts.set(String(one), (counts.get(String(one)) ?? 0) + 1);
      }
    }
    items = [...counts].map(([label, count]) => item(label, "value", quote(label), count));
  } else if (tokens.length && !KEYWORDS.has(upper) && WORD.test(last[0]) && (tokens.length === 1 || ["AND", "OR", "NOT", "("].includes((tokens.at(-2) ?? "").toUpperCase()))) {
    items = OPERATORS.map((op) => item(op, "operator", op, null));
  } else {
    items = ["AND", "OR"].map((keyword) => item(keyword, "keyword", keyword, null));
  }
  const starts = items.filter((i) => i.label.toLowerCase().startsWith(partial));
  const contains = items.filter((i) => !i.label.toLowerCase().startsWith(partial) && i.label.toLowerCase().includes(partial));
  // Counted items by count then label; operators and keywords stay in the grammar's order.
  const byCount = (a, b) => (a.count === null && b.count === null ? 0 : (b.count ?? -1) - (a.count ?? -1) || bytes(a.label, b.label));
  let diagnostic = null;
  try {
    parseRule(text);
  } catch (error) {
    diagnostic = { code: error.code, message: error.message, path: null, line: error.line ?? null, column: error.column ?? null, expected: error.expected ?? null };
  }
  return { from, to, items: [...starts.sort(byCount), ...contains.sort(byCount)].slice(0, limit), diagnostic };
}

function item(label, kind, insert, count) {
  return { label, kind, insert, detail: null, count };
}

function quote(value) {
  return [...value].every((c) => WORD.test(c)) && !KEYWORDS.has(value.toUpperCase()) && !/^-?\d/.test(value) ? value : JSON.stringify(value);
}
