// End to end: the console built, served on 127.0.0.1 by serve.mjs, and driven in headless
// Chromium (Debian's /usr/bin/chromium through playwright-core; CHROMIUM=path overrides it).
// Each view is saved as a screenshot under target/console-screenshots/.
//
//   node --test console/test/            (after `make wasm-js`; the test builds the console)
//
// `suggest`, `impact` and `apply` are new in the contract. The tests that need them ask the
// engine first: while it answers `unknown-op`, they are reported as skipped (with the reason)
// and the console's polite fallback is checked instead. GROUPGATE_REQUIRE_OPS=suggest,impact,apply
// turns such a skip into a failure, for when the core has them.
// GROUPGATE_CONSOLE_TENANT=path.json also loads that (large) tenant and checks that the page
// keeps drawing frames while the worker compiles it.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { serve } from "../serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const consoleDir = resolve(here, "..");
const root = resolve(consoleDir, "..");
const shots = join(root, "target/console-screenshots");
const required = new Set((process.env.GROUPGATE_REQUIRE_OPS ?? "").split(",").filter(Boolean));

/** Which of the new ops the engine in pkg/ answers (not `unknown-op`). */
function engineSupport() {
  const { Engine } = createRequire(import.meta.url)(join(root, "pkg/node/groupgate.js"));
  const engine = new Engine({ users: [{ id: "u1" }], groups: [{ id: "g1", name: "G" }] });
  const knows = (request) => engine.query(request).error?.code !== "unknown-op";
  const support = {
    suggest: knows({ op: "suggest", text: "" }),
    impact: knows({ op: "impact", changes: [] }),
    apply: knows({ op: "apply", changes: [] }),
  };
  engine.free();
  return support;
}

/** Skips test `t` when the engine lacks `op`, unless the op is required. */
function needs(t, op) {
  if (support[op]) return false;
  if (required.has(op)) assert.fail(`the engine answers \`${op}\` with unknown-op, and GROUPGATE_REQUIRE_OPS requires it`);
  t.skip(`the engine answers \`${op}\` with unknown-op`);
  return true;
}

const support = engineSupport();
let server;
let context;
let page;
let base;
let profile;
const pageErrors = [];

async function shot(name) {
  await shotOf(page, name);
}

async function go(hash) {
  await visit(page, hash);
}

async function visit(tab, hash) {
  await tab.evaluate((h) => (location.hash = h), hash);
}

