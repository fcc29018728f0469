// Builds the console into console/dist: the page (app.js, app.css), the engine worker
// (worker.js, with the WebAssembly module inlined through "groupgate/inline"), index.html and
// the bundled sample tenant (tenant.json).
//
//   node build.mjs                  a minified build
//   node build.mjs --watch          rebuilds on every change
//   node build.mjs --outdir=DIR     builds into DIR

import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const option = (name) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const dist = resolve(option("outdir") ?? join(here, "dist"));
const watch = process.argv.includes("--watch");

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
copyFileSync(join(here, "index.html"), join(dist, "index.html"));
copyFileSync(join(here, "../samples/tenant.json"), join(dist, "tenant.json"));

const options = {
  entryPoints: { app: join(here, "src/main.jsx"), worker: join(here, "src/worker.js") },
  outdir: dist,
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: !watch,
  sourcemap: true,
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  logLevel: "warning",
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
  console.log("console: watching src/ (dist/ is rebuilt on every change)");
} else {
  const started = Date.now();
  const result = await esbuild.build({ ...options, metafile: true });
  const sizes = Object.entries(result.metafile.outputs)
    .filter(([file]) => !file.endsWith(".map"))
    .map(([file, output]) => `${file.split("/").pop()} ${(output.bytes / 1024).toFixed(0)} kB`);
  console.log(`console: built in ${Date.now() - started} ms (${sizes.join(", ")})`);
}
