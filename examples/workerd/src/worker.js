// groupgate at the edge: a Worker that answers "may this user use this product?" from a compiled
// snapshot bundled with it.
//
//   GET /check?user=u-lucas&product=p-github  → 200 allowed, 403 denied; body: the `check` answer
//   GET /allow?user=u-lucas&product=p-github  → the same status; body: `allowed`, `reason`, `revision`
//   either route with headers x-user, x-product instead of the query → the same
//   HEAD on either route                       → the same status and x-groupgate-reason, no body
//
// `/check` asks `gg_query` for the contract's `check` answer, byte for byte: `via` and
// `productGroups` tell a person why. `/allow` and HEAD ask `gg_check` for the decision alone: no
// JSON goes into the module and none comes back, and a proxy that gates on the status (nginx
// `auth_request`, Traefik `forwardAuth`, Envoy `ext_authz`: all send GET) gets a short body.
// Every denial is a 403, unknown users and products included: those proxies take 401/403 as "no"
// and any other status as a failure of the gate.
//
// The engine is restored from the compiled snapshot once per isolate, by the first request that
// needs it, not when the module is evaluated: a large tenant takes longer to restore (about half
// a second for 100,000 users) than is safe under Cloudflare's 1-second limit on a Worker's start,
// and a request's clock runs, so the restore is timed (`loadMs` in /stats).

import groupgateModule from "./groupgate.wasm";
import compiledSnapshot from "./tenant.ggc";
import { Gate, GateError, REASONS } from "./gate.js";

const gate = new Gate(groupgateModule, compiledSnapshot);

const PARAMS = [
  ["user", "x-user"],
  ["product", "x-product"],
];
const JSON_TYPE = "application/json; charset=utf-8";

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/stats" && env.GROUPGATE_STATS === "on") return stats();
    const full = url.pathname === "/check";
    if (!full && url.pathname !== "/allow") {
      return failure(404, "invalid-request", `no route \`${url.pathname}\`: ask \`/check\` or \`/allow\``, null);
    }
    const head = request.method === "HEAD";
    if (!head && request.method !== "GET") {
      return failure(405, "invalid-request", `method \`${request.method}\` is not GET or HEAD`, null, {
        allow: "GET, HEAD",
      });
    }
    if (env.GROUPGATE_TEST_TRAP === "on" && request.headers.get("x-groupgate-test-trap") === "1") {
      // Tests only: no input traps the module, so a thrown RuntimeError stands in for a trap.
      gate.beforeCall = () => {
        gate.beforeCall = null;
        throw new WebAssembly.RuntimeError("unreachable (simulated by the test)");
      };
    }
    try {
      await gate.ready();
      const fields = requestFields(url, request.headers);
      if (fields.error) return failure(400, "invalid-request", fields.error, fields.path, {}, head);
      const { user, product } = fields.values;
      if ((head || !full) && fields.keys.length === 2 && user !== undefined && product !== undefined) {
        const code = gate.check(user, product);
        if (REASONS.has(code)) return decided(code, head);
      }
      // The full answer, or the engine's error answer for a request it refuses (a missing or
      // unknown key), whichever route asked.
      return answered(gate.query(checkRequest(fields.keys, fields.values)), head);
    } catch (error) {
      if (!(error instanceof GateError)) throw error;
      console.error(`groupgate: ${error.message}`);
      // The fresh instance is restored once this answer is out, not before.
      if (error.code === "engine-trapped") ctx.waitUntil(new Promise((next) => setTimeout(next, 0)).then(reload));
      if (error.answer) return json(500, JSON.stringify(error.answer), {}, head);
      return failure(500, error.code, error.message, null, {}, head);
    }
  },
};

/** Brings up a fresh instance after a trap, after the failed request was answered. */
async function reload() {
  try {
    await gate.ready();
  } catch (error) {
    console.error(`groupgate: reload failed: ${error.message}`);
  }
}

