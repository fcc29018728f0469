// Writes the package's entries from the wasm-bindgen builds that scripts/build-wasm.sh has
// just produced in pkg/node/ and pkg/web/ (each as groupgate.js beside groupgate_bg.wasm).
//
//   node scripts/package-js.mjs          (GROUPGATE_PKG_DIR=dir: the builds in dir/node, dir/web)
//
// Each build's wasm-bindgen glue moves to glue.js, and groupgate.js becomes the entry: the
// glue's exports with the package's `Engine` (pkg/engine.js) in place of its `RawEngine`.
//
// pkg/inline/ is the bundler-proof variant: the web glue with the module's bytes embedded
// (base64) and instantiated synchronously on import, so the entry needs no `.wasm` file, no
// `new URL(…, import.meta.url)` support from the bundler, no top-level await and no `init()`:
// it works in any bundle format (an esbuild IIFE included) and in classic workers.
// The glue's default location of the `.wasm` file is replaced by the embedded bytes, so no
// `import.meta` remains for a bundler to warn about or to turn into a stray asset.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = process.env.GROUPGATE_PKG_DIR ? resolve(process.env.GROUPGATE_PKG_DIR) : join(root, "pkg");
const node = join(pkg, "node");
const web = join(pkg, "web");
const out = join(pkg, "inline");
const engine = readFileSync(join(root, "pkg/engine.js"), "utf8");

// Chromium refuses to compile a module synchronously on a page's main thread over 8 MB.
const SYNC_COMPILE_LIMIT = 8 * 1024 * 1024;

for (const dir of [node, web]) renameSync(join(dir, "groupgate.js"), join(dir, "glue.js"));
const glue = readFileSync(join(web, "glue.js"), "utf8");
const wasm = readFileSync(join(web, "groupgate_bg.wasm"));
if (wasm.length >= SYNC_COMPILE_LIMIT) {
  fail(`the module is ${wasm.length} bytes: too big to instantiate synchronously in a browser`);
}

const DEFAULT_URL = "new URL('groupgate_bg.wasm', import.meta.url)";
const uses = glue.split(DEFAULT_URL).length - 1;
if (uses !== 1) {
  fail(`expected the web glue to name its module once as \`${DEFAULT_URL}\`, found ${uses}`);
}
if (!/^export \{ initSync, __wbg_init as default \};$/m.test(glue)) {
  fail("expected the web glue to export `initSync` and a default `init`");
}

const inline = `${glue.replace(DEFAULT_URL, "embeddedModule()")}
// groupgate/inline: the module's bytes are embedded below and instantiated on import.

function embeddedModule() {
    if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(EMBEDDED_WASM);
    const text = atob(EMBEDDED_WASM);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
}

const EMBEDDED_WASM = "${wasm.toString("base64")}";

initSync({ module: embeddedModule() });
`;

mkdirSync(out, { recursive: true });
writeFileSync(join(out, "glue.js"), inline);
writeFileSync(join(out, "package.json"), '{ "type": "module" }\n');
console.log(`pkg/inline: ${wasm.length} bytes of module embedded`);

const NAMES = ["formatRule", "parseRule", "version"];
for (const name of ["RawEngine", ...NAMES]) {
  if (!new RegExp(`^export (class|function) ${name}\\b`, "m").test(glue)) {
    fail(`expected the web glue to export \`${name}\``);
  }
}
writeFileSync(
  join(node, "groupgate.js"),
  `"use strict";
// groupgate for Node (CommonJS): the wasm-bindgen glue in ./glue.js, with the package's Engine.

const { RawEngine, ${NAMES.join(", ")} } = require("./glue.js");

${engine}
exports.Engine = Engine;
${NAMES.map((name) => `exports.${name} = ${name};`).join("\n")}
`,
);
for (const dir of [web, out]) {
  writeFileSync(
    join(dir, "groupgate.js"),
    `// groupgate as an ES module: the wasm-bindgen glue in ./glue.js, with the package's Engine.

import init, { initSync, RawEngine, ${NAMES.join(", ")} } from "./glue.js";

${engine}
export { Engine, initSync, ${NAMES.join(", ")} };
export default init;
`,
  );
}

function fail(message) {
  console.error(`scripts/package-js.mjs: ${message}`);
  process.exit(1);
}
