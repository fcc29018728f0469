// `groupgate serve` behind real nginx (Debian's package): as the `auth_request` gate of
// examples/nginx/groupgate.conf, and as two replicas behind nginx as a load balancer, kept in
// step by change lists carrying `base`. Run by `make test-serve`.

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ROOT, SAMPLE_REVISION, TOKEN, ask, freePort, gone, scratch, startNginx, startServe } from "./harness.mjs";

const TEMPLATE = readFileSync(join(ROOT, "examples/nginx/groupgate.conf"), "utf8");

describe("nginx auth_request to /check", () => {
  let serve;
  let nginx;
  let appServer;
  before(async () => {
    serve = await startServe();
    // The app behind the gate: says which path and user reached it.
    appServer = createServer((request, response) => {
      response.end(`welcome to ${request.url} as ${request.headers["x-user"]}\n`);
    });
    await new Promise((done) => appServer.listen(0, "127.0.0.1", done));
    const port = await freePort();
    const http = TEMPLATE.replace("server 127.0.0.1:8181;", `server 127.0.0.1:${serve.port};`)
      .replace("server 127.0.0.1:3000;", `server 127.0.0.1:${appServer.address().port};`)
      .replace("listen 127.0.0.1:8080;", `listen 127.0.0.1:${port};`);
    assert.equal(http.match(/127\.0\.0\.1:(8181|3000|8080);/g), null);
    nginx = await startNginx({ http, port, name: "gate" });
  });
  after(async () => {
    const pids = [nginx?.pid, serve?.pid];
    await nginx?.stop();
    await serve?.stop();
    await new Promise((done) => (appServer ? appServer.close(done) : done()));
    for (const pid of pids) if (pid) assert.ok(gone(pid), `process ${pid} is still running`);
  });

  const app = (path, user, headers = {}) =>
    ask(nginx.url + path, { headers: user === undefined ? headers : { "x-user": user, ...headers } });

  test("README's service section shows the same config the test runs", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    assert.ok(readme.includes("```nginx\n" + TEMPLATE + "```"), "README.md does not carry examples/nginx/groupgate.conf");
  });

  test("a member of a product's group gets through; a non-member gets a 403", async () => {
    const member = await app("/apps/p-github/", "u-lucas");
    assert.equal(member.status, 200, nginx.errorLog());
    assert.equal(member.text, "welcome to /apps/p-github/ as u-lucas\n");
    assert.equal(member.headers.get("x-groupgate-reason"), "group");
    const outsider = await app("/apps/p-salesforce/", "u-lucas");
    assert.equal(outsider.status, 403);
    assert.equal(outsider.headers.get("x-groupgate-reason"), "no-group");
    const unknown = await app("/apps/p-github/", "u-nobody");
    assert.equal(unknown.status, 403);
    assert.equal((await app("/apps/p-github/")).status, 401);
  });

  test("the client's query string and X-Product never reach the gate", async () => {
    const query = await app("/apps/p-salesforce/?user=u-admin&product=p-github", "u-lucas");
    assert.equal(query.status, 403, nginx.errorLog());
    const header = await app("/apps/p-salesforce/", "u-lucas", { "x-product": "p-github" });
    assert.equal(header.status, 403);
  });

  test("a change applied through /v1/apply flips the answer nginx gives", async () => {
    const applied = await ask(`${serve.url}/v1/apply`, {
      method: "POST",
      token: TOKEN,
      body: { changes: [{ addMember: { group: "g-sales", user: "u-lucas" } }], revision: "sales-1", base: SAMPLE_REVISION },
    });
    assert.equal(applied.status, 200, applied.text);
    const member = await app("/apps/p-salesforce/", "u-lucas");
    assert.equal(member.status, 200);
    assert.equal(member.text, "welcome to /apps/p-salesforce/ as u-lucas\n");
    const removed = await ask(`${serve.url}/v1/apply`, {
      method: "POST",
      token: TOKEN,
      body: { changes: [{ removeMember: { group: "g-sales", user: "u-lucas" } }], revision: "sales-2", base: "sales-1" },
    });
    assert.equal(removed.status, 200, removed.text);
    assert.equal((await app("/apps/p-salesforce/", "u-lucas")).status, 403);
  });
});

