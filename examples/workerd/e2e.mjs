// The Worker under real workerd: starts it on 127.0.0.1 with the compiled sample tenant, asks it
// over HTTP, and stops it. Run by `make test-workerd`, which builds what it needs:
//
//   node examples/workerd/e2e.mjs
//
// GROUPGATE_WASM and GROUPGATE_GGC name the module and the compiled snapshot (defaults: under
// $CARGO_TARGET_DIR, else target/). With GROUPGATE_BIN (the `groupgate` command), every answer
// body is also compared with the native engine's answer to the same request.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { request as httpRequest } from "node:http";
import { after, before, test } from "node:test";
import { defaults, start } from "./serve.mjs";

const snapshot = process.env.GROUPGATE_GGC ?? defaults.snapshot;
const wasm = process.env.GROUPGATE_WASM ?? defaults.wasm;
const REVISION = "sample-2025-06-01";

// However the run ends, workerd does not outlive it.
const deadline = setTimeout(async () => {
  console.error("e2e: no end after 120 s; stopping workerd");
  await server?.stop(0);
  process.exit(1);
}, 120_000);
deadline.unref();

let server;

before(async () => {
  server = await start({
    wasm,
    snapshot,
    bindings: { GROUPGATE_STATS: "on", GROUPGATE_TEST_TRAP: "on" },
    timeoutMs: 30_000,
  });
});

after(async () => {
  const { pid } = server;
  await server.stop();
  assert.throws(() => process.kill(pid, 0), { code: "ESRCH" }, "workerd is still running");
  clearTimeout(deadline);
});

/** The native engine's answer to each request (JSON Lines through `groupgate query --native`). */
function native(requests) {
  const bin = process.env.GROUPGATE_BIN;
  if (!bin) return null;
  const input = requests.map((r) => JSON.stringify(r)).join("\n") + "\n";
  const out = execFileSync(bin, ["query", "--compiled", snapshot, "--native"], { input, encoding: "utf8" });
  return out.trimEnd().split("\n");
}

async function ask(path, init = {}) {
  const response = await fetch(server.url + path, init);
  const text = await response.text();
  return {
    status: response.status,
    reason: response.headers.get("x-groupgate-reason"),
    type: response.headers.get("content-type"),
    text,
    body: text ? JSON.parse(text) : null,
  };
}

/** A GET with raw header bytes, which fetch() would refuse to send. */
function rawGet(path, headers) {
  return new Promise((done, fail) => {
    const req = httpRequest(server.url + path, { headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => done({ status: res.statusCode, body: JSON.parse(text) }));
    });
    req.on("error", fail);
    req.end();
  });
}

function assertError(answer, status, path) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.body.error.code, "invalid-request");
  assert.equal(answer.body.error.path, path);
  assert.deepEqual(Object.keys(answer.body.error), ["code", "column", "expected", "line", "message", "path"]);
  assert.equal(answer.body.revision, REVISION);
}

const checks = [
  // [user, product, status, reason]
  ["u-lucas", "p-github", 200, "group"],
  ["u-camille", "p-salesforce", 200, "owner"],
  ["u-amelia", "p-salesforce", 200, "admin"],
  ["u-lucas", "p-salesforce", 403, "no-group"],
  ["u-nobody", "p-github", 403, "unknown-user"],
  ["u-lucas", "p-nothing", 403, "unknown-product"],
];

test("checks in the query string: 200 allowed, 403 denied, unknown users and products denied", async () => {
  const expected = native(checks.map(([user, product]) => ({ op: "check", user, product })));
  for (const [i, [user, product, status, reason]] of checks.entries()) {
    const answer = await ask(`/check?user=${encodeURIComponent(user)}&product=${encodeURIComponent(product)}`);
    assert.equal(answer.status, status, `${user} ${product}: ${answer.text}`);
    assert.equal(answer.reason, reason);
    assert.equal(answer.type, "application/json; charset=utf-8");
    assert.equal(answer.body.allowed, status === 200);
    assert.equal(answer.body.reason, reason);
    assert.equal(answer.body.revision, REVISION);
    if (expected) assert.equal(answer.text, expected[i], "the native engine answers otherwise");
  }
  const denied = await ask("/check?user=u-lucas&product=p-salesforce");
  assert.deepEqual(denied.body.productGroups, ["g-exec", "g-sales"]);
  const allowed = await ask("/check?user=u-lucas&product=p-github");
  assert.deepEqual(allowed.body.via, ["g-eng-all"]);
  // Ids longer than the scratch buffer's first size make it grow.
  for (const route of ["/check", "/allow"]) {
    const long = await ask(`${route}?user=${"é".repeat(3000)}&product=p-github`);
    assert.equal(long.status, 403);
    assert.equal(long.body.reason, "unknown-user");
  }
  assert.equal((await ask("/allow?user=u-lucas&product=p-github")).status, 200);
});

