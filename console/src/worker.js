// The console's engine, in a Web Worker: the page never blocks on loading or evaluating.
//
// The worker owns two things: the groupgate Engine, and the snapshot it was loaded from (the
// engine answers questions but has no op that returns a group's or a user's raw definition).
// The snapshot is kept in step with every change list the engine accepts.
//
// Protocol: the page posts `{ call, type, args }`; the worker answers `{ call, result }` or
// `{ call, error }`, and may post `{ call, progress }` before that. At start it posts
// `{ type: "ready", version }`.

import { Engine, parseRule, version } from "groupgate/inline";

import { applyToSnapshot } from "./changes.js";
import { answerWithDouble } from "./ops-double.js";
import { fold, readField } from "./text.js";

/** @type {Engine | null} */
let engine = null;
/** The loaded snapshot (plain JSON) and its indexes; `null` before the first load. */
let tenant = null;

const handlers = {
  load,
  query: ({ request }) => ask(request),
  batch: ({ requests }) => requests.map(ask),
  group: ({ id }) => describeGroup(id),
  user: ({ id }) => describeUser(id),
  catalog,
  names,
  searchUsers,
  traceRule,
  apply,
  snapshotText: () => JSON.stringify(tenant?.snapshot ?? null, null, 1),
};

self.onmessage = async ({ data }) => {
  const { call, type, args } = data;
  const progress = (value) => self.postMessage({ call, progress: value });
  try {
    const handler = handlers[type];
    if (!handler) throw Object.assign(new Error(`unknown message \`${type}\``), { code: "console" });
    self.postMessage({ call, result: await handler(args ?? {}, progress) });
  } catch (error) {
    self.postMessage({ call, error: plainError(error) });
  }
};

self.postMessage({ type: "ready", version: version() });

// ---------------------------------------------------------------------------------------------
// Loading

async function load({ source }, progress) {
  const started = performance.now();
  const text = await readSource(source, progress);
  progress({ phase: "compile" });
  // The engine reads the text itself: its errors carry a JSON path or a line and column.
  const next = new Engine(text);
  progress({ phase: "index" });
  let snapshot;
  try {
    snapshot = JSON.parse(text);
  } catch (error) {
    next.free();
    throw error;
  }
  engine?.free();
  engine = next;
  tenant = indexSnapshot(snapshot);
  return { ...summary(), source: source.label ?? null, ms: Math.round(performance.now() - started) };
}

/** The snapshot text from a URL, a File or a string, reporting bytes read. */
async function readSource(source, progress) {
  if (source.kind === "text") return source.text;
  let body;
  let total = 0;
  if (source.kind === "url") {
    const response = await fetch(source.url);
    if (!response.ok) throw new Error(`${source.url}: ${response.status} ${response.statusText}`);
    total = Number(response.headers.get("content-length")) || 0;
    body = response.body;
  } else if (source.kind === "file") {
    total = source.file.size;
    body = source.file.stream();
  } else {
    throw new Error(`unknown source \`${source.kind}\``);
  }
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parts = [];
  let loaded = 0;
  let last = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    loaded += value.length;
    parts.push(decoder.decode(value, { stream: true }));
    const now = performance.now();
    if (now - last > 50) {
      progress({ phase: "read", loaded, total });
      last = now;
    }
  }
  parts.push(decoder.decode());
  progress({ phase: "read", loaded, total: total || loaded });
  return parts.join("");
}

function summary() {
  const { snapshot } = tenant;
  const diagnostics = engine.diagnostics().diagnostics;
  return {
    version: version(),
    revision: snapshot.revision ?? null,
    asOf: snapshot.asOf ?? null,
    defaultLocale: snapshot.defaultLocale ?? "en",
    counts: {
      users: tenant.users.size,
      groups: tenant.groups.size,
      roles: tenant.roles.size,
      products: tenant.products.size,
      modules: tenant.modules.size,
    },
    diagnostics: {
      errors: diagnostics.filter((d) => d.severity === "error").length,
      warnings: diagnostics.filter((d) => d.severity === "warning").length,
    },
  };
}

