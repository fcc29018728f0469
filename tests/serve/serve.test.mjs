// `groupgate serve` over real HTTP: forward auth as the edge Worker answers it, the AuthZEN
// Authorization API 1.0 endpoints against the specification's own examples, the contract's
// JSON at /v1/query, the admin routes, and hostile HTTP. Run by `make test-serve`.

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SAMPLE, SAMPLE_REVISION, TOKEN, ask, bodyOf, gone, raw, scratch, startServe, statusOf } from "./harness.mjs";

let server;
before(async () => {
  server = await startServe({
    args: [
      "--max-body-bytes",
      "65536",
      "--max-header-bytes",
      "8192",
      "--header-timeout-ms",
      "300",
      "--request-timeout-ms",
      "1000",
    ],
  });
});
after(async () => {
  const { pid } = server;
  await server.stop();
  assert.ok(gone(pid), "serve is still running");
});

const post = (path, body, init = {}) => ask(server.url + path, { method: "POST", body, ...init });

describe("forward auth, as the edge Worker answers it", () => {
  test("/check: the contract's check answer, 200 when allowed, 403 when denied", async () => {
    const denied = await ask(`${server.url}/check?user=u-lucas&product=p-salesforce`);
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get("x-groupgate-reason"), "no-group");
    assert.equal(denied.headers.get("cache-control"), "no-store");
    assert.equal(
      denied.text,
      `{"allowed":false,"productGroups":["g-exec","g-sales"],"reason":"no-group","revision":"${SAMPLE_REVISION}","via":[]}`,
    );
    const allowed = await ask(`${server.url}/check?user=u-lucas&product=p-github`);
    assert.equal(allowed.status, 200);
    assert.deepEqual(allowed.json.via, ["g-eng-all"]);
  });

  test("the ids may come as x-user / x-product headers; /allow answers the decision alone", async () => {
    const allowed = await ask(`${server.url}/allow`, { headers: { "x-user": "u-lucas", "x-product": "p-github" } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.text, `{"allowed":true,"reason":"group","revision":"${SAMPLE_REVISION}"}`);
    const head = await ask(`${server.url}/check?user=u-lucas&product=p-salesforce`, { method: "HEAD" });
    assert.equal(head.status, 403);
    assert.equal(head.text, "");
    assert.equal(head.headers.get("x-groupgate-reason"), "no-group");
  });

  test("unknown users and products are a 403, as the Worker answers them", async () => {
    for (const [query, reason] of [
      ["user=u-nobody&product=p-github", "unknown-user"],
      ["user=u-lucas&product=p-nothing", "unknown-product"],
    ]) {
      const answer = await ask(`${server.url}/check?${query}`);
      assert.equal(answer.status, 403, query);
      assert.equal(answer.json.reason, reason);
    }
  });

  test("a request that cannot be read is a 400 with the contract's error body and its path", async () => {
    for (const [query, headers, path] of [
      ["user=u-lucas", {}, "$"],
      ["user=u-lucas&product=p-github&prodcut=x", {}, "$.prodcut"],
      ["user=a&user=b&product=p", {}, "$.user"],
      ["user=u-lucas&product=p-github", { "x-user": "u-lucas" }, "$.user"],
      ["op=check&user=u&product=p", {}, "$.op"],
    ]) {
      const answer = await ask(`${server.url}/check?${query}`, { headers });
      assert.equal(answer.status, 400, query);
      assert.equal(answer.json.error.code, "invalid-request", query);
      assert.equal(answer.json.error.path, path, query);
      assert.equal(answer.json.revision, SAMPLE_REVISION);
    }
  });
});