test("checks in headers answer the same", async () => {
  for (const [user, product, status, reason] of checks) {
    const byHeader = await ask("/check", { headers: { "x-user": user, "x-product": product } });
    const byQuery = await ask(`/check?user=${user}&product=${product}`);
    assert.equal(byHeader.status, status);
    assert.equal(byHeader.reason, reason);
    assert.equal(byHeader.text, byQuery.text);
  }
  const mixed = await ask("/check?product=p-github", { headers: { "x-user": "u-lucas" } });
  assert.equal(mixed.status, 200);
});

test("/allow answers the decision alone, through the fast path", async () => {
  for (const [user, product, status, reason] of checks) {
    const full = await ask(`/check?user=${user}&product=${product}`);
    const fast = await ask(`/allow?user=${user}&product=${product}`);
    assert.equal(fast.status, status);
    assert.equal(fast.reason, reason);
    const { allowed, revision } = full.body;
    assert.equal(fast.text, JSON.stringify({ allowed, reason, revision }));
    const byHeader = await ask("/allow", { headers: { "x-user": user, "x-product": product } });
    assert.equal(byHeader.text, fast.text);
  }
  assertError(await ask("/allow?user=u-lucas"), 400, "$");
  assertError(await ask("/allow?user=u-lucas&product=p-github&x=1"), 400, "$.x");
});

test("HEAD answers the status and reason alone", async () => {
  for (const route of ["/check", "/allow"]) {
    for (const [user, product, status, reason] of checks) {
      const answer = await ask(`${route}?user=${user}&product=${product}`, { method: "HEAD" });
      assert.equal(answer.status, status);
      assert.equal(answer.reason, reason);
      assert.equal(answer.text, "");
    }
    const bad = await ask(`${route}?user=u-lucas`, { method: "HEAD" });
    assert.equal(bad.status, 400);
    assert.equal(bad.text, "");
  }
});

test("bad requests: 400 with an error in the contract's shape", async () => {
  assertError(await ask("/check?product=p-github"), 400, "$");
  assertError(await ask("/check"), 400, "$");
  assertError(await ask("/check?user=%FF&product=p-github"), 400, "$.user");
  assertError(await ask("/check?user=%E2%82&product=p-github"), 400, "$.user");
  assertError(await ask("/check?user=a&user=b&product=p-github"), 400, "$.user");
  assertError(await ask("/check?user=a&product=p-github&prodcut=p"), 400, "$.prodcut");
  assertError(await ask("/check?op=members&group=g-exec"), 400, "$.op");
  assertError(await ask("/check?product=p-github&user=u-lucas", { headers: { "x-user": "u-lucas" } }), 400, "$.user");
  assertError(await rawGet("/check?product=p-github", { "x-user": Buffer.from([0x75, 0xff]).toString("latin1") }), 400, "$.user");
  const unicode = await ask("/check?user=u&product=p&r%C3%B4le=x");
  assertError(unicode, 400, '$["rôle"]');
  assertError(await ask("/check?user=u&product=p&my+key=1&my%20key=2"), 400, '$["my key"]');
  assert.match(unicode.body.error.message, /rôle/);
});

