// `groupgate serve` on the large tenant, measured over loopback: requests/s, p50 and p99 per
// route under load (autocannon, the pinned one of tests/serve), and one request at a time on one
// kept-alive connection (to the microsecond). Run by `make bench-serve`:
//
//   GROUPGATE_BIN=target/release/groupgate node benches/serve/bench.mjs \
//     --compiled large.ggc --plan large.plan.json [--runs 3] [--duration 5] [--connections 8]
//
// large.plan.json from `cargo run --release -p groupgate-workload --example plan large 1`: its
// `checks` are the user/product pairs every route is asked, in order, from a random start.

import { readFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, startServe } from "../../tests/serve/harness.mjs";

const autocannon = createRequire(join(ROOT, "tests/serve/package.json"))("autocannon");

const { values: opts } = parseArgs({
  options: {
    compiled: { type: "string" },
    plan: { type: "string" },
    runs: { type: "string", default: "3" },
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "8" },
  },
});
if (!opts.compiled || !opts.plan) {
  console.error("usage: node benches/serve/bench.mjs --compiled FILE.ggc --plan PLAN.json [--runs N] [--duration S] [--connections N]");
  process.exit(2);
}
const runs = Number(opts.runs);
const duration = Number(opts.duration);
const connections = Number(opts.connections);
const checks = JSON.parse(readFileSync(opts.plan, "utf8")).checks;

/** Each route, as the request for one user/product pair. */
const ROUTES = {
  "/check": ([user, product]) => ({
    method: "GET",
    path: `/check?user=${encodeURIComponent(user)}&product=${encodeURIComponent(product)}`,
  }),
  "/allow": ([user, product]) => ({
    method: "GET",
    path: `/allow?user=${encodeURIComponent(user)}&product=${encodeURIComponent(product)}`,
  }),
  "/access/v1/evaluation": ([user, product]) => ({
    method: "POST",
    path: "/access/v1/evaluation",
    body: JSON.stringify({
      subject: { type: "user", id: user },
      resource: { type: "product", id: product },
      action: { name: "use" },
    }),
  }),
  "/v1/query": ([user, product]) => ({
    method: "POST",
    path: "/v1/query",
    body: JSON.stringify({ op: "check", user, product }),
  }),
};

/** autocannon on one route over the check sequence. */
async function load(url, route) {
  let next = Math.floor(Math.random() * checks.length);
  const result = await autocannon({
    url,
    connections,
    duration,
    requests: [
      {
        setupRequest(request) {
          const r = ROUTES[route](checks[next]);
          next = (next + 1) % checks.length;
          return { ...request, ...r, headers: { ...request.headers, "content-type": "application/json" } };
        },
      },
    ],
  });
  const codes = result.statusCodeStats ?? {};
  const answered = Object.values(codes).reduce((n, s) => n + s.count, 0);
  const unexpected = Object.keys(codes).filter((c) => !(c === "200" || (c === "403" && route.startsWith("/check")) || (c === "403" && route === "/allow")));
  if (result.errors || result.timeouts || unexpected.length || answered !== result.requests.total) {
    throw new Error(`${route}: ${result.errors} errors, ${result.timeouts} timeouts, answers ${JSON.stringify(codes)}`);
  }
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/** One request at a time on one kept-alive connection: p50 and p99 in ms, to the microsecond. */
async function sequential(url, route, count = 2000) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times = [];
  for (let i = 0; i < count; i += 1) {
    const r = ROUTES[route](checks[i % checks.length]);
    const started = process.hrtime.bigint();
    await new Promise((done, fail) => {
      const req = httpRequest(url + r.path, { method: r.method, agent }, (response) => {
        response.resume();
        response.once("end", done);
      });
      req.once("error", fail);
      req.end(r.body);
    });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

const samples = [];
for (let run = 0; run < runs; run += 1) {
  const server = await startServe({ args: ["--compiled", opts.compiled, "--quiet"], token: null });
  const sample = { route: {} };
  try {
    for (const route of Object.keys(ROUTES)) {
      const one = await sequential(server.url, route);
      const many = await load(server.url, route);
      sample.route[route] = { one, many };
      console.error(
        `run ${run + 1} ${route}: ${many.rps.toFixed(0)}/s p50 ${many.p50} ms p99 ${many.p99} ms; ` +
          `alone p50 ${one.p50.toFixed(3)} ms p99 ${one.p99.toFixed(3)} ms`,
      );
    }
  } finally {
    await server.stop();
  }
  samples.push(sample);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const cell = (xs, digits) =>
  `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

console.log(`| large, ${runs} runs | one connection: p50 ms | … p99 ms | ${connections} connections: req/s | … p50 ms | … p99 ms |`);
console.log("|---|---|---|---|---|---|");
for (const route of Object.keys(ROUTES)) {
  const get = (f) => samples.map((s) => f(s.route[route]));
  console.log(
    `| \`${route}\` | ${cell(get((r) => r.one.p50), 3)} | ${cell(get((r) => r.one.p99), 3)} | ` +
      `${cell(get((r) => r.many.rps), 0)} | ${cell(get((r) => r.many.p50), 0)} | ${cell(get((r) => r.many.p99), 0)} |`,
  );
}