describe("AuthZEN Authorization API 1.0", () => {
  const evaluation = (body, init) => post("/access/v1/evaluation", body, init);
  const evaluations = (body) => post("/access/v1/evaluations", body);
  const user = { type: "user", id: "u-lucas" };
  const product = (id) => ({ type: "product", id });

  test("an evaluation: a decision, the reason in its context, the X-Request-ID echoed", async () => {
    // The shape of the specification's HTTPS Access Evaluation Request example.
    const answer = await evaluation(
      {
        subject: user,
        resource: product("p-github"),
        action: { name: "can_read", properties: { method: "GET" } },
        context: { time: "1985-10-26T01:22-07:00" },
      },
      { headers: { "X-Request-ID": "bfe9eb29-ab87-4ca3-be83-a1d5d8305716" } },
    );
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get("content-type"), /^application\/json/);
    assert.equal(answer.headers.get("x-request-id"), "bfe9eb29-ab87-4ca3-be83-a1d5d8305716");
    assert.deepEqual(answer.json, {
      context: { productGroups: [], reason: "group", revision: SAMPLE_REVISION, via: ["g-eng-all"] },
      decision: true,
    });
  });

  test("a denial is still a 200: the decision is false, and the context says where to grant it", async () => {
    const answer = await evaluation({ subject: user, resource: product("p-salesforce"), action: { name: "use" } });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.decision, false);
    assert.deepEqual(answer.json.context.productGroups, ["g-exec", "g-sales"]);
    assert.equal(answer.json.context.reason, "no-group");
  });

  test("a permission resource is hasPermission", async () => {
    const granted = await evaluation({ subject: user, resource: { type: "permission", id: "repo.read" }, action: { name: "use" } });
    assert.deepEqual(granted.json, { context: { revision: SAMPLE_REVISION, roles: ["r-developer"] }, decision: true });
    const refused = await evaluation({ subject: user, resource: { type: "permission", id: "payroll.run" }, action: { name: "use" } });
    assert.deepEqual(refused.json, { context: { revision: SAMPLE_REVISION, roles: [] }, decision: false });
  });

  test("a type groupgate does not decide is a closed decision with the error in its context", async () => {
    // The specification's own Access Evaluation Request example: a resource of type `account`.
    const answer = await evaluation({
      subject: { type: "user", id: "alice@acmecorp.com" },
      resource: { type: "account", id: "123" },
      action: { name: "can_read", properties: { method: "GET" } },
      context: { time: "1985-10-26T01:22-07:00" },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.decision, false);
    assert.equal(answer.json.context.error.code, "invalid-request");
    assert.equal(answer.json.context.error.path, "$.resource.type");
    const machine = await evaluation({ subject: { type: "service", id: "ci" }, resource: product("p-github"), action: { name: "use" } });
    assert.equal(machine.json.decision, false);
    assert.equal(machine.json.context.error.path, "$.subject.type");
  });

  test("a payload that is not a request is a 400 with the contract's error body", async () => {
    for (const [body, path] of [
      [{ resource: product("p-github"), action: { name: "use" } }, "$.subject"],
      [{ subject: { type: "user" }, resource: product("p-github"), action: { name: "use" } }, "$.subject.id"],
      [{ subject: user, resource: product("p-github"), action: {} }, "$.action.name"],
      [{ subject: user, resource: product("p-github"), action: { name: "use" }, context: 3 }, "$.context"],
      [[1, 2], "$"],
    ]) {
      const answer = await evaluation(body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.json.error.code, "invalid-request");
      assert.equal(answer.json.error.path, path);
    }
  });

  test("evaluations: three requests with no defaults, answered in order", async () => {
    const answer = await evaluations({
      evaluations: [
        { subject: user, action: { name: "can_read" }, resource: product("p-github"), context: { time: "2024-05-31T15:22-07:00" } },
        { subject: user, action: { name: "can_read" }, resource: product("p-salesforce"), context: { time: "2024-05-31T15:22-07:00" } },
        { subject: { type: "user", id: "u-sophie" }, action: { name: "can_read" }, resource: product("p-github") },
      ],
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(
      answer.json.evaluations.map((e) => e.decision),
      [true, false, false],
    );
    assert.equal(answer.json.decision, undefined);
  });

  test("evaluations: top-level subject, action and context are defaults an element overrides", async () => {
    const answer = await evaluations({
      subject: user,
      context: { time: "2024-05-31T15:22-07:00" },
      action: { name: "can_read" },
      evaluations: [
        { resource: product("p-github") },
        { resource: product("p-salesforce") },
        { action: { name: "can_edit" }, resource: product("p-github") },
        { subject: { type: "user", id: "u-nobody" }, resource: product("p-github") },
        { resource: { type: "document", id: "boxcarring.md" } },
        { resource: { type: "product" } },
        7,
      ],
    });
    assert.equal(answer.status, 200);
    const [github, salesforce, edit, nobody, doc, noId, seven] = answer.json.evaluations;
    assert.equal(github.decision, true);
    assert.equal(salesforce.decision, false);
    assert.equal(edit.decision, true);
    assert.deepEqual([nobody.decision, nobody.context.reason], [false, "unknown-user"]);
    assert.deepEqual([doc.decision, doc.context.error.path], [false, "$.evaluations[4].resource.type"]);
    assert.deepEqual([noId.decision, noId.context.error.path], [false, "$.evaluations[5].resource.id"]);
    assert.deepEqual([seven.decision, seven.context.error.path], [false, "$.evaluations[6]"]);
  });

  // The specification's example of the three semantics, over three resources whose decisions
  // are true, false, true.
  const three = (semantic) => ({
    subject: user,
    action: { name: "read" },
    options: { evaluations_semantic: semantic },
    evaluations: [{ resource: product("p-github") }, { resource: product("p-salesforce") }, { resource: product("p-github") }],
  });

  test("evaluations_semantic: execute_all, deny_on_first_deny, permit_on_first_permit", async () => {
    const decisions = async (semantic) => (await evaluations(three(semantic))).json.evaluations.map((e) => e.decision);
    assert.deepEqual(await decisions("execute_all"), [true, false, true]);
    assert.deepEqual(await decisions("deny_on_first_deny"), [true, false]);
    assert.deepEqual(await decisions("permit_on_first_permit"), [true]);
    const bad = await evaluations(three("first_come"));
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.path, "$.options.evaluations_semantic");
  });

  test("evaluations without an `evaluations` array answers as one evaluation", async () => {
    const answer = await evaluations({ subject: user, resource: product("p-github"), action: { name: "use" } });
    assert.equal(answer.json.decision, true);
    assert.equal(answer.json.evaluations, undefined);
  });
});

