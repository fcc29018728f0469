// The npm package's own `workerd` entry (pkg/workerd.mjs) under real workerd: a small Worker
// imports "groupgate" as a Cloudflare build resolves it, and its answers must equal the native
// engine's, byte for byte. Run by `make test-workerd`, after `make wasm-js`:
//
//   GROUPGATE_BIN=target/debug/groupgate node examples/workerd/package-entry.mjs
//
// Resolution as wrangler does it: the package's `exports["."]` read with the conditions
// `workerd`, `worker`, `browser` (then `import`, `default`), the first that matches in the
// order the package lists them. The entry and every module it imports (followed through their
// relative static imports) go into the config under node_modules/groupgate/, with their types
// (`.wasm` a compiled WebAssembly module, as wrangler makes it; `.js`/`.mjs` ES modules), and
// the bare name "groupgate" maps to the resolved entry. Nothing is bundled or rewritten: the
// Worker runs the package's files as npm ships them (the `files` list of package.json).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { start } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
// The package: pkg/, or GROUPGATE_PKG_DIR (the quick build of `make test`, say).
const pkgDir = process.env.GROUPGATE_PKG_DIR ? resolve(process.env.GROUPGATE_PKG_DIR) : join(root, "pkg");
const SAMPLE = join(root, "samples/tenant.json");
/** The conditions wrangler's bundler resolves packages with, after its own `workerd`. */
const CONDITIONS = ["workerd", "worker", "browser", "import", "default"];

/** The target of `exports["."]` under `conditions` (Node's algorithm: the first listed key that is a condition). */
export function resolveEntry(pkg, conditions = CONDITIONS) {
  let target = pkg.exports?.["."] ?? pkg.exports;
  while (target && typeof target === "object") {
    const key = Object.keys(target).find((k) => conditions.includes(k));
    assert.ok(key, `exports["."] has none of the conditions ${conditions.join(", ")}`);
    target = target[key];
  }
  assert.equal(typeof target, "string", "exports[\".\"] resolves to a path");
  return posix.normalize(target);
}

/** The entry and every file it reaches through relative static imports: `[{ path, type }]`. */
export function moduleGraph(entry) {
  const files = new Map();
  const visit = (path) => {
    if (files.has(path)) return;
    const file = join(pkgDir, path);
    assert.ok(existsSync(file), `${path} is missing from pkg/: run \`make wasm-js\``);
    if (path.endsWith(".wasm")) {
      files.set(path, "wasm");
      return;
    }
    assert.match(path, /\.m?js$/, `${path}: a module type workerd cannot load`);
    files.set(path, "esModule");
    const source = readFileSync(file, "utf8");
    for (const [, specifier] of source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm)) {
      if (specifier?.startsWith(".")) visit(posix.normalize(posix.join(posix.dirname(path), specifier)));
    }
  };
  visit(entry);
  return [...files].map(([path, type]) => ({ path, type }));
}

// The Worker: POST requests as JSON Lines to `/`, get one answer line each, from an engine
// loaded from the bundled sample tenant, or (`?restored`) from an engine restored from that
// engine's compiled bytes; POST one request of any text to `/one`. A fresh engine per HTTP
// request: an `apply` is seen by the lines after it, not by other HTTP requests.
const WORKER = `import { Engine, version } from "groupgate";
import tenant from "tenant.json";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/version") return new Response(version());
    let engine = new Engine(tenant);
    if (url.searchParams.has("restored")) {
      const bytes = engine.export();
      engine.free();
      engine = Engine.fromCompiled(bytes);
    }
    try {
      const body = await request.text();
      if (url.pathname === "/one") return new Response(engine.queryJson(body));
      const lines = body.split("\\n").filter((line) => line.trim() !== "");
      return new Response(lines.map((line) => engine.queryJson(line)).join("\\n") + "\\n");
    } finally {
      engine.free();
    }
  },
};
`;

