// Builds each example against the packed package (what npm users install, not the pkg/ folder)
// and runs it in headless Chromium (Debian's /usr/bin/chromium through playwright-core;
// CHROMIUM=path overrides it): the esbuild IIFE page, the Vite page (`vite build`, and the
// `vite` dev server), and the Web Worker page.
//
//   node --test examples/            (after `make wasm-js` and `npm ci` in examples/)
//
// The package's `workerd` entry is bundled as wrangler bundles it and run in workerd: the binary
// of examples/workerd's pinned npm package (`make test-examples` installs it), or WORKERD=path.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, relative, resolve, sep } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const installed = join(here, "node_modules/groupgate");
const bin = join(here, "node_modules/.bin");
const scratch = mkdtempSync(join(tmpdir(), "groupgate-examples-"));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
};

/** A static server for a built `dist/`. */
function serve(dir) {
  const server = createServer((request, response) => {
    let path = decodeURIComponent(new URL(request.url, "http://localhost").pathname);
    if (path.endsWith("/")) path += "index.html";
    const file = normalize(join(dir, path));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    response.end(readFileSync(file));
  });
  return new Promise((done) => server.listen(0, "127.0.0.1", () => done(server)));
}

let context;
const servers = [];
const children = [];

before(async () => {
  // The examples depend on `file:../../pkg`, which npm links; the test swaps the link for the
  // unpacked tarball, so that a file missing from `files` fails here as it would for users.
  const tarball = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: join(root, "pkg"), encoding: "utf8" }))[0].filename;
  rmSync(installed, { recursive: true, force: true });
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["-xzf", join(scratch, tarball), "--strip-components=1", "-C", installed]);
  context = await chromium.launchPersistentContext(join(scratch, "profile"), {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await context?.close();
  for (const server of servers) server.close();
  for (const child of children) child.kill();
  // Back to the link that `npm ci` makes, so the examples follow pkg/ while developing.
  rmSync(installed, { recursive: true, force: true });
  symlinkSync(relative(dirname(installed), join(root, "pkg")), installed);
  rmSync(scratch, { recursive: true, force: true });
});

function build(example) {
  try {
    execFileSync("npm", ["run", "build", "--silent"], { cwd: join(here, example), stdio: "pipe", encoding: "utf8" });
  } catch (failure) {
    assert.fail(`the ${example} example does not build:\n${failure.stdout}${failure.stderr}`);
  }
}

/** Opens `url`, waits for the example to say it is ready, checks what it shows. */
async function check(url) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("response", (response) => response.status() >= 400 && errors.push(`${response.status()} ${response.url()}`));
  try {
    await page.goto(url);
    try {
      await page.waitForFunction(() => document.documentElement.dataset.ready === "true", null, { timeout: 20_000 });
    } catch (failure) {
      // What the page reported is the likelier cause: show it with the timeout.
      assert.fail(`${url} never said it was ready (${failure.message.split("\n")[0]}); page errors: ${JSON.stringify(errors)}`);
    }
    assert.deepEqual(errors, []);
    assert.equal(await page.textContent("#matches"), "2 match: Ana Lima, Bo Chen");
    assert.equal(await page.textContent("#access"), "u-ana (group), u-bo (group), u-dee (admin)");
    // A rule error comes back with its code and column.
    await page.fill("#rule", "department = ");
    await page.waitForFunction(() => document.getElementById("matches").textContent.startsWith("rule-syntax"));
    assert.match(await page.textContent("#matches"), /^rule-syntax at column 14/);
  } finally {
    await page.close();
  }
}

async function servedBuild(example) {
  build(example);
  const server = await serve(join(here, example, "dist"));
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}/`;
}

/** Starts `vite` (the dev server) in `example`; resolves with its URL. */
function viteDev(example) {
  rmSync(join(here, "node_modules/.vite"), { recursive: true, force: true });
  rmSync(join(here, example, "node_modules/.vite"), { recursive: true, force: true });
  const child = spawn(join(bin, "vite"), ["--host", "127.0.0.1", "--port", "0", "--strictPort", "false"], { cwd: join(here, example), stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`vite did not start:\n${output}`)), 30_000);
    const read = (chunk) => {
      output += chunk;
      const found = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(output.replace(/\x1b\[[0-9;]*m/g, ""));
      if (found) {
        clearTimeout(timer);
        resolve(found[0]);
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("exit", (code) => reject(new Error(`vite exited with ${code}:\n${output}`)));
  });
}

describe("examples", () => {
  it("esbuild: one IIFE script with groupgate/inline", async () => {
    await check(await servedBuild("esbuild"));
    const bundle = readFileSync(join(here, "esbuild/dist/app.js"), "utf8");
    assert.doesNotMatch(bundle, /import\.meta/);
    assert.ok(!existsSync(join(here, "esbuild/dist/groupgate_bg.wasm")));
  });

  it("Vite: the root import, with the .wasm shipped as an asset by vite build", async () => {
    await check(await servedBuild("vite"));
    assert.ok(execFileSync("ls", [join(here, "vite/dist/assets")], { encoding: "utf8" }).includes(".wasm"));
  });

  it("Vite: the root import under the dev server", async () => {
    await check(await viteDev("vite"));
  });

  it("Web Worker: the engine in a worker built by Vite", async () => {
    await check(await servedBuild("worker"));
  });

  it("Web Worker: under the Vite dev server", async () => {
    await check(await viteDev("worker"));
  });

  it("workerd: the `workerd` condition's entry in Cloudflare's runtime", async () => {
    let workerd = process.env.WORKERD;
    if (!workerd) {
      try {
        workerd = createRequire(join(here, "workerd/package.json"))("workerd").default;
      } catch (cause) {
        assert.fail(`no workerd: run \`npm ci\` in examples/workerd, or set WORKERD (${cause.message})`);
      }
    }
    const dir = join(scratch, "workerd");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "worker.js"),
      `import { Engine } from "groupgate";
import { tenant } from ${JSON.stringify(join(here, "esbuild/src/tenant.js"))};
const engine = new Engine(tenant);
export default { fetch: () => Response.json(engine.previewRule("department = Sales")) };
`,
    );
    // As wrangler bundles: the workerd conditions, and .wasm imports left to the runtime.
    execFileSync(join(bin, "esbuild"), ["worker.js", "--bundle", "--format=esm", "--platform=neutral", "--conditions=workerd,worker,browser", "--main-fields=module,main", "--external:*.wasm", `--outfile=out/worker.js`], { cwd: dir, stdio: "pipe", env: { ...process.env, NODE_PATH: join(here, "node_modules") } });
    cpSync(join(installed, "web/groupgate_bg.wasm"), join(dir, "out/groupgate_bg.wasm"));
    writeFileSync(
      join(dir, "config.capnp"),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "out/worker.js"),
    (name = "web/groupgate_bg.wasm", wasm = embed "out/groupgate_bg.wasm"),
  ],
  compatibilityDate = "2025-01-01",
);
`,
    );
    const port = await new Promise((done) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address();
        probe.close(() => done(port));
      });
    });
    const child = spawn(workerd, ["serve", "config.capnp", `--socket-addr=http=127.0.0.1:${port}`], { cwd: dir, stdio: "ignore" });
    children.push(child);
    let answer = null;
    for (let attempt = 0; attempt < 50 && !answer; attempt++) {
      await new Promise((done) => setTimeout(done, 200));
      answer = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.json(), () => null);
    }
    assert.deepEqual(answer, { count: 2, revision: "example-1", users: [{ name: "Ana Lima", user: "u-ana" }, { name: "Bo Chen", user: "u-bo" }], warnings: [] });
  });
});