describe("/v1/query", () => {
  test("one request of the contract, or an array answered with an array", async () => {
    const one = await post("/v1/query", { op: "members", group: "g-sales", pageSize: 1 });
    assert.equal(one.status, 200);
    assert.equal(one.json.revision, SAMPLE_REVISION);
    const many = await post("/v1/query", [
      { op: "check", user: "u-lucas", product: "p-github" },
      { op: "nonsense" },
      { op: "hasPermission", user: "u-lucas", permission: "repo.read" },
    ]);
    assert.equal(many.status, 200);
    assert.equal(many.json.length, 3);
    assert.equal(many.json[0].allowed, true);
    assert.equal(many.json[1].error.code, "unknown-op");
    assert.equal(many.json[2].allowed, true);
  });

  test("an error answer gets the status its code calls for", async () => {
    const unknown = await post("/v1/query", { op: "members", group: "g-none" });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, "unknown-group");
    const typo = await post("/v1/query", { op: "check", user: "u-lucas", prodcut: "p" });
    assert.equal(typo.status, 400);
    assert.equal(typo.json.error.path, "$.prodcut");
  });

  test("apply is a write: refused here, pointing to /v1/apply", async () => {
    const single = await post("/v1/query", { op: "apply", changes: [] });
    assert.equal(single.status, 400);
    assert.equal(single.json.error.path, "$.op");
    assert.match(single.json.error.message, /\/v1\/apply/);
    const inArray = await post("/v1/query", [{ op: "diagnostics" }, { op: "apply", changes: [] }]);
    assert.equal(inArray.status, 400);
    assert.equal(inArray.json.error.path, "$[1].op");
  });
});