describe("two replicas behind nginx, fed the same change lists with base", () => {
  let a;
  let b;
  let lb;
  const dir = scratch("replicas");
  before(async () => {
    a = await startServe({ dir: scratch("replica-a") });
    b = await startServe({ dir: scratch("replica-b") });
    const port = await freePort();
    lb = await startNginx({
      name: "balancer",
      port,
      http: `
    upstream replicas {
        server 127.0.0.1:${a.port};
        server 127.0.0.1:${b.port};
    }
    server {
        listen 127.0.0.1:${port};
        location / {
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }`,
    });
  });
  after(async () => {
    const pids = [lb?.pid, a?.pid, b?.pid];
    await lb?.stop();
    await a?.stop();
    await b?.stop();
    for (const pid of pids) if (pid) assert.ok(gone(pid), `process ${pid} is still running`);
  });

  // Change lists as a stream would carry them: each names the revision it applies to.
  const lists = [
    { base: SAMPLE_REVISION, revision: "stream-1", changes: [{ addMember: { group: "g-sales", user: "u-lucas" } }] },
    { base: "stream-1", revision: "stream-2", changes: [{ addGroupProduct: { group: "g-eng-all", product: "p-salesforce" } }] },
    { base: "stream-2", revision: "stream-3", changes: [{ removeMember: { group: "g-sales", user: "u-lucas" } }] },
    { base: "stream-3", revision: "stream-4", changes: [{ setGroupActive: { group: "g-sales", active: false } }] },
  ];
  const apply = (replica, list) => ask(`${replica.url}/v1/apply`, { method: "POST", token: TOKEN, body: list });

  /** The revisions and bodies of `n` checks through the balancer (it alternates replicas). */
  async function through(n) {
    const answers = [];
    for (let i = 0; i < n; i += 1) {
      const answer = await ask(`${lb.url}/check?user=u-lucas&product=p-salesforce`);
      assert.ok(answer.status === 200 || answer.status === 403, `status ${answer.status}: ${lb.errorLog()}`);
      answers.push(answer);
    }
    return answers;
  }

  test("both replicas fed the same list answer with the same revision", async () => {
    for (const replica of [a, b]) {
      const answer = await apply(replica, lists[0]);
      assert.equal(answer.status, 200, answer.text);
    }
    const answers = await through(6);
    assert.deepEqual(new Set(answers.map((x) => x.json.revision)), new Set(["stream-1"]));
    assert.deepEqual(new Set(answers.map((x) => x.text)).size, 1);
  });

  test("a replica that missed a list refuses the next with revision-mismatch, and nothing changes", async () => {
    assert.equal((await apply(a, lists[1])).status, 200);
    // b misses lists[1]: the next list does not apply to what b holds.
    assert.equal((await apply(a, lists[2])).status, 200);
    const refused = await apply(b, lists[2]);
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.json.error.code, "revision-mismatch");
    assert.equal(refused.json.revision, "stream-1");
    assert.equal((await ask(`${b.url}/healthz`)).json.revision, "stream-1");
  });

  test("it catches up by reloading an image exported from the other, then accepts the next list", async () => {
    const image = await fetch(`${a.url}/v1/export`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(image.status, 200);
    const file = join(dir, "stream-3.ggc");
    writeFileSync(file, Buffer.from(await image.arrayBuffer()));
    const reloaded = await ask(`${b.url}/v1/reload`, { method: "POST", token: TOKEN, body: { compiled: file } });
    assert.equal(reloaded.status, 200, reloaded.text);
    assert.equal(reloaded.json.revision, "stream-3");
    for (const replica of [a, b]) {
      const answer = await apply(replica, lists[3]);
      assert.equal(answer.status, 200, answer.text);
    }
    const answers = await through(8);
    assert.deepEqual(new Set(answers.map((x) => x.json.revision)), new Set(["stream-4"]));
    assert.equal(new Set(answers.map((x) => x.text)).size, 1, "the replicas answer differently");
    // g-eng-all carries p-salesforce since stream-2: u-lucas is in through it on both.
    assert.equal(answers[0].status, 200);
    assert.deepEqual(answers[0].json.via, ["g-eng-all"]);
  });
});