async function shotOf(tab, name) {
  await tab.waitForTimeout(150);
  await tab.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

before(async () => {
  execFileSync(process.execPath, [join(consoleDir, "build.mjs")], { stdio: "inherit" });
  mkdirSync(shots, { recursive: true });
  server = await serve({ port: 0 });
  base = `http://127.0.0.1:${server.address().port}/`;
  profile = mkdtempSync(join(tmpdir(), "groupgate-console-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  await page.goto(`${base}#/groups`);
  await page.locator('[data-testid="group-table"] tbody tr').first().waitFor({ timeout: 30_000 });
});

after(async () => {
  await context?.close();
  server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
});

describe("groups", () => {
  it("loads the sample tenant in a worker and lists its groups, 8 per page", async () => {
    const rows = page.locator('[data-testid="group-table"] tbody tr');
    assert.equal(await rows.count(), 8);
    assert.match(await page.getByTestId("pager-range").first().textContent(), /1–8 of 30 groups/);
    assert.match(await page.getByTestId("tenant-card").textContent(), /300 users/);
    // The first group by name, with its member count and role names.
    const first = rows.first();
    assert.equal(await first.getAttribute("data-group"), "g-all-employees");
    assert.equal((await first.getByTestId("member-count").textContent()).trim(), "275");
    assert.match(await first.textContent(), /Employee/);
    await shot("groups");
  });

  it("searches names in every locale without accents", async () => {
    await page.getByTestId("group-search").fill("equipe");
    await page.waitForFunction(() => {
      const rows = document.querySelectorAll('[data-testid="group-table"] tbody tr');
      return rows.length === 1 && rows[0].dataset.group === "g-design";
    });
    await page.getByTestId("group-search").fill("zzz-nothing");
    await page.getByText("No groups match").waitFor();
    await shot("groups-empty");
    await page.getByTestId("group-search").fill("");
  });

  it("sorts by member count, largest first, and filters by status", async () => {
    await page.getByTestId("group-sort").selectOption("members");
    await page.getByTestId("group-order").click();
    await page.waitForFunction(() => {
      const counts = [...document.querySelectorAll('[data-testid="member-count"]')].map((cell) => Number(cell.textContent.replace(/,/g, "")));
      return counts.length === 8 && counts.every((n, i) => i === 0 || counts[i - 1] >= n) && counts[0] === 275;
    });
    await page.getByTestId("group-status").locator('[data-value="inactive"]').click();
    await page.waitForFunction(() => {
      const rows = document.querySelectorAll('[data-testid="group-table"] tbody tr');
      return rows.length === 1 && rows[0].dataset.group === "g-legacy-vpn";
    });
    // Back to the defaults for the next tests.
    await page.getByTestId("group-status").locator('[data-value="all"]').click();
    await page.getByTestId("group-sort").selectOption("name");
    await page.getByTestId("group-order").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="group-table"] tbody tr')?.dataset.group === "g-all-employees");
  });

  it("moves through the list with the keyboard", async () => {
    await page.getByTestId("group-search").focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.getByTestId("group-detail").waitFor();
    assert.match(page.url(), /#\/groups\/g-people-managers$/);
    await go("#/groups");
    await page.getByTestId("groups-view").waitFor();
  });
});

describe("group page", () => {
  before(async () => {
    await go("#/groups/g-paris-managers");
    await page.getByTestId("group-detail").waitFor();
    await page.locator('[data-testid="member-table"] tbody tr').first().waitFor();
  });

  it("shows the rule, the roles and products, and all members with their types", async () => {
    assert.match(await page.getByTestId("group-rule").textContent(), /MEMBER OF "g-paris-all"/);
    assert.match(await page.getByTestId("group-products").textContent(), /Tableau/);
    const all = await page.getByTestId("member-type").locator('[data-value="all"] .count').textContent();
    assert.ok(Number(all) > 2, `members: ${all}`);
    await shot("group");
  });

  it("filters members by type", async () => {
    await page.getByTestId("member-type").locator('[data-value="manual"]').click();
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="member-table"] tbody tr')];
      return rows.length === 2 && rows.every((row) => row.querySelector('[data-testid="member-types"]').textContent.includes("Manual"));
    });
    await page.getByTestId("member-type").locator('[data-value="dynamic"]').click();
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="member-table"] tbody tr')];
      return rows.length > 2 && rows.every((row) => row.querySelector('[data-testid="member-types"]').textContent.includes("Dynamic"));
    });
    await shot("group-members-dynamic");
  });

  it("says whether a user is a member, and why", async () => {
    await page.getByTestId("explain-picker").fill("elodie");
    await page.locator('.menu[data-settled="true"] li', { hasText: "u-elodie" }).click();
    const result = page.getByTestId("explain-result");
    await result.locator(".trace-condition").first().waitFor();
    const text = await result.textContent();
    assert.match(text, /Élodie Petit\sis a member/);
    assert.match(text, /Manual/);
    assert.match(text, /Dynamic/);
    assert.match(text, /job is "Support Manager"/);
  });

  it("lists members that come from included groups with their `via`", async () => {
    await go("#/groups/g-eng-all");
    await page.getByTestId("group-detail").waitFor();
    await page.getByTestId("member-type").locator('[data-value="group"]').click();
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="member-table"] tbody tr')];
      return rows.length === 10 && rows.every((row) => row.textContent.includes("From group") && row.querySelector("td:nth-child(3) a"));
    });
  });

  it("shows the published dashboard and the draft being edited", async () => {
    await go("#/groups/g-support");
    await page.getByTestId("group-detail").waitFor();
    const draft = await page.getByTestId("dashboard-draft").textContent();
    assert.match(draft, /ai-suggestions/);
    await page.getByRole("radio", { name: "Published" }).click();
    const published = await page.getByTestId("dashboard-published").textContent();
    assert.doesNotMatch(published, /ai-suggestions/);
    assert.match(await page.getByTestId("group-module").textContent(), /Support Console/);
  });
});

