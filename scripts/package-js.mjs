// Writes the package's inlined variant, pkg/inline/, from the web build that
// scripts/build-wasm.sh has just produced in pkg/web/.
//
//   node scripts/package-js.mjs
//
// pkg/inline/groupgate.js is the web glue with the module's bytes embedded (base64) and
// instantiated synchronously on import, so the entry needs no `.wasm` file, no
// `new URL(…, import.meta.url)` support from the bundler, no top-level await and no `init()`:
// it works in any bundle format (an esbuild IIFE included) and in classic workers.
// The glue's default location of the `.wasm` file is replaced by the embedded bytes, so no
// `import.meta` remains for a bundler to warn about or to turn into a stray asset.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const web = join(root, "pkg/web");
const out = join(root, "pkg/inline");

// Chromium refuses to compile a module synchronously on a page's main thread over 8 MB.
const SYNC_COMPILE_LIMIT = 8 * 1024 * 1024;

const glue = readFileSync(join(web, "groupgate.js"), "utf8");
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
writeFileSync(join(out, "groupgate.js"), inline);
writeFileSync(join(out, "package.json"), '{ "type": "module" }\n');
console.log(`pkg/inline: ${wasm.length} bytes of module embedded`);

function fail(message) {
  console.error(`scripts/package-js.mjs: ${message}`);
  process.exit(1);
}
