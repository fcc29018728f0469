// The package's root entry in browsers and Web Workers (export conditions `browser` and
// `worker`): the web build, instantiated before the importing module runs, so that
// `import { Engine } from "groupgate"` gives the same synchronous API as in Node.
//
// The module is located with `new URL("…", import.meta.url)`, the pattern Vite, webpack,
// Parcel and Rollup's URL plugins recognize: they ship the `.wasm` file with the bundle and
// rewrite the URL. Bundlers without it (esbuild) should import "groupgate/inline".

import init from "./web/groupgate.js";

const url = new URL("./web/groupgate_bg.wasm", import.meta.url);
try {
  await init({ module_or_path: url });
} catch (cause) {
  throw new Error(
    `groupgate could not load its WebAssembly module from ${url} (${cause?.message ?? cause}). ` +
      "The bundler must ship the package's web/groupgate_bg.wasm beside the code that imports it; " +
      'where it cannot (esbuild, Vite dev without `optimizeDeps.exclude: ["groupgate"]`), ' +
      'import "groupgate/inline", which embeds the module.',
    { cause },
  );
}

export { Engine, formatRule, parseRule, version } from "./web/groupgate.js";
