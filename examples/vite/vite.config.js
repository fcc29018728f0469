import { defineConfig } from "vite";

export default defineConfig({
  // The dev server pre-bundles dependencies into node_modules/.vite and would leave
  // groupgate_bg.wasm behind; `vite build` needs no setting.
  optimizeDeps: { exclude: ["groupgate"] },
});