/**
 * The check request's fields from the query string and the x-user / x-product headers, as
 * `{ keys, values }`, or `{ error, path }` for a request that cannot be read unambiguously:
 * a field given twice, or both in the query and in a header, or text that is not UTF-8.
 * Unknown query keys are kept: the engine names them in its `invalid-request` answer.
 */
function requestFields(url, headers) {
  const values = Object.create(null);
  const keys = [];
  const query = url.search.slice(1);
  for (const part of query ? query.split("&") : []) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? "" : part.slice(eq + 1);
    const key = formDecode(rawKey);
    if (key === null) return { error: `query key \`${rawKey}\` is not percent-encoded UTF-8`, path: "$" };
    const value = formDecode(rawValue);
    if (value === null) return { error: `\`${key}\` is not percent-encoded UTF-8`, path: keyPath(key) };
    if (key === "op") return { error: "`op` is not a field: the route is the op", path: "$.op" };
    if (key in values) return { error: `\`${key}\` is given more than once`, path: keyPath(key) };
    keys.push(key);
    values[key] = value;
  }
  for (const [key, header] of PARAMS) {
    const raw = headers.get(header);
    if (raw === null) continue;
    if (key in values) {
      return { error: `\`${key}\` is given both in the query and in the \`${header}\` header`, path: keyPath(key) };
    }
    const value = headerText(raw);
    if (value === null) return { error: `header \`${header}\` is not UTF-8`, path: keyPath(key) };
    keys.push(key);
    values[key] = value;
  }
  return { keys, values };
}

/** The contract's path of a request key: `$.user`, or `$["odd key"]` when it is not an identifier. */
function keyPath(key) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `$.${key}` : `$[${JSON.stringify(key)}]`;
}

/** A query key or value (`+` is a space), or `null` when it is not percent-encoded UTF-8. */
function formDecode(raw) {
  try {
    return decodeURIComponent(raw.replaceAll("+", " "));
  } catch {
    return null;
  }
}

/**
 * A header value as text, or `null` when its bytes were not UTF-8: workerd decodes header bytes
 * as UTF-8 and puts U+FFFD in place of every byte that is not, so U+FFFD marks them (no id of a
 * tenant holds the replacement character).
 */
function headerText(raw) {
  return raw.includes("\uFFFD") ? null : raw;
}

/** `{"op":"check",…}` with the fields in the order they came. */
function checkRequest(keys, values) {
  let text = '{"op":"check"';
  for (const key of keys) text += `,${JSON.stringify(key)}:${JSON.stringify(values[key])}`;
  return `${text}}`;
}

/** The HTTP answer to a `check` answer (or the engine's error answer). */
function answered(text, head) {
  const answer = JSON.parse(text);
  if (answer.error) return json(400, text, {}, head);
  return json(answer.allowed ? 200 : 403, text, { "x-groupgate-reason": answer.reason }, head);
}

/** The HTTP answer to a `gg_check` decision: `allowed`, `reason`, `revision` (canonical order). */
function decided(code, head) {
  const reason = REASONS.get(code);
  const text = `{"allowed":${code > 0},"reason":"${reason}","revision":${JSON.stringify(gate.revision)}}`;
  return json(code > 0 ? 200 : 403, text, { "x-groupgate-reason": reason }, head);
}

/** An error answer in the contract's shape (SPEC §7), keys in canonical order. */
function failure(status, code, message, path, headers = {}, head = false) {
  const error = { code, column: null, expected: null, line: null, message, path };
  return json(status, JSON.stringify({ error, revision: gate.revision }), headers, head);
}

function json(status, text, headers, head) {
  return new Response(head ? null : text, {
    status,
    headers: { "content-type": JSON_TYPE, "cache-control": "no-store", ...headers },
  });
}

/** What the isolate holds, for the tests and the benchmark (only with GROUPGATE_STATS = "on"). */
function stats() {
  const body = {
    instances: gate.instances,
    traps: gate.traps,
    revision: gate.revision,
    loadMs: gate.loadMs,
    wasmMemoryBytes: gate.live ? gate.live.memory.buffer.byteLength : null,
    compiledBytes: gate.compiled.length,
  };
  return json(200, JSON.stringify(body), {}, false);
}
