// A one-off measurement, not a test: the console's memory after loading a tenant file.
//
//   node console/tools/memory.mjs target/large.json [runs]
//
// Builds the console, serves it, loads the file in headless Chromium (as an admin would,
// through the load dialog), collects garbage in the page and its worker, then prints the
// page's JavaScript heap and the renderer process's resident memory (RSS and PSS from /proc,
// Linux only), which holds the page, the engine worker and its WebAssembly memory. With `runs`, each
// run starts a fresh browser and the median is printed too.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { serve } from "../serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const consoleDir = resolve(here, "..");
const file = resolve(process.argv[2] ?? "");
const runs = Number(process.argv[3] ?? 1);
if (!process.argv[2]) {
  console.error("usage: node console/tools/memory.mjs TENANT.json [runs]");
  process.exit(2);
}

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** RSS and PSS of every Chromium renderer process (kB from /proc → bytes). */
function renderers() {
  const out = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      // Chromium rewrites its command line as one string: look for the words in it.
      const line = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (!line.includes("chrom") || !line.includes("--type=renderer")) continue;
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0) * 1024;
      out.push({ pid: Number(pid), rss: field("Rss"), pss: field("Pss") });
    } catch {
      // A process that ended meanwhile.
    }
  }
  return out;
}

async function measure(base) {
  const profile = mkdtempSync(join(tmpdir(), "groupgate-console-memory-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--enable-precise-memory-info", "--js-flags=--expose-gc", "--renderer-process-limit=1"],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(300_000);
    await page.goto(`${base}#/groups`);
    await page.getByTestId("tenant-card").getByText(/300 users/).waitFor();
    const started = Date.now();
    await page.getByTestId("open-load").click();
    await page.getByRole("tab", { name: "File" }).click();
    await page.getByTestId("load-file").setInputFiles(file);
    await page.locator('[data-testid="tenant-card"] .tenant-name', { hasText: file.split("/").pop() }).waitFor();
    const loadMs = Date.now() - started;
    await page.waitForFunction(() => !document.querySelector(".table-wrap.is-loading"));
    await page.waitForTimeout(1000);
    const [worker] = page.workers();
    for (let i = 0; i < 3; i++) {
      await page.evaluate(() => globalThis.gc?.());
      await worker.evaluate(() => globalThis.gc?.());
      await page.waitForTimeout(300);
    }
    const pageHeap = await page.evaluate(() => performance.memory.usedJSHeapSize);
    // Workers have no performance.memory: the renderer's RSS counts the worker, its heap and
    // the engine's WebAssembly memory.
    const processes = renderers();
    const renderer = processes.reduce((a, b) => (b.rss > (a?.rss ?? 0) ? b : a), null);
    return { loadMs, pageHeap, rss: renderer?.rss ?? null, pss: renderer?.pss ?? null, renderers: processes.length };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  }
}

execFileSync(process.execPath, [join(consoleDir, "build.mjs")], { stdio: "inherit" });
const server = await serve({ port: 0 });
const base = `http://127.0.0.1:${server.address().port}/`;
const results = [];
try {
  for (let run = 0; run < runs; run++) {
    const result = await measure(base);
    results.push(result);
    console.log(
      `run ${run + 1}: loaded in ${result.loadMs} ms; renderer RSS ${mb(result.rss)}, PSS ${mb(result.pss)}; ` +
        `page heap ${mb(result.pageHeap)} ` +
        `(${result.renderers} renderer process${result.renderers === 1 ? "" : "es"})`,
    );
  }
} finally {
  server.close();
}
if (results.length > 1) {
  const median = (key) => {
    const values = results.map((r) => r[key]).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)];
  };
  console.log(`median of ${results.length}: renderer RSS ${mb(median("rss"))}, PSS ${mb(median("pss"))}, load ${median("loadMs")} ms`);
}
