// The root import: under Vite it resolves to the browser build, which Vite ships with its
// .wasm asset; the module is instantiated before this code runs.
import { Engine, version } from "groupgate";

import { tenant } from "./tenant.js";

const engine = new Engine(tenant);
const rule = document.getElementById("rule");

function show() {
  const matches = document.getElementById("matches");
  try {
    const { count, users } = engine.previewRule(rule.value, { limit: 10 });
    matches.textContent = `${count} match: ${users.map((user) => user.name).join(", ")}`;
  } catch (error) {
    // Rule errors carry a code, and a line and column for syntax errors.
    matches.textContent = `${error.code} at column ${error.column ?? "?"}: ${error.message}`;
  }
}

rule.addEventListener("input", show);
show();
const access = engine.whoCanAccess("p-crm");
document.getElementById("access").textContent = access.users.map((user) => `${user.user} (${user.reason})`).join(", ");
document.getElementById("version").textContent = version();
document.documentElement.dataset.ready = "true";
