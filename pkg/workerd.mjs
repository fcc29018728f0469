// The package's root entry on Cloudflare Workers and other workerd hosts (export condition
// `workerd`). These runtimes forbid compiling WebAssembly from bytes at run time; their
// bundlers (wrangler) turn an import of a `.wasm` file into a compiled `WebAssembly.Module`,
// which is instantiated here, synchronously, on import.

import module from "./web/groupgate_bg.wasm";
import { initSync } from "./web/groupgate.js";

initSync({ module });

export { Engine, formatRule, parseRule, version } from "./web/groupgate.js";
