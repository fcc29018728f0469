// The page asks the worker: each request gets an id, each answer resolves its promise.
const worker = new Worker(new URL("./engine.worker.js", import.meta.url), { type: "module" });
const waiting = new Map();
let next = 0;
const ready = new Promise((resolve) => {
  worker.addEventListener("message", ({ data }) => {
    if (data.ready) resolve();
    else waiting.get(data.id)?.(data.answer);
    waiting.delete(data.id);
  });
});

async function ask(request) {
  await ready;
  const id = next++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    worker.postMessage({ id, request });
  });
}

const rule = document.getElementById("rule");

async function show() {
  const answer = await ask({ op: "previewRule", rule: rule.value, limit: 10 });
  document.getElementById("matches").textContent = answer.error
    ? `${answer.error.code} at column ${answer.error.column ?? "?"}: ${answer.error.message}`
    : `${answer.count} match: ${answer.users.map((user) => user.name).join(", ")}`;
}

rule.addEventListener("input", show);
await show();
const access = await ask({ op: "whoCanAccess", product: "p-crm" });
document.getElementById("access").textContent = access.users.map((user) => `${user.user} (${user.reason})`).join(", ");
document.getElementById("version").textContent = "in a worker";
document.documentElement.dataset.ready = "true";