test("UTF-8 in headers and the query reaches the engine intact", async () => {
  const viaHeader = await rawGet("/check?product=p-github", { "x-user": Buffer.from("u-zoë").toString("latin1") });
  assert.equal(viaHeader.status, 403);
  assert.equal(viaHeader.body.reason, "unknown-user");
  const viaQuery = await ask(`/check?product=p-github&user=${encodeURIComponent("u-zoë")}`);
  assert.equal(viaQuery.text, JSON.stringify(viaHeader.body));
});

test("other methods and routes", async () => {
  const post = await ask("/check?user=u-lucas&product=p-github", { method: "POST", body: "{}" });
  assertError(post, 405, null);
  assert.equal((await fetch(`${server.url}/check`, { method: "PUT" })).headers.get("allow"), "GET, HEAD");
  assertError(await ask("/"), 404, null);
});

test("a trapped instance is replaced by a fresh one", async () => {
  const before = (await ask("/stats")).body;
  const trapped = await ask("/check?user=u-lucas&product=p-github", { headers: { "x-groupgate-test-trap": "1" } });
  assert.equal(trapped.status, 500);
  assert.equal(trapped.body.error.code, "engine-trapped");
  const next = await ask("/check?user=u-lucas&product=p-github");
  assert.equal(next.status, 200);
  assert.equal(next.body.reason, "group");
  const stats = (await ask("/stats")).body;
  assert.equal(stats.instances, before.instances + 1);
  assert.equal(stats.traps, before.traps + 1);
  assert.match(server.output(), /groupgate: the engine trapped/);
});

test("a compiled snapshot that the module refuses: 500 with the engine's answer, on every request", async () => {
  const dir = mkdtempSync(join(tmpdir(), "groupgate-e2e-"));
  const truncated = join(dir, "truncated.ggc");
  const bytes = readFileSync(snapshot);
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
  const broken = await start({ wasm, snapshot: truncated, bindings: { GROUPGATE_STATS: "on" }, timeoutMs: 30_000 });
  try {
    for (const path of ["/check?user=u-lucas&product=p-github", "/allow?user=u-lucas&product=p-github"]) {
      const response = await fetch(broken.url + path);
      const answer = await response.json();
      assert.equal(response.status, 500);
      assert.equal(answer.error.code, "invalid-snapshot");
      assert.match(answer.error.message, /truncated/);
    }
    const stats = await (await fetch(`${broken.url}/stats`)).json();
    assert.equal(stats.instances, 1, "a refused snapshot is not restored again");
  } finally {
    await broken.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a gzip-compressed snapshot answers the same, and is inflated again for a fresh instance", async () => {
  const dir = mkdtempSync(join(tmpdir(), "groupgate-e2e-"));
  const gz = join(dir, "tenant.ggc.gz");
  const corrupt = join(dir, "corrupt.ggc.gz");
  const packed = gzipSync(readFileSync(snapshot));
  writeFileSync(gz, packed);
  const broken = Buffer.from(packed);
  broken[broken.length >> 1] ^= 0xff;
  writeFileSync(corrupt, broken);
  const servers = [];
  try {
    const compressed = await start({ wasm, snapshot: gz, bindings: { GROUPGATE_STATS: "on", GROUPGATE_TEST_TRAP: "on" } });
    servers.push(compressed);
    const paths = checks.map(([user, product]) => `/check?user=${user}&product=${product}`);
    // Several requests at once on a cold isolate share one restore.
    const first = await Promise.all(paths.map((path) => fetch(compressed.url + path).then((r) => r.text())));
    for (const [i, path] of paths.entries()) assert.equal(first[i], (await ask(path)).text);
    const stats = await (await fetch(`${compressed.url}/stats`)).json();
    assert.equal(stats.instances, 1);
    const trapped = await fetch(compressed.url + paths[0], { headers: { "x-groupgate-test-trap": "1" } });
    assert.equal(trapped.status, 500);
    assert.equal(await (await fetch(compressed.url + paths[0])).text(), first[0]);
    assert.equal((await (await fetch(`${compressed.url}/stats`)).json()).instances, 2);

    const refused = await start({ wasm, snapshot: corrupt, bindings: {} });
    servers.push(refused);
    const response = await fetch(refused.url + paths[0]);
    assert.equal(response.status, 500);
    assert.equal((await response.json()).error.code, "invalid-snapshot");
  } finally {
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
