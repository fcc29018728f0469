// The package as users get it: `npm pack` of pkg/, installed into a fresh project, imported
// from ES modules and CommonJS, and type-checked with `tsc --noEmit` through its `exports`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { pkgDir } from "./lib/harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const tsc = join(here, "node_modules/.bin/tsc");

function run(command, args, cwd) {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

test("the packed package installs and works from ESM, CommonJS and TypeScript", (t) => {
  const project = mkdtempSync(join(tmpdir(), "groupgate-consumer-"));
  t.after(() => rmSync(project, { recursive: true, force: true }));

  const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", project], pkgDir));
  const files = packed[0].files.map((f) => f.path).sort();
  for (const expected of [
    "LICENSE-APACHE",
    "LICENSE-MIT",
    "README.md",
    "browser.mjs",
    "groupgate.d.ts",
    "inline.d.mts",
    "inline/groupgate.js",
    "inline/package.json",
    "node/groupgate.js",
    "node/groupgate_bg.wasm",
    "package.json",
    "web.d.mts",
    "web/groupgate.js",
    "web/groupgate_bg.wasm",
    "web/package.json",
    "workerd.mjs",
  ]) {
    assert.ok(files.includes(expected), `the tarball holds ${expected}: ${files.join(", ")}`);
  }

  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", `./${packed[0].filename}`], project);

  writeFileSync(
    join(project, "esm.mjs"),
    `import { Engine, parseRule, formatRule, version } from "groupgate";
const engine = new Engine({ users: [{ id: "u1", orgRole: "owner" }], products: [{ id: "p1" }] });
const answer = engine.check("u1", "p1");
console.log(JSON.stringify({ version: version(), reason: answer.reason, text: formatRule(parseRule("a = 1")) }));
engine.free();
`,
  );
  const esm = JSON.parse(run("node", ["esm.mjs"], project));
  writeFileSync(
    join(project, "inline.mjs"),
    `import { Engine } from "groupgate/inline";
const engine = new Engine({ users: [{ id: "u1", orgRole: "admin" }], products: [{ id: "p1" }] });
console.log(engine.check("u1", "p1").reason);
`,
  );
  assert.equal(run("node", ["inline.mjs"], project).trim(), "admin");
  assert.equal(esm.reason, "owner");
  assert.equal(esm.version, JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version);
  assert.equal(typeof esm.text, "string");

  writeFileSync(
    join(project, "cjs.cjs"),
    `const { Engine } = require("groupgate");
const engine = new Engine('{"users":[{"id":"u1"}],"products":[{"id":"p1"}]}');
console.log(engine.decide("u1", "p1"));
engine.free();
`,
  );
  assert.equal(run("node", ["cjs.cjs"], project).trim(), "0");

  copyFileSync(join(here, "types/usage.ts"), join(project, "usage.ts"));
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: "es2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        lib: ["es2022", "dom"],
        types: [],
        skipLibCheck: false,
        noUnusedLocals: false,
      },
      files: ["usage.ts"],
    }),
  );
  try {
    run(tsc, ["-p", "."], project);
  } catch (failure) {
    assert.fail(`tsc --noEmit failed:\n${failure.stdout}${failure.stderr}`);
  }
});

test("the package publishes cleanly: README, both licenses, a repository, no warning", () => {
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  assert.equal(pkg.license, "MIT OR Apache-2.0");
  assert.match(pkg.repository?.url ?? "", /^git\+https:\/\//);
  assert.match(readFileSync(join(pkgDir, "LICENSE-MIT"), "utf8"), /Permission is hereby granted, free of charge/);
  assert.match(readFileSync(join(pkgDir, "LICENSE-APACHE"), "utf8"), /Apache License\s+Version 2\.0, January 2004/);
  // Every file the exports name is in the tarball, and every condition's target exists.
  const packed = JSON.parse(run("npm", ["pack", "--dry-run", "--json"], pkgDir))[0].files.map((f) => f.path);
  const targets = [];
  const walk = (value) => {
    if (typeof value === "string") targets.push(value.replace(/^\.\//, ""));
    else for (const item of Object.values(value)) walk(item);
  };
  walk(pkg.exports);
  for (const target of targets) assert.ok(packed.includes(target), `the tarball holds ${target}`);
  // `npm publish --dry-run` checks the manifest (and fixes it with a warning when it is wrong).
  // Being logged in to the registry is the machine's business, not the package's.
  const result = spawnSync("npm", ["publish", "--dry-run"], { cwd: pkgDir, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const warnings = result.stderr
    .split("\n")
    .filter((line) => /^npm (warn|error)/i.test(line) && !/requires you to be logged in/.test(line));
  assert.deepEqual(warnings, []);
});