describe("hostile HTTP", () => {
  test("malformed JSON: 400 invalid-json with its line and column", async () => {
    for (const path of ["/v1/query", "/access/v1/evaluation", "/access/v1/evaluations"]) {
      const answer = await post(path, '{"op":"check",\n  "user": }');
      assert.equal(answer.status, 400, path);
      assert.equal(answer.json.error.code, "invalid-json", path);
      assert.deepEqual([answer.json.error.line, answer.json.error.column], [2, 11], path);
    }
    const arrays = await post("/v1/query", '[{"op":"diagnostics"},\n{"op":');
    assert.equal(arrays.json.error.code, "invalid-json");
    assert.equal(arrays.json.error.line, 2);
    const bytes = await post("/v1/query", Buffer.from([0x7b, 0xff, 0x7d]));
    assert.equal(bytes.status, 400);
    assert.equal(bytes.json.error.code, "invalid-json");
  });

  test("an oversized body is a 413, declared or streamed", async () => {
    const declared = await raw(server.port, [
      "POST /v1/query HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 65537\r\n\r\n{",
    ]);
    assert.equal(statusOf(declared.text), 413);
    assert.equal(bodyOf(declared.text).error.code, "limit-exceeded");
    const chunk = `${(40_000).toString(16)}\r\n${" ".repeat(40_000)}\r\n`;
    const streamed = await raw(server.port, [
      "POST /access/v1/evaluations HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
      chunk,
      chunk,
      "0\r\n\r\n",
    ]);
    assert.equal(statusOf(streamed.text), 413);
  });

  test("oversized headers are a 431", async () => {
    const answer = await raw(server.port, [`GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`]);
    assert.equal(statusOf(answer.text), 431);
  });

  test("a client that does not finish its request head is cut off", async () => {
    // The server was started with a 300 ms header timeout; this client never sends the blank
    // line that ends the head. The connection must be closed by the server, with no answer.
    const answer = await raw(server.port, ["GET /healthz HTTP/1.1\r\nHost: t\r\n"]);
    assert.ok(answer.closed);
    assert.notEqual(statusOf(answer.text), 200);
  });

  test("a client that stops sending its body gets a 503 when the request's time is up", async () => {
    // A 1 s request timeout; the body is announced as 20 bytes and only one is ever sent.
    const answer = await raw(server.port, ["POST /v1/query HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\n{"]);
    assert.equal(statusOf(answer.text), 503);
    assert.equal(bodyOf(answer.text).error.code, "limit-exceeded");
  });

  test("unknown routes are 404 and wrong methods 405 with Allow, in the contract's error shape", async () => {
    const missing = await ask(`${server.url}/admin`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, "invalid-request");
    const method = await ask(`${server.url}/check?user=u&product=p`, { method: "POST" });
    assert.equal(method.status, 405);
    assert.equal(method.headers.get("allow"), "GET, HEAD");
    const get = await ask(`${server.url}/v1/query`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
  });

  test("admin routes: 401 without a token, 403 with a wrong one", async () => {
    const none = await post("/v1/apply", { changes: [] });
    assert.equal(none.status, 401);
    assert.match(none.headers.get("www-authenticate"), /^Bearer/);
    const wrong = await post("/v1/apply", { changes: [] }, { token: `${TOKEN}x` });
    assert.equal(wrong.status, 403);
    const short = await post("/v1/reload", "", { token: "t" });
    assert.equal(short.status, 403);
    const basic = await post("/v1/reload", "", { headers: { authorization: `Basic ${TOKEN}` } });
    assert.equal(basic.status, 401);
    const exported = await ask(`${server.url}/v1/export`, { token: "nope" });
    assert.equal(exported.status, 403);
  });
});

describe("admin routes", () => {
  let admin;
  const dir = scratch("admin");
  before(async () => {
    admin = await startServe({ dir });
  });
  after(() => admin.stop());
  const adminPost = (path, body, token = TOKEN) => ask(admin.url + path, { method: "POST", body, token });

  test("apply changes what every later answer says; a bad change list changes nothing", async () => {
    const before = await ask(`${admin.url}/check?user=u-lucas&product=p-salesforce`);
    assert.equal(before.status, 403);
    const applied = await adminPost("/v1/apply", {
      changes: [{ addMember: { group: "g-sales", user: "u-lucas" } }],
      revision: "r-2",
    });
    assert.equal(applied.status, 200, applied.text);
    assert.equal(applied.json.revision, "r-2");
    const after = await ask(`${admin.url}/check?user=u-lucas&product=p-salesforce`);
    assert.equal(after.status, 200);
    assert.equal(after.json.revision, "r-2");
    const bad = await adminPost("/v1/apply", {
      op: "apply",
      changes: [{ removeMember: { group: "g-sales", user: "u-lucas" } }, { addMember: { group: "g-none", user: "u-lucas" } }],
      revision: "r-3",
    });
    assert.equal(bad.status, 404);
    assert.equal(bad.json.error.path, "$.changes[1].addMember.group");
    assert.equal((await ask(`${admin.url}/healthz`)).json.revision, "r-2");
    const wrongOp = await adminPost("/v1/apply", { op: "check", user: "u", product: "p" });
    assert.equal(wrongOp.status, 400);
    assert.equal(wrongOp.json.error.path, "$.op");
  });

  test("export gives compiled bytes that a reload turns back into the same engine", async () => {
    const response = await fetch(`${admin.url}/v1/export`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-groupgate-revision"), "r-2");
    const file = join(dir, "exported.ggc");
    writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    // Back to the snapshot of the start, then to the exported image.
    const reset = await adminPost("/v1/reload", "");
    assert.equal(reset.status, 200, reset.text);
    assert.equal(reset.json.revision, SAMPLE_REVISION);
    assert.equal((await ask(`${admin.url}/check?user=u-lucas&product=p-salesforce`)).status, 403);
    const restored = await adminPost("/v1/reload", { compiled: file });
    assert.equal(restored.status, 200, restored.text);
    assert.equal(restored.json.revision, "r-2");
    assert.equal((await ask(`${admin.url}/check?user=u-lucas&product=p-salesforce`)).status, 200);
  });

  test("a reload that fails leaves the engine answering; its error names the file", async () => {
    const missing = await adminPost("/v1/reload", { snapshot: join(dir, "missing.json") });
    assert.equal(missing.status, 422);
    assert.equal(missing.json.error.code, "invalid-snapshot");
    assert.equal(missing.json.revision, "r-2");
    const broken = join(dir, "broken.json");
    writeFileSync(broken, '{"users": [');
    const bad = await adminPost("/v1/reload", { snapshot: broken });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.error.code, "invalid-json");
    const typo = await adminPost("/v1/reload", { snapshto: broken });
    assert.equal(typo.status, 400);
    assert.equal(typo.json.error.path, "$.snapshto");
    assert.equal((await ask(`${admin.url}/healthz`)).json.revision, "r-2");
  });

  test("SIGHUP rereads the current source", async () => {
    // Earlier reloads logged their own events: wait for one more successful reload.
    const loaded = () => admin.stderr().split('"event":"reload","ok":true').length - 1;
    const before = loaded();
    process.kill(admin.pid, "SIGHUP");
    for (let i = 0; i < 400 && loaded() === before; i += 1) {
      await new Promise((next) => setTimeout(next, 25));
    }
    // The source is now the exported image (revision r-2), so the answers are those of r-2.
    assert.equal(loaded(), before + 1, "SIGHUP reloaded once");
    assert.equal((await ask(`${admin.url}/healthz`)).json.revision, "r-2");
  });

  test("metrics count requests by route and status, applies, reloads and the revision", async () => {
    const metrics = await ask(`${admin.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
    assert.match(metrics.text, /^groupgate_http_requests_total\{route="check",status="403"\} [1-9]/m);
    assert.match(metrics.text, /^groupgate_http_requests_total\{route="apply",status="404"\} 1$/m);
    assert.match(metrics.text, /^groupgate_http_request_duration_seconds_count\{route="check"\} [1-9]/m);
    assert.match(metrics.text, /^groupgate_revision_info\{revision="r-2"\} 1$/m);
    assert.match(metrics.text, /^groupgate_applies_total\{result="applied"\} 1$/m);
    assert.match(metrics.text, /^groupgate_applies_total\{result="refused"\} 1$/m);
    assert.match(metrics.text, /^groupgate_reloads_total\{result="loaded"\} 3$/m);
    assert.match(metrics.text, /^groupgate_reloads_total\{result="failed"\} 2$/m);
    assert.match(metrics.text, /^groupgate_load_seconds \d/m);
  });

  test("one JSON log line per request, without the query string", () => {
    const lines = admin
      .stderr()
      .split("\n")
      .filter((l) => l.includes('"route":"check"'))
      .map((l) => JSON.parse(l));
    assert.ok(lines.length >= 3);
    assert.equal(lines[0].path, "/check");
    assert.ok(!admin.stderr().includes("u-lucas"), "a user id was logged");
  });
});

test("without --admin-token-file the admin routes are off", async () => {
  const open = await startServe({ token: null });
  try {
    const answer = await ask(`${open.url}/v1/apply`, { method: "POST", body: { changes: [] }, token: TOKEN });
    assert.equal(answer.status, 403);
    assert.match(answer.json.error.message, /--admin-token-file/);
  } finally {
    await open.stop();
  }
});

test("a snapshot that fails to load: exit status 2 and the error answer on standard error", async () => {
  const dir = scratch("bad-start");
  const broken = join(dir, "broken.json");
  writeFileSync(broken, readFileSync(SAMPLE, "utf8").slice(0, 100));
  await assert.rejects(startServe({ args: ["--snapshot", broken], dir }), (error) => {
    assert.match(error.message, /exited with 2/);
    assert.match(error.message, /"code":"invalid-json"/);
    return true;
  });
});
