// The console's engine, in a Web Worker: the page never blocks on loading or evaluating.
//
// The engine is the only model. The worker holds the groupgate Engine and small lists for the
// pickers (each group's, role's, product's and module's id and name); a group's or a user's
// definition, the whole snapshot for export, user search and name order all come from the
// engine's answers (`definition`, `snapshot`, `previewRule`, `listGroups`). The snapshot's text is
// read once at load and not kept.
//
// Protocol: the page posts `{ call, type, args }`; the worker answers `{ call, result }` or
// `{ call, error }`, and may post `{ call, progress }` before that. At start it posts
// `{ type: "ready", version }`.

import { Engine, parseRule, version } from "groupgate/inline";

import { topLevel } from "./text.js";

/** @type {Engine | null} */
let engine = null;
/** What the pickers list and the sidebar counts: see `census`. `null` before the first load. */
let tenant = null;
/** Which groups include each group, asked once per state of the engine (see `includers`). */
let includedBy = null;

const handlers = {
  load,
  query: ({ request }) => ask(request),
  batch: ({ requests }) => requests.map(ask),
  group: ({ id }) => describeGroup(id),
  user: ({ id }) => describeUser(id),
  catalog: () => catalog(),
  names,
  searchUsers,
  traceRule,
  apply,
  snapshotText,
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
  let text = await readSource(source, progress);
  progress({ phase: "compile" });
  // The engine reads the text itself: its errors carry a JSON path or a line and column.
  const next = new Engine(text);
  progress({ phase: "index" });
  // The few top-level values the pickers need, read from the text without building the rest.
  const head = topLevel(text, ["asOf", "defaultLocale", "roles", "products", "modules"]);
  text = null;
  engine?.free();
  engine = next;
  tenant = census(head);
  includedBy = null;
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

/**
 * What the console lists besides the engine's answers: the groups in name order
 * (`listGroups`), the number of users (a rule every user matches), and from `head` (the
 * snapshot's top-level values, see `topLevel`) the roles, products and modules with their names.
 */
function census(head) {
  const locale = typeof head.defaultLocale === "string" ? head.defaultLocale : "en";
  const items = (list) =>
    (Array.isArray(list) ? list : [])
      .filter((item) => item && typeof item.id === "string")
      .map((item) => ({ id: item.id, name: localName(item.name, locale) ?? item.id }));
  return {
    revision: engine.diagnostics().revision ?? null,
    asOf: typeof head.asOf === "string" ? head.asOf : null,
    locale,
    users: countUsers(),
    groups: allGroups(),
    roles: items(head.roles),
    products: items(head.products),
    modules: items(head.modules),
  };
}

function countUsers() {
  return must(engine.query({ op: "previewRule", rule: EVERYONE, limit: 0 })).count;
}

/** A rule every user matches: every user has an id. */
const EVERYONE = { field: "id", op: "EXISTS" };

/** Every group, hidden ones included, in the engine's name order. */
function allGroups() {
  const out = [];
  for (let page = 1; ; page++) {
    const answer = must(engine.query({ op: "listGroups", includeHidden: true, page, pageSize: 1000 }));
    for (const g of answer.groups) out.push({ id: g.group, name: g.name, isActive: g.isActive });
    if (out.length >= answer.total || !answer.groups.length) return out;
  }
}

function summary() {
  const diagnostics = engine.diagnostics().diagnostics;
  return {
    version: version(),
    revision: tenant.revision,
    asOf: tenant.asOf,
    defaultLocale: tenant.locale,
    counts: {
      users: tenant.users,
      groups: tenant.groups.length,
      roles: tenant.roles.length,
      products: tenant.products.length,
      modules: tenant.modules.length,
    },
    diagnostics: {
      errors: diagnostics.filter((d) => d.severity === "error").length,
      warnings: diagnostics.filter((d) => d.severity === "warning").length,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Questions

function loaded() {
  if (!engine) throw Object.assign(new Error("no tenant is loaded"), { code: "console" });
  return engine;
}

/** Any request; failures come back as `{ error }` answers, never thrown. */
function ask(request) {
  return loaded().query(request);
}

/** The answer, or its error thrown. */
function must(answer) {
  if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
  return answer;
}

/** An item as the snapshot now defines it, or `null` when it is not defined. */
function definition(kind, id) {
  const answer = ask({ op: "definition", [kind]: id });
  if (answer.error?.code?.startsWith("unknown-") && answer.error.code !== "unknown-op") return null;
  return must(answer).definition;
}

/** A localized name in `locale` (or the first one given). */
function localName(name, locale = tenant?.locale ?? "en") {
  if (typeof name === "string") return name;
  if (name && typeof name === "object") {
    return name[locale] ?? Object.values(name).find((text) => typeof text === "string") ?? null;
  }
  return null;
}

const KIND = { users: "user", groups: "group", roles: "role", products: "product", modules: "module" };

/** Names of the given ids: `{ users: { id: name }, groups: …, roles: …, products: …, modules: … }`. */
function names(ids) {
  loaded();
  const out = {};
  for (const kind of Object.keys(KIND)) {
    out[kind] = {};
    for (const id of new Set(ids[kind] ?? [])) {
      const item = definition(KIND[kind], id);
      out[kind][id] = item ? (kind === "users" ? (item.name ?? null) : localName(item.name)) : null;
    }
  }
  return out;
}

/** Pickers' lists: every group, role, product and module with its name. */
function catalog() {
  loaded();
  return { groups: tenant.groups, roles: tenant.roles, products: tenant.products, modules: tenant.modules };
}

/** Which groups include each group: every group's `includeGroups`, asked once per state. */
function includers() {
  if (!includedBy) {
    includedBy = new Map();
    for (const { id, name } of tenant.groups) {
      for (const source of definition("group", id)?.includeGroups ?? []) {
        if (!includedBy.has(source)) includedBy.set(source, []);
        includedBy.get(source).push({ id, name });
      }
    }
  }
  return includedBy;
}

function describeGroup(id) {
  loaded();
  const group = definition("group", id);
  if (!group) return null;
  let ruleText = null;
  let ruleError = null;
  if (typeof group.rule === "string") {
    ruleText = group.rule;
    const parsed = ask({ op: "parseRule", text: group.rule });
    if (parsed.error) ruleError = parsed.error;
  } else if (group.rule != null) {
    const answer = ask({ op: "formatRule", rule: group.rule });
    if (answer.error) ruleError = answer.error;
    else ruleText = answer.text;
  }
  const named = (kind, ids) => {
    const found = names({ [kind]: Array.isArray(ids) ? ids : [] })[kind];
    return Object.entries(found).map(([item, name]) => ({ id: item, name }));
  };
  const locale = tenant.locale;
  const localized = typeof group.name === "string" ? { [locale]: group.name } : (group.name ?? {});
  const creator = typeof group.createdBy === "string" ? group.createdBy : null;
  const module = typeof group.homepageModule === "string" ? group.homepageModule : null;
  return {
    id: group.id,
    name: localName(group.name) ?? group.id,
    names: localized,
    slug: group.slug ?? null,
    description: group.description ?? null,
    isActive: group.isActive !== false,
    isVisible: group.isVisible !== false,
    createdAt: group.createdAt ?? null,
    createdBy: creator ? { id: creator, name: names({ users: [creator] }).users[creator] } : null,
    rule: group.rule ?? null,
    ruleText,
    ruleError,
    roles: named("roles", group.roles),
    products: named("products", group.products),
    includeGroups: named("groups", group.includeGroups),
    includedBy: includers().get(id) ?? [],
    homepageModule: module ? { id: module, name: names({ modules: [module] }).modules[module] } : null,
    dashboard: group.dashboard ?? null,
    windows: memberWindows(group.members),
  };
}

/** The time windows of manual entries that have one: `{ user: [{ startsAt, expiresAt }] }`. */
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
  const user = definition("user", id);
  if (!user) return null;
  const attributes = user.attributes && typeof user.attributes === "object" ? user.attributes : {};
  const manager = typeof attributes.manager === "string" ? definition("user", attributes.manager) : null;
  const home = typeof user.primaryGroup === "string" ? user.primaryGroup : null;
  return {
    id: user.id,
    name: user.name ?? null,
    orgRole: user.orgRole ?? "member",
    attributes,
    roles: user.roles ?? [],
    primaryGroup: home ? { id: home, name: names({ groups: [home] }).groups[home] } : null,
    locale: user.locale ?? null,
    manager: manager ? { id: manager.id, name: manager.name ?? null } : null,
  };
}

/**
 * Users whose name or id contains `search` (case ignored, as the rule operator `LIKE` compares),
 * in the engine's name order. The engine lists at most 1,000 users an answer, so a search pages
 * through its first 1,000 matches.
 */
function searchUsers({ search = "", page = 1, pageSize = 20 }) {
  loaded();
  const needle = search.trim();
  const rule = needle
    ? { any: [{ field: "name", op: "LIKE", value: needle }, { field: "id", op: "LIKE", value: needle }] }
    : EVERYONE;
  const limit = Math.min(1000, page * pageSize);
  const answer = must(ask({ op: "previewRule", rule, limit }));
  const shown = answer.users.slice((page - 1) * pageSize, page * pageSize);
  return {
    total: answer.count,
    users: shown.map(({ user, name }) => {
      const item = definition("user", user);
      const attributes = item?.attributes ?? {};
      const text = (value) => (typeof value === "string" ? value : null);
      const orgRole = ["owner", "admin"].includes(item?.orgRole) ? item.orgRole : "member";
      return { user, name, orgRole, jobTitle: text(attributes.jobTitle), department: text(attributes.department) };
    }),
  };
}

/**
 * Why `user` matches `rule` or not, node by node, for a rule that is not (yet) a group's rule
 * (`explain` traces a group's saved rule). Each node's result comes from the engine: the node
 * is previewed together with `id = user`.
 */
function traceRule({ rule, user }) {
  const current = loaded();
  if (!definition("user", user)) return { error: { code: "unknown-user", message: `unknown user \`${user}\`` } };
  let ast;
  try {
    ast = typeof rule === "string" ? parseRule(rule) : rule;
  } catch (error) {
    return { error: plainError(error) };
  }
  const only = { field: "id", op: "=", value: user };
  const holds = (node) => must(current.query({ op: "previewRule", rule: { all: [node, only] }, limit: 0 })).count > 0;
  const walk = (node) => {
    if (Array.isArray(node.all)) return { all: node.all.map(walk), result: holds(node) };
    if (Array.isArray(node.any)) return { any: node.any.map(walk), result: holds(node) };
    if (node.not !== undefined) return { not: walk(node.not), result: holds(node) };
    return { ...node, result: holds(node) };
  };
  try {
    const trace = walk(ast);
    return { matched: trace.result, trace };
  } catch (error) {
    return { error: plainError(error) };
  }
}

// ---------------------------------------------------------------------------------------------
// Changes and export

/** Applies a change list in the engine (only on the state it was staged against). */
function apply({ changes, revision }) {
  const request = { op: "apply", changes, base: tenant.revision };
  if (revision) request.revision = revision;
  const answer = ask(request);
  if (answer.error) return answer;
  tenant = { ...tenant, revision: answer.revision ?? null, users: countUsers(), groups: allGroups() };
  // Roles, products and `asOf` change only through their own changes: each is asked again.
  for (const change of changes) {
    const [kind, body] = Object.entries(change)[0];
    if (kind === "setAsOf") tenant.asOf = body;
    for (const [list, key] of [["roles", "Role"], ["products", "Product"]]) {
      const id = kind === `upsert${key}` ? body?.id : kind === `remove${key}` ? body : null;
      if (typeof id !== "string") continue;
      const item = definition(key.toLowerCase(), id);
      const rest = tenant[list].filter((other) => other.id !== id);
      tenant[list] = item ? [...rest, { id, name: localName(item.name) ?? id }] : rest;
    }
  }
  includedBy = null;
  return { ...answer, summary: summary() };
}

/** The whole snapshot the engine now answers for, as JSON text (`snapshot`). */
function snapshotText() {
  const answer = must(loaded().query({ op: "snapshot" }));
  return { text: JSON.stringify(answer.snapshot), revision: answer.snapshot.revision ?? null };
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