// Every family of ops, an error of each kind, and a change with what it changes after it.
const REQUESTS = [
  { op: "check", user: "u-lucas", product: "p-github" },
  { op: "check", user: "u-lucas", product: "p-salesforce" },
  { op: "checkBatch", checks: [{ user: "u-camille", product: "p-salesforce" }, { user: "nobody", product: "p-github" }] },
  { op: "userAccess", user: "u-sophie" },
  { op: "homepage", user: "u-priya" },
  { op: "members", group: "g-paris-managers" },
  { op: "explain", user: "u-elodie", group: "g-paris-managers" },
  { op: "whoCanAccess", product: "p-pagerduty", pageSize: 1000 },
  { op: "previewRule", rule: "location = Paris AND job LIKE Manager", limit: 5 },
  { op: "parseRule", text: "department = Sales AND NOT level >= 5" },
  { op: "suggest", text: "department = S", cursor: 14 },
  { op: "listGroups", pageSize: 1000 },
  { op: "lint" },
  { op: "previewRule", rule: "department = " },
  { op: "members", group: "g-nope" },
  { op: "check", user: "u-lucas", product: "p-github", prodcut: "x" },
  { op: "impact", changes: [{ addMember: { group: "g-sales", user: "u-lucas" } }] },
  { op: "apply", changes: [{ addMember: { group: "g-sales", user: "u-lucas" } }], revision: "r2" },
  { op: "check", user: "u-lucas", product: "p-salesforce" },
].map((request) => JSON.stringify(request));

let server;
let entry;

before(async () => {
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  entry = resolveEntry(pkg);
  const graph = moduleGraph(entry);
  for (const { path } of graph) {
    const listed = pkg.files.some((f) => path === f || (f.endsWith("/") && path.startsWith(f)));
    assert.ok(listed, `${path} is imported by the workerd entry but not in package.json's files`);
  }
  const prefix = "node_modules/groupgate/";
  server = await start({
    modules: [
      { name: "worker.js", type: "esModule", text: WORKER },
      // The bare specifier, as a bundler resolves it: the package's entry for these conditions.
      { name: "groupgate", type: "esModule", text: `export * from "./${prefix}${entry}";\n` },
      ...graph.map(({ path, type }) => ({ name: prefix + path, type, file: join(pkgDir, path) })),
      { name: "tenant.json", type: "text", file: SAMPLE },
    ],
    timeoutMs: 30_000,
  });
});

after(async () => {
  await server?.stop();
});

/** The native engine's answers to the same lines: `groupgate query --native` (JSON Lines). */
function nativeAnswers(lines) {
  const bin = process.env.GROUPGATE_BIN;
  assert.ok(bin, "GROUPGATE_BIN names no groupgate binary (make test-workerd sets it)");
  return execFileSync(bin, ["query", "--snapshot", SAMPLE, "--native"], { input: lines.join("\n") + "\n", encoding: "utf8" })
    .trimEnd()
    .split("\n");
}

async function ask(path, lines) {
  const response = await fetch(server.url + path, { method: "POST", body: lines.join("\n") + "\n" });
  const text = await response.text();
  assert.equal(response.status, 200, `${path}: ${text.slice(0, 2000)}\n${server.output().slice(-2000)}`);
  return text.trimEnd().split("\n");
}

test("the package's workerd condition resolves to its workerd entry", () => {
  assert.equal(entry, "workerd.mjs");
});

test("the Worker answers through the package's workerd entry as the native engine does", async () => {
  const answers = await ask("/", REQUESTS);
  const native = nativeAnswers(REQUESTS);
  assert.equal(answers.length, REQUESTS.length);
  assert.deepEqual(answers, native);
  // What the answers say, so that two engines failing alike cannot pass.
  assert.equal(JSON.parse(answers[0]).reason, "group");
  assert.equal(JSON.parse(answers[13]).error.column, 14);
  assert.equal(JSON.parse(answers.at(-1)).allowed, true, "the applied change is seen by the next request");
});

test("a request that is not JSON is invalid-json at its line and column", async () => {
  const response = await fetch(`${server.url}/one`, { method: "POST", body: '{"op":"check",\n "usér": }' });
  const { error, revision } = await response.json();
  assert.deepEqual([error.code, error.line, error.column, error.path, revision], ["invalid-json", 2, 10, null, "sample-2025-06-01"]);
});

test("an engine restored from compiled bytes in the Worker answers as the native engine does", async () => {
  assert.deepEqual(await ask("/?restored", REQUESTS), nativeAnswers(REQUESTS));
});

test("the version is the package's", async () => {
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  assert.equal(await (await fetch(`${server.url}/version`)).text(), pkg.version);
});