describe("rule editor", () => {
  before(async () => {
    await go("#/rules");
    await page.getByTestId("rules-view").waitFor();
  });

  it("counts the matches as the rule is typed", async () => {
    const input = page.getByTestId("rule-input");
    await input.click();
    await input.pressSequentially("location = Paris AND job LIKE Manager", { delay: 5 });
    await page.waitForFunction(() => document.querySelector('[data-testid="rule-count"] .big-number')?.textContent === "11");
    assert.equal(await page.locator('[data-testid="rule-matches"] .match').count(), 11);
    assert.match(await page.getByTestId("rule-status").textContent(), /Valid rule/);
  });

  it("explains, condition by condition, why a user matches or not", async () => {
    await page.locator('[data-testid="rule-matches"] .match').first().click();
    const result = page.getByTestId("why-result");
    await result.locator(".trace-condition").nth(1).waitFor();
    const text = await result.textContent();
    assert.match(text, /matches/);
    assert.match(text, /location = Paris/);
    assert.match(text, /location is "Paris"/);
    await shot("rules");
  });

  it("underlines a syntax error where it is, with what was expected", async () => {
    const input = page.getByTestId("rule-input");
    // A rule that stops short at the cursor is still being typed: what comes next, no underline.
    await input.fill("location = Paris AND");
    await page.waitForFunction(() => /Line 1, column 21/.test(document.querySelector('[data-testid="rule-status"]')?.textContent ?? ""));
    const status = await page.getByTestId("rule-status").textContent();
    assert.match(status, /expected .*field/);
    assert.equal(await page.getByTestId("rule-error-mark").count(), 0);
    // The same error with the cursor elsewhere is underlined where the rule stops.
    await page.keyboard.press("Home");
    await page.getByTestId("rule-error-mark").waitFor();
    await input.fill("location = Paris AND AND status = Active");
    await page.waitForFunction(() => document.querySelector('[data-testid="rule-error-mark"]')?.textContent === "AND");
    await shot("rules-error");
  });

  it("suggests fields, operators and values at the cursor", async (t) => {
    if (needs(t, "suggest")) return;
    await checkSuggest(page);
  });

  it("says politely when suggestions are not available", async (t) => {
    if (support.suggest) {
      t.skip("the engine has `suggest`");
      return;
    }
    await page.getByTestId("rule-input").fill("dep");
    await page.getByTestId("unsupported-suggest").waitFor();
  });
});

describe("a group's rule", () => {
  it("opens the group's rule in the editor, traces it with explain, and stages an edit", async () => {
    await go("#/groups/g-finance");
    await page.getByTestId("group-detail").waitFor();
    await page.getByRole("link", { name: "Edit rule" }).click();
    await page.getByTestId("rules-view").waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="rule-input"]').value === "department = Finance");
    assert.match(await page.getByTestId("rules-view").textContent(), /This is the group's current rule/);
    await page.locator('[data-testid="rule-matches"] .match').first().click();
    await page.getByTestId("why-result").getByText("explain", { exact: true }).waitFor();
    const input = page.getByTestId("rule-input");
    await input.fill("department = Finance AND status = Active");
    await page.getByTestId("why-result").getByText("traced", { exact: true }).waitFor();
    await page.getByTestId("stage-rule").click();
    await go("#/changes");
    assert.match(await page.locator('[data-testid="staged-list"]').textContent(), /Set the rule of Finance to department = Finance AND status = Active/);
    await page.getByRole("button", { name: "Discard all" }).click();
  });
});

