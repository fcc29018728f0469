// Types of `groupgate/inline`: the same API as the package's root entry, ready on import
// (the WebAssembly module is embedded in the JavaScript and instantiated synchronously).

export * from "./groupgate.js";
