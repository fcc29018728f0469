// `groupgate serve` under load (autocannon, loopback, a few seconds) while change lists are
// applied one after another and the snapshot is reloaded: no request is lost or failed, every
// answer carries a revision the service really had, and no answer mixes two revisions.
// Run by `make test-serve`; SERVE_LOAD_SECONDS changes how long the load lasts (default 3).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import autocannon from "autocannon";
import { SAMPLE_REVISION, TOKEN, ask, gone, startServe } from "./harness.mjs";

const SECONDS = Number(process.env.SERVE_LOAD_SECONDS ?? 3);

let server;
before(async () => {
  server = await startServe({ args: ["--quiet"] });
});
after(async () => {
  const { pid } = server;
  await server.stop();
  assert.ok(gone(pid), "serve is still running");
});

test("a reload and a stream of applies under load: no request lost, no answer mixing revisions", async () => {
  /** Every revision the service has held or is about to hold. */
  const revisions = new Set([SAMPLE_REVISION]);
  const problems = [];
  const problem = (what) => {
    if (problems.length < 20) problems.push(what);
  };
  const known = (revision, where) => {
    if (!revisions.has(revision)) problem(`${where}: revision ${revision} was never applied`);
  };

  const batch = [];
  for (const product of ["p-salesforce", "p-github", "p-salesforce", "p-jira"]) {
    batch.push({ op: "check", user: "u-lucas", product }, { op: "hasPermission", user: "u-lucas", permission: "repo.read" });
  }
  const requests = [
    {
      method: "GET",
      path: "/check?user=u-lucas&product=p-salesforce",
      onResponse(status, body) {
        const answer = JSON.parse(body);
        if (status !== (answer.allowed ? 200 : 403)) problem(`/check: status ${status} for ${body}`);
        known(answer.revision, "/check");
      },
    },
    {
      method: "POST",
      path: "/v1/query",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(batch),
      onResponse(status, body) {
        if (status !== 200) return problem(`/v1/query: status ${status}`);
        const answers = JSON.parse(body);
        const seen = new Set(answers.map((a) => a.revision));
        if (answers.length !== batch.length || seen.size !== 1) problem(`/v1/query mixes revisions: ${[...seen]}`);
        for (const revision of seen) known(revision, "/v1/query");
      },
    },
    {
      method: "POST",
      path: "/access/v1/evaluations",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        subject: { type: "user", id: "u-lucas" },
        action: { name: "use" },
        evaluations: ["p-salesforce", "p-github", "p-jira"].map((id) => ({ resource: { type: "product", id } })),
      }),
      onResponse(status, body) {
        if (status !== 200) return problem(`/access/v1/evaluations: status ${status}`);
        const seen = new Set(JSON.parse(body).evaluations.map((e) => e.context.revision));
        if (seen.size !== 1) problem(`/access/v1/evaluations mixes revisions: ${[...seen]}`);
        for (const revision of seen) known(revision, "/access/v1/evaluations");
      },
    },
  ];

  let loading = true;
  const load = autocannon({ url: server.url, connections: 8, duration: SECONDS, requests });
  const finished = new Promise((done, fail) => load.once("done", done).once("error", fail));
  finished.finally(() => (loading = false));

  // The writer: change lists one after another, each on the revision before it, and one
  // reload (back to the snapshot of the start) halfway.
  let base = SAMPLE_REVISION;
  let applies = 0;
  let reloads = 0;
  const writes = [];
  const started = Date.now();
  while (loading) {
    if (reloads === 0 && Date.now() - started > (SECONDS * 1000) / 2) {
      const reloaded = await ask(`${server.url}/v1/reload`, { method: "POST", token: TOKEN, body: "" });
      writes.push(`reload ${reloaded.status}`);
      assert.equal(reloaded.status, 200, reloaded.text);
      assert.equal(reloaded.json.revision, SAMPLE_REVISION);
      base = SAMPLE_REVISION;
      reloads += 1;
      continue;
    }
    const revision = `load-${applies + 1}`;
    revisions.add(revision);
    const change = applies % 2 === 0 ? "addMember" : "removeMember";
    const applied = await ask(`${server.url}/v1/apply`, {
      method: "POST",
      token: TOKEN,
      body: { changes: [{ [change]: { group: "g-sales", user: "u-lucas" } }], revision, base },
    });
    assert.equal(applied.status, 200, applied.text);
    assert.equal(applied.json.revision, revision);
    base = revision;
    applies += 1;
  }
  const result = await finished;

  assert.deepEqual(problems, []);
  assert.equal(result.errors, 0, "connection errors under load");
  assert.equal(result.timeouts, 0, "timeouts under load");
  const statuses = Object.keys(result.statusCodeStats).sort();
  assert.ok(statuses.every((s) => s === "200" || s === "403"), `statuses ${statuses}`);
  const answered = Object.values(result.statusCodeStats).reduce((n, s) => n + s.count, 0);
  assert.equal(answered, result.requests.total, "requests sent and answered differ");
  assert.ok(result.requests.total > 100, `only ${result.requests.total} requests under load`);
  assert.ok(applies >= 2, `only ${applies} change lists applied during the load`);
  assert.equal(reloads, 1, "the reload did not happen during the load");

  const metrics = await ask(`${server.url}/metrics`);
  assert.match(metrics.text, new RegExp(`^groupgate_applies_total\\{result="applied"\\} ${applies}$`, "m"));
  assert.match(metrics.text, /^groupgate_reloads_total\{result="loaded"\} 1$/m);
  assert.match(metrics.text, new RegExp(`^groupgate_revision_info\\{revision="${base}"\\} 1$`, "m"));
  console.log(
    `load: ${result.requests.total} requests in ${SECONDS} s (${Math.round(result.requests.average)}/s), ` +
      `${applies} applies and ${reloads} reload during it`,
  );
});