describe("user page", () => {
  it("shows groups with types and via, roles with sources, products with reasons, homepage", async () => {
    await go("#/users");
    await page.getByTestId("user-search").fill("priya");
    await page.locator('[data-testid="user-list"] [data-user="u-priya"]').click();
    await page.getByTestId("user-detail").waitFor();
    const groups = await page.getByTestId("user-groups").textContent();
    assert.match(groups, /Customer Support/);
    const roles = await page.getByTestId("user-roles").textContent();
    assert.match(roles, /from/);
    assert.ok((await page.getByTestId("user-products").locator("tr").count()) > 0);
    assert.match(await page.getByTestId("user-homepage").first().textContent(), /Support Console/);
    await shot("user");
  });
});

describe("lint", () => {
  it("lists the findings, each linking to its group", async () => {
    // `g` then `l` goes to Lint from anywhere but a text field.
    await page.locator("h1").click();
    await page.keyboard.press("g");
    await page.keyboard.press("l");
    await page.getByTestId("lint-view").waitFor();
    const findings = page.locator('[data-testid="lint-findings"] li');
    await findings.first().waitFor();
    assert.ok((await findings.count()) > 5);
    await shot("lint");
    const tiny = page.locator('[data-code="tiny-group"]');
    await tiny.click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="lint-findings"] li').length === 4);
    const link = page.locator('[data-testid="lint-findings"] a[data-group]').first();
    const group = await link.getAttribute("data-group");
    await link.click();
    await page.getByTestId("group-detail").waitFor();
    assert.ok(page.url().endsWith(`#/groups/${group}`));
  });
});

/** Types a rule with the suggestions at the cursor, on `tab`. */
async function checkSuggest(tab) {
  await visit(tab, "#/rules");
  const input = tab.getByTestId("rule-input");
  await input.fill("");
  await input.pressSequentially("loc", { delay: 10 });
  const suggestions = tab.getByTestId("suggestions");
  await tab.waitForFunction(() => document.querySelector('[data-testid="suggestions"][data-fresh="true"] li')?.textContent.includes("location"));
  await tab.keyboard.press("Tab");
  await tab.waitForFunction(() => document.querySelector('[data-testid="rule-input"]').value === "location ");
  await suggestions.locator('[data-kind="operator"]').first().waitFor();
  await tab.keyboard.press("Enter");
  await tab.waitForFunction(() => document.querySelector('[data-testid="rule-input"]').value === "location = ");
  await suggestions.locator('[data-kind="value"]').first().waitFor();
  assert.match(await suggestions.textContent(), /Paris/);
  await shotOf(tab, "rules-suggest");
  await input.pressSequentially("Par", { delay: 10 });
  await tab.waitForFunction(() => document.querySelector('[data-testid="suggestions"] li')?.textContent.includes("Paris"));
  await tab.keyboard.press("Tab");
  await tab.waitForFunction(() => document.querySelector('[data-testid="rule-input"]').value === "location = Paris ");
  await tab.waitForFunction(() => Number(document.querySelector('[data-testid="rule-count"] .big-number')?.textContent) > 0);
  await tab.keyboard.press("Escape");
}

/** Stages three changes from two groups' pages, on `tab`. */
async function stageThree(tab) {
  await visit(tab, "#/groups/g-contractors");
  await tab.getByTestId("group-detail").waitFor();
  await tab.getByTestId("add-member").click();
  await tab.getByTestId("add-member-picker").fill("u-0021");
  await tab.locator('.menu[data-settled="true"] li', { hasText: "u-0021" }).click();
  await tab.getByTestId("toggle-active").click();
  await visit(tab, "#/groups/g-legacy-vpn");
  await tab.getByTestId("group-detail").waitFor();
  await tab.getByTestId("toggle-active").click();
  await visit(tab, "#/changes");
  await tab.getByTestId("changes-view").waitFor();
  assert.equal(await tab.locator('[data-testid="staged-list"] li').count(), 3);
  assert.match(await tab.getByTestId("nav-changes").textContent(), /3/);
}

