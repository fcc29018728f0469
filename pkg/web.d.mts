// Types of `groupgate/web`: the same API as the Node entry, after `await init()`.
/// <reference lib="dom" />

export * from "./groupgate.js";

/** Where the module comes from: a URL (default: `groupgate_bg.wasm` beside this file), a response, bytes or a compiled module. */
export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/** Fetches and instantiates the module; call once before anything else. */
export default function init(
  moduleOrPath?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>,
): Promise<unknown>;

/** Instantiates the module synchronously from bytes or a compiled module. */
export function initSync(module: { module: BufferSource | WebAssembly.Module } | BufferSource | WebAssembly.Module): unknown;