/** Id indexes over the snapshot, and the folded names user search looks at. */
function indexSnapshot(snapshot) {
  const byId = (list) => {
    const map = new Map();
    for (const item of Array.isArray(list) ? list : []) {
      if (item && typeof item.id === "string" && !map.has(item.id)) map.set(item.id, item);
    }
    return map;
  };
  const users = byId(snapshot.users);
  const userList = [...users.values()].map((user) => ({
    id: user.id,
    name: typeof user.name === "string" ? user.name : null,
    key: fold(`${user.name ?? ""} ${user.id}`),
  }));
  userList.sort((a, b) => compareNames(a.name ?? a.id, b.name ?? b.id) || compareBytes(a.id, b.id));
  return {
    snapshot,
    users,
    userList,
    groups: byId(snapshot.groups),
    roles: byId(snapshot.roles),
    products: byId(snapshot.products),
    modules: byId(snapshot.modules),
    locale: snapshot.defaultLocale ?? "en",
  };
}

function compareNames(a, b) {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareBytes(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Questions

function loaded() {
  if (!engine) throw Object.assign(new Error("no tenant is loaded"), { code: "console" });
  return engine;
}

/** Any request; failures come back as `{ error }` answers, never thrown. */
function ask(request) {
  const current = loaded();
  // OPS_DOUBLE is true only in the test build (build.mjs --ops-double); see ops-double.js.
  if (OPS_DOUBLE && ["impact", "apply", "suggest"].includes(request.op) && current.query({ op: request.op }).error?.code === "unknown-op") {
    const { answer, engine: next } = answerWithDouble(current, tenant.snapshot, request);
    if (next) {
      current.free();
      engine = next;
    }
    return answer;
  }
  return current.query(request);
}

/** A localized name in the default locale (or the first one given). */
function localName(name, locale = tenant?.locale ?? "en") {
  if (typeof name === "string") return name;
  if (name && typeof name === "object") {
    return name[locale] ?? Object.values(name).find((text) => typeof text === "string") ?? null;
  }
  return null;
}

function nameOf(kind, id) {
  const item = tenant?.[kind].get(id);
  if (!item) return null;
  return kind === "users" ? (item.name ?? null) : (localName(item.name) ?? null);
}

/** Names of the given ids: `{ users: { id: name }, groups: …, roles: …, products: …, modules: … }`. */
function names(ids) {
  loaded();
  const out = {};
  for (const kind of ["users", "groups", "roles", "products", "modules"]) {
    out[kind] = {};
    for (const id of ids[kind] ?? []) out[kind][id] = nameOf(kind, id);
  }
  return out;
}

/** Pickers' lists: every group, role, product and module with its name. */
function catalog() {
  loaded();
  const list = (kind) =>
    [...tenant[kind].values()]
      .map((item) => ({ id: item.id, name: localName(item.name) ?? item.name ?? item.id }))
      .sort((a, b) => compareNames(a.name, b.name) || compareBytes(a.id, b.id));
  return {
    groups: list("groups"),
    roles: list("roles"),
    products: list("products"),
    modules: list("modules"),
    fields: attributeKeys(),
  };
}

function attributeKeys() {
  const keys = new Set();
  for (const user of tenant.users.values()) {
    for (const key of Object.keys(user.attributes ?? {})) keys.add(key);
  }
  return [...keys].sort();
}

function describeGroup(id) {
  loaded();
  const group = tenant.groups.get(id);
  if (!group) return null;
  let ruleText = null;
  let ruleError = null;
  if (typeof group.rule === "string") {
    ruleText = group.rule;
  } else if (group.rule != null) {
    const answer = ask({ op: "formatRule", rule: group.rule });
    if (answer.error) ruleError = answer.error;
    else ruleText = answer.text;
  }
  const named = (kind, ids) =>
    (Array.isArray(ids) ? ids : []).map((item) => ({ id: item, name: nameOf(kind, item) }));
  const names = typeof group.name === "string" ? { [tenant.locale]: group.name } : (group.name ?? {});
  return {
    id: group.id,
    name: localName(group.name) ?? group.id,
    names,
    slug: group.slug ?? null,
    description: group.description ?? null,
    isActive: group.isActive !== false,
    isVisible: group.isVisible !== false,
    createdAt: group.createdAt ?? null,
    createdBy: group.createdBy ? { id: group.createdBy, name: nameOf("users", group.createdBy) } : null,
    rule: group.rule ?? null,
    ruleText,
    ruleError,
    roles: named("roles", group.roles),
    products: named("products", group.products),
    includeGroups: named("groups", group.includeGroups),
    includedBy: [...tenant.groups.values()]
      .filter((other) => Array.isArray(other.includeGroups) && other.includeGroups.includes(id))
      .map((other) => ({ id: other.id, name: localName(other.name) })),
    homepageModule: group.homepageModule
      ? { id: group.homepageModule, name: nameOf("modules", group.homepageModule) }
      : null,
    dashboard: group.dashboard ?? null,
    windows: memberWindows(group.members),
  };
}

/** The time windows of manual entries that have one: `{ user: { startsAt, expiresAt } }`. */
function memberWindows(members) {
  const out = {};
  for (const entry of Array.isArray(members) ? members : []) {
    if (!entry || typeof entry !== "object" || typeof entry.user !== "string") continue;
    if (!entry.startsAt && !entry.expiresAt) continue;
    (out[entry.user] ??= []).push({ startsAt: entry.startsAt ?? null, expiresAt: entry.expiresAt ?? null });
  }
  return out;
}

function describeUser(id) {
  loaded();
  const user = tenant.users.get(id);
  if (!user) return null;
  return {
    id: user.id,
    name: user.name ?? null,
    orgRole: user.orgRole ?? "member",
    attributes: user.attributes ?? {},
    roles: user.roles ?? [],
    primaryGroup: user.primaryGroup ? { id: user.primaryGroup, name: nameOf("groups", user.primaryGroup) } : null,
    locale: user.locale ?? null,
    manager: managerOf(user),
  };
}

function managerOf(user) {
  const manager = readField(user, "manager");
  return typeof manager === "string" && tenant.users.has(manager)
    ? { id: manager, name: nameOf("users", manager) }
    : null;
}

/** Users whose name or id contains `search` (folded as the engine folds), by name. */
function searchUsers({ search = "", page = 1, pageSize = 20 }) {
  loaded();
  const needle = fold(search.trim());
  const hits = needle ? tenant.userList.filter((user) => user.key.includes(needle)) : tenant.userList;
  const start = (page - 1) * pageSize;
  return {
    total: hits.length,
    users: hits.slice(start, start + pageSize).map(({ id, name }) => {
      const user = tenant.users.get(id);
      const attributes = user.attributes ?? {};
      return {
        user: id,
        name,
        orgRole: user.orgRole ?? "member",
        jobTitle: typeof attributes.jobTitle === "string" ? attributes.jobTitle : null,
        department: typeof attributes.department === "string" ? attributes.department : null,
      };
    }),
  };
}

/**
 * Why `user` matches `rule` or not, node by node, for a rule that is not (yet) a group's rule
 * (`explain` traces a group's own rule). Each node's result comes from the engine: the node
 * is previewed together with `id = user`. The `actual` value shown beside a condition is read
 * from the snapshot the way the engine reads fields (SPEC §4.1).
 */
function traceRule({ rule, user }) {
  const engine = loaded();
  const record = tenant.users.get(user);
  if (!record) return { error: { code: "unknown-user", message: `unknown user \`${user}\`` } };
  let ast;
  try {
    ast = typeof rule === "string" ? parseRule(rule) : rule;
  } catch (error) {
    return { error: plainError(error) };
  }
  const only = { field: "id", op: "=", value: user };
  const holds = (node) => {
    const answer = engine.query({ op: "previewRule", rule: { all: [node, only] }, limit: 1 });
    if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
    return answer.users.some((hit) => hit.user === user);
  };
  const walk = (node) => {
    if (Array.isArray(node.all)) return { all: node.all.map(walk), result: holds(node) };
    if (Array.isArray(node.any)) return { any: node.any.map(walk), result: holds(node) };
    if (node.not !== undefined) return { not: walk(node.not), result: holds(node) };
    const result = holds(node);
    const actual = node.op === "MEMBER OF" ? result : (readField(record, node.field) ?? null);
    return { ...node, actual, result };
  };
  try {
    const trace = walk(ast);
    return { matched: trace.result, trace };
  } catch (error) {
    return { error: plainError(error) };
  }
}

// ---------------------------------------------------------------------------------------------
// Changes

/** Applies a change list in the engine, then to the snapshot the worker holds. */
function apply({ changes, revision }) {
  const request = { op: "apply", changes };
  if (revision) request.revision = revision;
  const answer = ask(request);
  if (answer.error) return answer;
  const snapshot = applyToSnapshot(tenant.snapshot, changes);
  if (revision) snapshot.revision = revision;
  else delete snapshot.revision;
  tenant = indexSnapshot(snapshot);
  return { ...answer, summary: summary() };
}

// ---------------------------------------------------------------------------------------------

function plainError(error) {
  if (error && typeof error === "object") {
    const out = { message: String(error.message ?? error), code: error.code ?? null };
    for (const key of ["path", "line", "column", "expected"]) {
      if (error[key] !== undefined) out[key] = error[key];
    }
    return out;
  }
  return { message: String(error), code: null };
}