/** The impact of those three changes, as the Pending changes page shows it. */
async function checkImpact(tab) {
  await tab.getByTestId("impact").waitFor();
  assert.ok(Number(await tab.getByTestId("impact-users").textContent()) > 0);
  // Contractors loses nobody but gains Amelia; Legacy VPN's members are unchanged (an inactive
  // group still has members), but they gain its role and product.
  const contractors = tab.locator('[data-testid="impact-groups"] tr[data-group="g-contractors"]');
  assert.match(await contractors.textContent(), /1\s*2\s*\+1/);
  const amelia = tab.locator('[data-testid="impact-user-table"] tr[data-user="u-0021"]');
  assert.match(await amelia.textContent(), /\+ Contractors - Q2 Project/);
  const vpnUser = tab.locator('[data-testid="impact-user-table"] tr', { hasText: "+ Legacy VPN" }).first();
  assert.match(await vpnUser.textContent(), /\+ VPN|\+ Legacy VPN/);
  await shotOf(tab, "changes-impact");
}

/** Applies them, and checks that the list and a group's page follow. */
async function checkApply(tab) {
  await tab.getByTestId("apply").click();
  await tab.getByTestId("applied").waitFor();
  assert.equal(await tab.locator('[data-testid="staged-list"] li').count(), 0);
  assert.match(await tab.getByTestId("applied").textContent(), /sample-2025-06-01\+edit1/);
  await visit(tab, "#/groups");
  await tab.getByTestId("group-status").locator('[data-value="inactive"]').click();
  await tab.waitForFunction(() => {
    const groups = [...document.querySelectorAll('[data-testid="group-table"] tbody tr')].map((row) => row.dataset.group);
    return groups.length === 1 && groups[0] === "g-contractors";
  });
  await tab.getByTestId("group-status").locator('[data-value="all"]').click();
  await visit(tab, "#/groups/g-contractors");
  await tab.getByTestId("group-detail").waitFor();
  await tab.getByTestId("member-type").locator('[data-value="manual"]').click();
  await tab.locator('[data-testid="member-table"] tr[data-user="u-0021"]').waitFor();
  await shotOf(tab, "changes-applied");
}

describe("pending changes", () => {
  it("stages several changes from groups' pages", async () => {
    await stageThree(page);
  });

  it("shows the impact: who joins or leaves, what each user gains or loses, counts per group", async (t) => {
    if (needs(t, "impact")) return;
    await checkImpact(page);
  });

  it("applies the changes and every view follows", async (t) => {
    if (needs(t, "apply")) return;
    await checkApply(page);
  });

  it("without impact and apply, says so politely and keeps the staged changes", async (t) => {
    if (support.impact && support.apply) {
      t.skip("the engine has `impact` and `apply`");
      return;
    }
    await go("#/changes");
    await page.getByTestId("changes-view").waitFor();
    if (!support.impact) await page.getByTestId("unsupported-impact").waitFor();
    if (!support.apply) {
      await page.getByTestId("apply").click();
      await page.getByTestId("unsupported-apply").waitFor();
    }
    assert.equal(await page.locator('[data-testid="staged-list"] li').count(), 3);
    await shot("changes");
  });
});

// While the engine lacks `suggest`, `impact` or `apply`, the same checks run against the
// console's test build, where a naive stand-in (src/ops-double.js) answers them in the
// contract's shapes.
describe("against a stand-in for suggest, impact and apply", () => {
  let tab;
  let doubleServer;
  const real = support.impact && support.apply && support.suggest;

  before(async () => {
    if (real) return;
    const dir = join(root, "target/console-double");
    execFileSync(process.execPath, [join(consoleDir, "build.mjs"), "--ops-double", `--outdir=${dir}`], { stdio: "inherit" });
    doubleServer = await serve({ port: 0, root: dir });
    tab = await context.newPage();
    tab.setDefaultTimeout(10_000);
    tab.on("pageerror", (error) => pageErrors.push(String(error)));
    await tab.goto(`http://127.0.0.1:${doubleServer.address().port}/#/groups`);
    await tab.locator('[data-testid="group-table"] tbody tr').first().waitFor({ timeout: 30_000 });
  });

  after(async () => {
    await tab?.close();
    doubleServer?.close();
  });

  it("suggests at the cursor, and Tab or Enter takes a suggestion", async (t) => {
    if (support.suggest) {
      t.skip("the engine has `suggest`: the rule editor's test ran on it");
      return;
    }
    await checkSuggest(tab);
  });

  it("stages, previews the impact, applies, and every view follows", async (t) => {
    if (support.impact && support.apply) {
      t.skip("the engine has `impact` and `apply`: the tests above ran on it");
      return;
    }
    await stageThree(tab);
    await checkImpact(tab);
    await checkApply(tab);
  });

  it("names the refused change when apply fails, and applies nothing", async (t) => {
    if (support.impact && support.apply) {
      t.skip("the engine has `impact` and `apply`: the tests above ran on it");
      return;
    }
    await visit(tab, "#/changes");
    await tab.locator("details.advanced summary").click();
    await tab.getByLabel("Change as JSON").fill('[{"setGroupActive": {"group": "g-it", "active": false}}, {"addGroupRole": {"group": "g-nope", "role": "r-qa"}}]');
    await tab.getByRole("button", { name: "Stage", exact: true }).click();
    await tab.getByTestId("apply").click();
    const error = tab.getByTestId("apply-error");
    await error.waitFor();
    assert.match(await error.textContent(), /Change 2 was refused/);
    assert.match(await error.textContent(), /unknown-group/);
    assert.equal(await tab.locator('[data-testid="staged-list"] li.failed').count(), 1);
    assert.equal(await tab.locator('[data-testid="staged-list"] li').count(), 2);
  });
});

