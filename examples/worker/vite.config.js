import { defineConfig } from "vite";

export default defineConfig({
  // The dev server pre-bundles dependencies into node_modules/.vite and would leave
  // groupgate_bg.wasm behind; `vite build` needs no setting.
  optimizeDeps: { exclude: ["groupgate"] },
  // The package instantiates its module with top-level await, which IIFE workers (Vite's
  // default format) cannot hold.
  worker: { format: "es" },
});
