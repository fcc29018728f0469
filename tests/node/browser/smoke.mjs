// Browser smoke test: pkg/web loaded by a page in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core), served from a tiny static server on localhost.
//   node tests/node/browser/smoke.mjs      (CHROMIUM=path overrides the browser)

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

/** Serves `/` (the page) and `/pkg/web/*`, nothing else. */
function serve() {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, "http://localhost").pathname));
    let file = null;
    if (path === "/") file = join(here, "index.html");
    else if (path.startsWith("/pkg/web/")) file = join(root, path);
    try {
      if (!file) throw new Error("not served");
      const body = readFileSync(file);
      response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((done) => server.listen(0, "127.0.0.1", () => done(server)));
}

async function main() {
  const server = await serve();
  const profile = mkdtempSync(join(tmpdir(), "groupgate-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
    const result = await page.evaluate(() => window.result);
    assert.equal(result.failure, undefined, result.failure);
    assert.deepEqual(errors, []);
    assert.match(result.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(result.preview, {
      count: 2,
      revision: "r1",
      users: [
        { name: "Ana", user: "u1" },
        { name: "Bo", user: "u2" },
      ],
      warnings: [],
    });
    assert.deepEqual(result.viaQuery, { count: 2, revision: "r1", users: [{ name: "Ana", user: "u1" }], warnings: [] });
    assert.equal(result.decide, 1);
    assert.equal(result.thrown?.code, "rule-syntax");
    assert.equal(result.thrown?.line, 1);
  } finally {
    await context.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

try {
  await main();
  console.log("browser: 1 passed, 0 failed");
} catch (error) {
  console.error(error);
  console.log("browser: 0 passed, 1 failed");
  process.exitCode = 1;
}