describe("loading", () => {
  it("reports a snapshot that cannot be loaded, and keeps the tenant it had", async () => {
    await page.getByTestId("open-load").click();
    await page.getByRole("tab", { name: "Paste JSON" }).click();
    await page.getByTestId("load-paste").fill('{ "users": [ { "name": "no id" } ] }');
    await page.getByRole("button", { name: "Load pasted JSON" }).click();
    const error = page.getByTestId("load-error");
    await error.waitFor();
    assert.match(await error.textContent(), /invalid-snapshot/);
    assert.match(await error.textContent(), /\$\.users\[0\]/);
    await shot("load-error");
    await page.keyboard.press("Escape");
    assert.match(await page.getByTestId("tenant-card").textContent(), /300 users/);
  });

  it("loads a large tenant in the background while the page keeps drawing", async (t) => {
    const file = process.env.GROUPGATE_CONSOLE_TENANT;
    if (!file) {
      t.skip("GROUPGATE_CONSOLE_TENANT names no tenant file");
      return;
    }
    await go("#/groups");
    // Frames are counted while the worker reads and compiles the tenant.
    await page.evaluate(() => {
      window.frameGaps = [];
      let last = performance.now();
      const tick = (now) => {
        window.frameGaps.push(now - last);
        last = now;
        if (!window.stopFrames) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await page.getByTestId("open-load").click();
    await page.getByRole("tab", { name: "File" }).click();
    await page.getByTestId("load-file").setInputFiles(file);
    await page.getByTestId("load-progress").waitFor({ timeout: 10_000 });
    await shot("load-progress");
    await page.waitForFunction(() => /100,000 users/.test(document.querySelector('[data-testid="tenant-card"]')?.textContent ?? ""), null, { timeout: 120_000 });
    const gaps = await page.evaluate(() => {
      window.stopFrames = true;
      return window.frameGaps;
    });
    const worst = Math.max(...gaps.slice(1));
    assert.ok(worst < 500, `the longest frame gap while loading was ${Math.round(worst)} ms`);
    await page.waitForFunction(() => !/of 30 groups/.test(document.querySelector('[data-testid="pager-range"]')?.textContent ?? "of 30 groups"));
    await page.waitForFunction(() => !document.querySelector(".table-wrap.is-loading"));
    t.diagnostic(`the longest frame gap while loading was ${Math.round(worst)} ms`);
    await shot("groups-large");
    // The rule editor stays quick on 100,000 users.
    await go("#/rules");
    await page.getByTestId("rule-input").fill("department = Sales AND location = Seattle");
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="rule-count"] .big-number')?.textContent.replace(/,/g, "")) > 0);
    await shot("rules-large");
  });
});

describe("the page", () => {
  it("threw no error", () => {
    assert.deepEqual(pageErrors, []);
  });
});
