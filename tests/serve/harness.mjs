// Starting and stopping the real parts the serve tests use: `groupgate serve` (the built
// binary) and Debian's nginx, each on 127.0.0.1 and a free port, each stopped when its test
// ends, and killed when the test process exits however it exits.
//
// GROUPGATE_BIN names the binary (default: target/debug/groupgate, as `make test-serve` builds
// it); NGINX names nginx (default: /usr/sbin/nginx).

import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TARGET = resolve(ROOT, process.env.CARGO_TARGET_DIR ?? "target");
export const BIN = process.env.GROUPGATE_BIN ?? join(TARGET, "debug/groupgate");
export const NGINX = process.env.NGINX ?? "/usr/sbin/nginx";
export const SAMPLE = join(ROOT, "samples/tenant.json");
export const SAMPLE_REVISION = "sample-2025-06-01";
export const TOKEN = "test-token-4f1c2a9e";

/** Every process started and not yet stopped: killed when this process exits. */
const running = new Set();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A fresh directory under target/serve-tests for one test. */
export function scratch(name) {
  const dir = join(TARGET, "serve-tests", `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A loopback port nothing listens on now. */
export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Waits for `child` to exit, killing it after `ms`. */
function exited(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), ms);
    child.once("exit", () => {
      clearTimeout(kill);
      done();
    });
  });
}

/**
 * Starts `groupgate serve` on 127.0.0.1 and a port it picks, on the sample tenant unless
 * `args` name another source; with the admin token unless `token` is null.
 * Resolves once it listens: `{ url, port, pid, stderr(), stop() }`.
 */
export async function startServe({ args = [], token = TOKEN, dir = scratch("serve") } = {}) {
  const argv = ["serve", "--listen", "127.0.0.1:0", ...args];
  if (!args.includes("--snapshot") && !args.includes("--compiled")) argv.push("--snapshot", SAMPLE);
  if (token !== null) {
    const file = join(dir, "token");
    writeFileSync(file, `${token}\n`);
    argv.push("--admin-token-file", file);
  }
  const child = spawn(BIN, argv, { stdio: ["ignore", "ignore", "pipe"] });
  running.add(child);
  let log = "";
  const address = await new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not listen within 60 s:\n${log}`)), 60_000);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      log += chunk;
      for (const line of log.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const event = JSON.parse(line);
          if (event.event === "listening") {
            clearTimeout(timer);
            done(event.address);
          }
        } catch {}
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`serve exited with ${code} before listening:\n${log}`));
    });
  });
  const port = Number(address.split(":").pop());
  return {
    url: `http://${address}`,
    port,
    pid: child.pid,
    child,
    stderr: () => log,
    async stop() {
      child.kill("SIGTERM");
      await exited(child, 15_000);
      running.delete(child);
    },
  };
}

/** Resolves once something accepts connections on `port` (tries for at most `ms`). */
export async function listening(port, ms = 15_000) {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((done) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        done(true);
      });
      socket.once("error", () => done(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((next) => setTimeout(next, 50));
  }
}

/**
 * Runs nginx in the foreground with `http` as the inside of its `http { }` block, under a prefix
 * of its own in target/ (pid, logs and temporary files there). Resolves once `port` accepts.
 */
export async function startNginx({ http, port, name = "nginx" }) {
  const prefix = scratch(name);
  for (const sub of ["logs", "tmp"]) mkdirSync(join(prefix, sub), { recursive: true });
  const conf = join(prefix, "nginx.conf");
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 512; }
http {
    access_log ${prefix}/logs/access.log;
    client_body_temp_path ${prefix}/tmp/body;
    proxy_temp_path ${prefix}/tmp/proxy;
    fastcgi_temp_path ${prefix}/tmp/fastcgi;
    uwsgi_temp_path ${prefix}/tmp/uwsgi;
    scgi_temp_path ${prefix}/tmp/scgi;
${http}
}
`,
  );
  const child = spawn(NGINX, ["-p", prefix, "-c", conf, "-e", join(prefix, "logs/error.log"), "-g", "daemon off;"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  running.add(child);
  let log = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => (log += chunk));
  const early = new Promise((_, fail) =>
    child.once("exit", (code) => fail(new Error(`nginx exited with ${code}:\n${log}\n${errorLog(prefix)}`))),
  );
  await Promise.race([listening(port), early]);
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    prefix,
    errorLog: () => errorLog(prefix),
    async stop() {
      child.kill("SIGTERM");
      await exited(child, 15_000);
      running.delete(child);
    },
  };
}

function errorLog(prefix) {
  try {
    return readFileSync(join(prefix, "logs/error.log"), "utf8");
  } catch {
    return "";
  }
}

/** Whether the process `pid` is gone. */
export function gone(pid) {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === "ESRCH";
  }
}

/** `fetch` with the JSON body parsed (when it is JSON): `{ status, headers, text, json }`. */
export async function ask(url, { method = "GET", body, headers = {}, token } = {}) {
  const init = { method, headers: { ...headers } };
  if (token !== undefined) init.headers.authorization = `Bearer ${token}`;
  if (body !== undefined) init.body = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  const response = await fetch(url, init);
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * Writes `chunks` (strings or Buffers, each after the previous is flushed) to a raw connection
 * and collects what comes back until the server closes it: `{ text, closed }`.
 */
export function raw(port, chunks) {
  return new Promise((done, fail) => {
    const socket = connect(port, "127.0.0.1");
    const received = [];
    socket.on("data", (data) => received.push(data));
    socket.once("error", (error) => {
      // A reset after the answer was sent still carries the answer.
      if (received.length) done({ text: Buffer.concat(received).toString("latin1"), closed: true });
      else if (error.code === "ECONNRESET" || error.code === "EPIPE") done({ text: "", closed: true });
      else fail(error);
    });
    socket.once("close", () => done({ text: Buffer.concat(received).toString("latin1"), closed: true }));
    socket.once("connect", async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) break;
        await new Promise((next) => socket.write(chunk, next));
      }
    });
  });
}

/** The status code of a raw HTTP/1.1 answer, or null. */
export function statusOf(text) {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
  return match ? Number(match[1]) : null;
}

/** The JSON body of a raw HTTP/1.1 answer with a Content-Length. */
export function bodyOf(text) {
  const at = text.indexOf("\r\n\r\n");
  return JSON.parse(text.slice(at + 4));
}
