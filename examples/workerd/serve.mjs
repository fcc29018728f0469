// Starts workerd on 127.0.0.1 with the Worker, the plain module and one compiled snapshot, on a
// port the kernel picks, and stops it again. Used by the end-to-end test and the edge benchmark;
// run alone, it serves until interrupted:
//
//   node examples/workerd/serve.mjs [--snapshot FILE.ggc] [--wasm groupgate.wasm] [--port N]
//
// The config is generated into a temporary directory: Cap'n Proto's `embed` reads the Worker's
// modules from where they are when workerd starts, so nothing is copied.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, "target");

/** Where `make test-workerd` puts its files. */
export const defaults = {
  wasm: join(targetDir, "abi/groupgate.wasm"),
  snapshot: join(targetDir, "workerd/tenant.ggc"),
};

// Every workerd this process started and has not stopped: none outlives the process, whether it
// ends normally, on an uncaught error, or on Ctrl-C / SIGTERM.
const running = new Map();
let guarded = false;
function guardExit() {
  if (guarded) return;
  guarded = true;
  process.once("exit", () => {
    for (const [child, dir] of running) {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]]) {
    process.once(signal, () => process.exit(code));
  }
}

/** The workerd binary of the pinned npm package (the binary itself, not a wrapper process). */
export function workerdBinary() {
  return createRequire(import.meta.url)("workerd").default;
}

/**
 * The Cap'n Proto config: one Worker service behind one HTTP socket. Its modules are this
 * Worker's (the gate, the plain module, the compiled snapshot), or `modules`: a list of
 * `{ name, type, file }` or `{ name, type, text }`, `type` one of workerd's module types
 * (`esModule`, `wasm`, `data`, `text`, `json`), for another Worker.
 */
export function config({ wasm, snapshot, bindings = {}, modules }, dir) {
  // `embed` paths are relative to the config's directory (absolute ones search the import path).
  const path = (p) => JSON.stringify(relative(dir, resolve(p)));
  const text = Object.entries(bindings)
    .map(([name, value]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)})`)
    .join(", ");
  const listed = (modules ?? [
    { name: "worker.js", type: "esModule", file: join(here, "src/worker.js") },
    { name: "gate.js", type: "esModule", file: join(here, "src/gate.js") },
    { name: "groupgate.wasm", type: "wasm", file: wasm },
    { name: "tenant.ggc", type: "data", file: snapshot },
  ])
    .map(({ name, type, file, text }) => {
      const content = file === undefined ? JSON.stringify(text) : `embed ${path(file)}`;
      return `    (name = ${JSON.stringify(name)}, ${type} = ${content}),`;
    })
    .join("\n");
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "groupgate", worker = .gate)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "groupgate")],
);

const gate :Workerd.Worker = (
  modules = [
${listed}
  ],
  bindings = [${text}],
  compatibilityDate = "2025-06-01",
);
`;
}

/**
 * Starts workerd and waits until it listens: `{ url, pid, port, startupMs, stop(), output() }`.
 * `args` adds to workerd's command line (`--inspector-addr …`, say); `modules` replaces the Worker (see `config`).
 * `stop()` ends the process (SIGTERM, then SIGKILL after `graceMs`) and removes the config.
 */
export async function start({ wasm = defaults.wasm, snapshot = defaults.snapshot, bindings, modules, timeoutMs = 60_000, port = 0, args: extra = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "groupgate-workerd-"));
  const file = join(dir, "config.capnp");
  writeFileSync(file, config({ wasm, snapshot, bindings, modules }, dir));
  const args = ["serve", file, "--socket-addr", `http=127.0.0.1:${port}`, "--control-fd", "3", ...extra];
  const started = performance.now();
  guardExit();
  const child = spawn(workerdBinary(), args, { stdio: ["ignore", "pipe", "pipe", "pipe"] });
  running.set(child, dir);
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise((done) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      done({ code, signal });
    }),
  );

  const stop = async (graceMs = 5_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const listening = await new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`workerd did not listen within ${timeoutMs} ms`)), timeoutMs);
      let control = "";
      child.stdio[3].on("data", (chunk) => {
        control += chunk;
        for (const line of control.split("\n").slice(0, -1)) {
          const message = JSON.parse(line);
          if (message.event === "listen" && message.socket === "http") {
            clearTimeout(timer);
            done(message.port);
          }
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        fail(new Error(`workerd exited (${signal ?? code}) before listening:\n${output}`));
      });
      child.once("error", fail);
    });
    return {
      url: `http://127.0.0.1:${listening}`,
      port: listening,
      pid: child.pid,
      startupMs: performance.now() - started,
      stop,
      output: () => output,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({
    options: { snapshot: { type: "string" }, wasm: { type: "string" }, port: { type: "string" } },
  });
  const server = await start({
    snapshot: values.snapshot ?? defaults.snapshot,
    wasm: values.wasm ?? defaults.wasm,
    port: Number(values.port ?? 8787),
  });
  console.log(`groupgate Worker on ${server.url}/check?user=…&product=… (Ctrl-C stops it)`);
}
