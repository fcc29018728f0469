// End to end: the console built, served on 127.0.0.1 by serve.mjs, and driven in headless
// Chromium (Debian's /usr/bin/chromium through playwright-core; CHROMIUM=path overrides it),
// against the real engine in pkg/. What is asserted is what an admin reads on the page; where
// a number comes from the engine (impact totals), the test asks the engine directly too.
// Each view is saved at 1440, 1024, 800 and 390 px wide under target/console-screenshots/.
//
//   node --test console/test/            (after `make wasm-js`; the test builds the console)
//
// GROUPGATE_CONSOLE_TENANT=path.json adds the flows on a generated tenant (`make test-console`
// generates a `medium` one; `groupgate gen --size large` for the large run, see README.md).

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
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
const { Engine } = createRequire(import.meta.url)(join(root, "pkg/node/groupgate.js"));
const sampleText = readFileSync(join(root, "samples/tenant.json"), "utf8");
const WIDTHS = [1440, 1024, 800, 390];

let server;
let context;
let page;
let base;
let profile;
const pageErrors = [];

/** The engine's own answer to `request` on the sample tenant (or `text`). */
function engineAnswer(request, text = sampleText) {
  const engine = new Engine(text);
  try {
    return engine.query(request);
  } finally {
    engine.free();
  }
}

async function go(hash, tab = page) {
  await tab.evaluate((h) => (location.hash = h), hash);
}

/**
 * Saves the page at every width as `<name>-<width>.png`, and checks at each that nothing
 * scrolls sideways unseen: the page is never wider than the window (a wide table scrolls
 * inside its own visible frame).
 */
async function shotAll(name, tab = page, { check = true } = {}) {
  for (const width of WIDTHS) {
    await tab.setViewportSize({ width, height: 900 });
    await tab.waitForTimeout(120);
    if (check) {
      const overflow = await tab.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name} at ${width} px is ${overflow} px wider than the window`);
    }
    await tab.screenshot({ path: join(shots, `${name}-${width}.png`), fullPage: true });
  }
  await tab.setViewportSize({ width: 1440, height: 900 });
}

async function newTab() {
  const tab = await context.newPage();
  tab.setDefaultTimeout(15_000);
  tab.on("pageerror", (error) => pageErrors.push(String(error)));
  return tab;
}

async function openConsole(tab, hash = "#/groups") {
  await tab.goto(`${base}${hash}`);
  await tab.getByTestId("tenant-card").getByText(/300 users/).waitFor({ timeout: 30_000 });
}

const stagedItems = (tab = page) => tab.locator('[data-testid="staged-list"] li');

/** Empties the staged list through "Discard all" (confirmed). */
async function discardAll(tab = page) {
  await go("#/changes", tab);
  if (!(await stagedItems(tab).count())) return;
  await tab.getByTestId("discard").click();
  await tab.getByTestId("confirm-discard").getByRole("button", { name: "Discard all" }).click();
  await tab.getByText("Nothing staged").waitFor();
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
    acceptDownloads: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--enable-precise-memory-info",
    ],
  });
  page = await newTab();
  // Reloading with staged changes asks first (beforeunload): the tests say yes.
  page.on("dialog", (dialog) => dialog.accept());
  await openConsole(page);
  await page.locator('[data-testid="group-table"] tbody tr').first().waitFor();
});

after(async () => {
  await context?.close();
  server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
});

describe("groups", () => {
  it("lists the sample tenant's groups, 8 per page, in the engine's name order", async () => {
    const rows = page.locator('[data-testid="group-table"] tbody tr');
    assert.equal(await rows.count(), 8);
    const expected = engineAnswer({ op: "listGroups" });
    assert.match(await page.getByTestId("pager-range").first().textContent(), new RegExp(`1–8 of ${expected.total} groups`));
    const shown = await rows.evaluateAll((list) => list.map((row) => row.dataset.group));
    assert.deepEqual(shown, expected.groups.map((g) => g.group));
    assert.equal((await rows.first().getByTestId("member-count").textContent()).trim(), String(expected.groups[0].memberCount));
    await shotAll("groups");
  });

  it("fills the Lint badge as soon as the tenant is loaded", async () => {
    const findings = engineAnswer({ op: "lint" }).findings.length;
    await page.waitForFunction((n) => document.querySelector('[data-testid="nav-count-lint"]')?.textContent.trim() === String(n), findings);
  });

  it("searches names in every locale without accents", async () => {
    await page.getByTestId("group-search").fill("equipe");
    await page.waitForFunction(() => {
      const rows = document.querySelectorAll('[data-testid="group-table"] tbody tr');
      return rows.length === 1 && rows[0].dataset.group === "g-design";
    });
    await page.getByTestId("group-search").fill("zzz-nothing");
    await page.getByText("No groups match").waitFor();
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
    const second = engineAnswer({ op: "listGroups" }).groups[1].group;
    assert.ok(page.url().endsWith(`#/groups/${second}`), page.url());
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
    const expected = engineAnswer({ op: "members", group: "g-paris-managers" }).total;
    assert.equal(Number(all), expected);
    await shotAll("group");
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

  it("focuses the search of Add member", async () => {
    await page.getByTestId("add-member").click();
    await page.waitForFunction(() => document.activeElement?.dataset.testid === "add-member-picker");
    await page.getByTestId("add-member").click();
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

  it("shows no error while the editor is empty", async () => {
    await page.getByTestId("rule-input").fill("");
    await page.waitForTimeout(200);
    const status = await page.getByTestId("rule-status").textContent();
    assert.doesNotMatch(status, /expected|rule-syntax|Line/);
    assert.match(await page.getByTestId("rule-count").textContent(), /Type a rule/);
  });

  it("counts the matches as the rule is typed, without flickering between states", async () => {
    const input = page.getByTestId("rule-input");
    await input.click();
    // Every status the match card shows while the rule is typed, in order.
    await page.evaluate(() => {
      window.ruleStates = [];
      const card = document.querySelector('[data-testid="rule-count"]')?.closest(".card");
      const note = () => {
        const text = card.querySelector('[data-testid="rule-count"]')?.textContent ?? "";
        const state = /Finish/.test(text) ? "finish" : /Fix/.test(text) ? "fix" : /Type/.test(text) ? "type" : "count";
        if (window.ruleStates.at(-1) !== state) window.ruleStates.push(state);
      };
      new MutationObserver(note).observe(card, { subtree: true, childList: true, characterData: true });
    });
    await input.pressSequentially("location = Paris AND job LIKE Manager", { delay: 15 });
    const expected = engineAnswer({ op: "previewRule", rule: "location = Paris AND job LIKE Manager" }).count;
    await page.waitForFunction((n) => document.querySelector('[data-testid="rule-count"] .big-number')?.textContent === String(n), expected);
    assert.equal(await page.locator('[data-testid="rule-matches"] .match').count(), Math.min(20, expected));
    assert.match(await page.getByTestId("rule-status").textContent(), /Valid rule/);
    const states = await page.evaluate(() => window.ruleStates);
    assert.ok(!states.includes("fix"), `a rule typed left to right is never shown as wrong: ${states.join(" → ")}`);
  });

  it("traces, condition by condition, why a user matches or not", async () => {
    await page.locator('[data-testid="rule-matches"] .match').first().click();
    const result = page.getByTestId("why-result");
    await result.locator(".trace-condition").nth(1).waitFor();
    const text = await result.textContent();
    assert.match(text, /matches/);
    assert.match(text, /location = Paris/);
    assert.match(text, /traced/);
    await shotAll("rules");
  });

  it("picks the user typed in the Why? picker on Enter right after typing", async () => {
    const picker = page.getByTestId("why-picker");
    await picker.click();
    await picker.pressSequentially("u-elodie", { delay: 0 });
    await page.keyboard.press("Enter");
    await page.getByTestId("why-result").getByText("Élodie Petit").waitFor();
  });

  it("underlines a syntax error where it is, with what was expected", async () => {
    const input = page.getByTestId("rule-input");
    await input.fill("location = Paris AND");
    await page.waitForFunction(() => /Line 1, column 21/.test(document.querySelector('[data-testid="rule-status"]')?.textContent ?? ""));
    assert.match(await page.getByTestId("rule-status").textContent(), /expected .*field/);
    assert.equal(await page.getByTestId("rule-error-mark").count(), 0);
    await page.keyboard.press("Home");
    await page.getByTestId("rule-error-mark").waitFor();
    await input.fill("location = Paris AND AND status = Active");
    await page.waitForFunction(() => document.querySelector('[data-testid="rule-error-mark"]')?.textContent === "AND");
    await shotAll("rules-error");
  });

  it("warns about a field no user has, and offers the closest one", async () => {
    const input = page.getByTestId("rule-input");
    await input.fill("departmnet = Sales");
    const warnings = page.getByTestId("rule-warnings");
    await warnings.waitFor();
    assert.match(await warnings.textContent(), /departmnet.*did you mean.*department/s);
    await warnings.getByRole("button", { name: "Use department" }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="rule-input"]').value === "department = Sales");
    await page.getByTestId("rule-warnings").waitFor({ state: "detached" });
  });

  it("suggests at the cursor: Tab takes a suggestion, Enter is a new line unless the list was opened by the keyboard", async () => {
    const input = page.getByTestId("rule-input");
    await input.fill("");
    await input.pressSequentially("loc", { delay: 10 });
    const suggestions = page.getByTestId("suggestions");
    await page.waitForFunction(() => document.querySelector('[data-testid="suggestions"][data-fresh="true"] li')?.textContent.includes("location"));
    await page.keyboard.press("Tab");
    await page.waitForFunction(() => document.querySelector('[data-testid="rule-input"]').value === "location ");
    await suggestions.locator('[data-kind="operator"]').first().waitFor();
    // The list follows the typing: Enter is a new line.
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector('[data-testid="rule-input"]').value === "location \n");
    await page.keyboard.press("Backspace");
    // Opened by the keyboard: Enter takes the suggestion.
    await page.keyboard.press("Control+Space");
    await suggestions.locator('[data-kind="operator"]').first().waitFor();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector('[data-testid="rule-input"]').value === "location = ");
    await suggestions.locator('[data-kind="value"]').first().waitFor();
    assert.match(await suggestions.textContent(), /Paris/);
    // The list opens below the rule and leaves the match count in sight.
    const overlap = await page.evaluate(() => {
      const a = document.querySelector('[data-testid="suggestions"]').getBoundingClientRect();
      const b = document.querySelector('[data-testid="rule-count"]').getBoundingClientRect();
      return !(a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top);
    });
    assert.equal(overlap, false, "the suggestions cover the match count");
    await shotAll("rules-suggest", page, { check: false });
    await input.pressSequentially("Par", { delay: 10 });
    await page.waitForFunction(() => document.querySelector('[data-testid="suggestions"] li')?.textContent.includes("Paris"));
    await page.keyboard.press("Tab");
    await page.waitForFunction(() => document.querySelector('[data-testid="rule-input"]').value === "location = Paris ");
    await page.keyboard.press("Escape");
  });

  it("puts no space before a closing parenthesis when a value is taken", async () => {
    const input = page.getByTestId("rule-input");
    await input.fill("location IN (Par)");
    // The cursor after "Par", before ")".
    await input.press("End");
    await input.press("ArrowLeft");
    await input.press("Control+Space");
    await page.waitForFunction(() => document.querySelector('[data-testid="suggestions"][data-fresh="true"] li')?.textContent.includes("Paris"));
    await page.keyboard.press("Tab");
    await page.waitForFunction(() => document.querySelector('[data-testid="rule-input"]').value === "location IN (Paris)");
    await page.keyboard.press("Escape");
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
    await page.getByTestId("rule-input").fill("department = Finance AND status = Active");
    await page.getByTestId("why-result").getByText("traced", { exact: true }).waitFor();
    await page.getByTestId("stage-rule").click();
    await go("#/changes");
    assert.match(await page.getByTestId("staged-list").textContent(), /Set the rule of Finance to department = Finance AND status = Active/);
    await discardAll();
  });
});

describe("user page", () => {
  it("shows groups with types and via, roles with sources, products with reasons, homepage", async () => {
    await go("#/users");
    await page.getByTestId("user-search").fill("priya");
    await page.locator('[data-testid="user-list"] [data-user="u-priya"]').click();
    await page.getByTestId("user-detail").waitFor();
    const access = engineAnswer({ op: "userAccess", user: "u-priya" });
    assert.equal(await page.locator('[data-testid="user-groups"] tr').count(), access.groups.length);
    assert.match(await page.getByTestId("user-roles").textContent(), /from/);
    assert.equal(await page.locator('[data-testid="user-products"] tr').count(), access.products.length);
    assert.match(await page.getByTestId("user-homepage").first().textContent(), /Support Console/);
    // At 1280 px the groups table and the roles card sit side by side without overlapping.
    await page.setViewportSize({ width: 1280, height: 900 });
    const overlap = await page.evaluate(() => {
      const cards = [...document.querySelectorAll(".user-cards > .card")].map((card) => card.getBoundingClientRect());
      const table = document.querySelector('[data-testid="user-groups"]').getBoundingClientRect();
      const card = document.querySelector('[data-testid="user-groups"]').closest(".card").getBoundingClientRect();
      const others = cards.filter((r) => r.left !== card.left || r.top !== card.top);
      return table.right > card.right + 1 || others.some((r) => !(r.right <= card.left || card.right <= r.left || r.bottom <= card.top || card.bottom <= r.top));
    });
    assert.equal(overlap, false);
    await shotAll("user");
  });
});

describe("lint", () => {
  it("titles each section in words, each finding linking to its group", async () => {
    await page.locator("h1").click();
    await page.keyboard.press("g");
    await page.keyboard.press("l");
    await page.getByTestId("lint-view").waitFor();
    const findings = page.locator('[data-testid="lint-findings"] li');
    await findings.first().waitFor();
    const titles = await page.locator('[data-testid="lint-findings"] .card-title').allTextContents();
    assert.ok(titles.length >= 2, titles.join(", "));
    for (const title of titles) assert.doesNotMatch(title, /^[a-z]+(-[a-z]+)+$/, `a section is titled with a code: ${title}`);
    assert.ok(titles.includes("Tiny group"), titles.join(", "));
    assert.doesNotMatch(await page.getByTestId("lint-findings").textContent(), /\(s\)/, "plurals are written out");
    await shotAll("lint");
    await page.locator('[data-code="tiny-group"]').click();
    const tiny = engineAnswer({ op: "lint" }).findings.filter((f) => f.code === "tiny-group").length;
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="lint-findings"] li').length === n, tiny);
    const link = page.locator('[data-testid="lint-findings"] a[data-group]').first();
    const group = await link.getAttribute("data-group");
    await link.click();
    await page.getByTestId("group-detail").waitFor();
    assert.ok(page.url().endsWith(`#/groups/${group}`));
  });
});

/** Stages a manual member, a deactivation and an activation from groups' pages. */
async function stageThree(tab = page) {
  await go("#/groups/g-contractors", tab);
  await tab.getByTestId("group-detail").waitFor();
  await tab.getByTestId("add-member").click();
  await tab.getByTestId("add-member-picker").fill("u-0021");
  await tab.locator('.menu[data-settled="true"] li', { hasText: "u-0021" }).click();
  await tab.getByTestId("toggle-active").click();
  await go("#/groups/g-legacy-vpn", tab);
  await tab.getByTestId("group-detail").waitFor();
  await tab.getByTestId("toggle-active").click();
  await go("#/changes", tab);
  await tab.getByTestId("changes-view").waitFor();
  assert.equal(await stagedItems(tab).count(), 3);
  assert.match(await tab.getByTestId("nav-changes").textContent(), /3/);
}

const THREE = [
  { addMember: { group: "g-contractors", user: "u-0021" } },
  { setGroupActive: { group: "g-contractors", active: false } },
  { setGroupActive: { group: "g-legacy-vpn", active: true } },
];

/** The tiles show the engine's totals for `changes`, and its count of users and groups. */
async function checkTiles(tab, changes, text) {
  const expected = engineAnswer({ op: "impact", changes, limit: 1 }, text);
  assert.ok(expected.totals, "the engine answers impact with totals");
  await tab.getByTestId("impact").waitFor();
  await tab.waitForFunction(() => !document.querySelector('[data-testid="impact"].is-loading'));
  assert.equal((await tab.getByTestId("impact-users").textContent()).replace(/,/g, ""), String(expected.totalUsers));
  assert.equal((await tab.getByTestId("impact-groups-count").textContent()).replace(/,/g, ""), String(expected.groups.length));
  for (const [key, value] of Object.entries(expected.totals)) {
    assert.equal(await tab.getByTestId(`total-${key}`).getAttribute("data-value"), String(value), `tile ${key}`);
  }
  return expected;
}

describe("pending changes", () => {
  it("refuses a change on a group staged for deletion, and merges opposite toggles", async () => {
    await go("#/groups/g-design");
    await page.getByTestId("group-detail").waitFor();
    await page.getByTestId("toggle-active").click();
    await page.getByTestId("toggle-active").click();
    await page.getByText(/cancels/).first().waitFor();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByTestId("toggle-active").click();
    const refusal = page.locator('[data-testid="toast"][data-tone="error"]');
    await refusal.waitFor();
    assert.match(await refusal.textContent(), /staged for deletion/);
    await go("#/changes");
    const items = await stagedItems().allTextContents();
    assert.equal(items.length, 1, items.join(" | "));
    assert.match(items[0], /Delete/);
    await discardAll();
  });

  it("stages changes from groups' pages and keeps them across a reload", async () => {
    await stageThree();
    await page.reload();
    await page.getByTestId("tenant-card").getByText(/300 users/).waitFor({ timeout: 30_000 });
    await go("#/changes");
    await page.getByTestId("staged-list").waitFor();
    assert.equal(await stagedItems().count(), 3);
  });

  it("shows the impact: tiles equal the engine's totals, a deactivation is a row", async () => {
    await checkTiles(page, THREE);
    const contractors = page.locator('[data-testid="impact-groups"] tr[data-group="g-contractors"]');
    assert.match(await contractors.getByTestId("impact-group-status").textContent(), /Active → inactive/);
    const vpn = page.locator('[data-testid="impact-groups"] tr[data-group="g-legacy-vpn"]');
    assert.match(await vpn.getByTestId("impact-group-status").textContent(), /Inactive → active/);
    // Deactivating Contractors takes its role and product from its members.
    const member = engineAnswer({ op: "members", group: "g-contractors" }).members[0].user;
    const listed = engineAnswer({ op: "impact", changes: THREE, limit: 200 }).users.findIndex((u) => u.user === member);
    // The users table shows 20 a page.
    for (let turn = 0; turn < Math.floor(listed / 20); turn++) {
      await page.getByTestId("impact").getByRole("button", { name: "Next page" }).click();
    }
    const row = page.locator(`[data-testid="impact-user-table"] tr[data-user="${member}"]`);
    assert.match(await row.textContent(), /− Developer|− GitHub/);
    await shotAll("changes-impact");
  });

  it("asks before discarding, and gives the focus back when cancelled", async () => {
    const discard = page.getByTestId("discard");
    await discard.click();
    const dialog = page.getByTestId("confirm-discard");
    await dialog.waitFor();
    await page.waitForFunction(() => document.activeElement?.closest('[role="dialog"]'));
    await shotAll("changes-confirm", page, { check: false });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await page.waitForFunction(() => document.activeElement?.dataset.testid === "discard");
    assert.equal(await stagedItems().count(), 3);
  });

  it("warns before leaving while changes are staged", async () => {
    const tab = await newTab();
    await openConsole(tab, "#/changes");
    await tab.getByTestId("staged-list").waitFor();
    // A page asks before unload only after the user has interacted with it.
    await tab.locator("h1").click();
    const asked = new Promise((resolve) =>
      tab.once("dialog", async (dialog) => {
        resolve(dialog.type());
        await dialog.accept();
      }),
    );
    await tab.close({ runBeforeUnload: true });
    assert.equal(await asked, "beforeunload");
  });

  it("names the refused change when apply fails, keeps the list, and clears the error once it is unstaged", async () => {
    await page.locator("details.advanced summary").click();
    await page.getByLabel("Change as JSON").fill('{"addGroupRole": {"group": "g-it", "role": "r-nope"}}');
    await page.getByRole("button", { name: "Stage", exact: true }).click();
    assert.equal(await stagedItems().count(), 4);
    await page.getByTestId("apply").click();
    const error = page.getByTestId("apply-error");
    await error.waitFor();
    const text = await error.textContent();
    assert.match(text, /Change 4 was refused/);
    assert.match(text, /addGroupRole: group g-it, role r-nope/);
    assert.match(text, /unknown-role/);
    assert.equal(await page.locator('[data-testid="staged-list"] li.failed').count(), 1);
    assert.equal(await stagedItems().count(), 4);
    await shotAll("changes-refused");
    await page.getByRole("button", { name: "Unstage: addGroupRole: group g-it, role r-nope" }).click();
    await error.waitFor({ state: "detached" });
    assert.equal(await stagedItems().count(), 3);
  });

  it("applies the changes, every view follows, and the snapshot exports and loads again", async () => {
    await page.getByTestId("apply").click();
    await page.getByTestId("applied").waitFor();
    assert.equal(await stagedItems().count(), 0);
    assert.match(await page.getByTestId("applied").textContent(), /sample-2025-06-01\+edit1/);
    assert.match(await page.getByTestId("unexported").textContent(), /3 applied changes not exported/);
    await go("#/groups");
    await page.getByTestId("group-status").locator('[data-value="inactive"]').click();
    await page.waitForFunction(() => {
      const groups = [...document.querySelectorAll('[data-testid="group-table"] tbody tr')].map((row) => row.dataset.group);
      return groups.length === 1 && groups[0] === "g-contractors";
    });
    await page.getByTestId("group-status").locator('[data-value="all"]').click();
    await go("#/groups/g-contractors");
    await page.getByTestId("group-detail").waitFor();
    await page.getByTestId("member-type").locator('[data-value="manual"]').click();
    await page.locator('[data-testid="member-table"] tr[data-user="u-0021"]').waitFor();

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export").click()]);
    const file = join(mkdtempSync(join(tmpdir(), "groupgate-export-")), download.suggestedFilename());
    await download.saveAs(file);
    assert.equal(download.suggestedFilename(), "sample-2025-06-01+edit1.json");
    const exported = readFileSync(file, "utf8");
    const group = engineAnswer({ op: "definition", group: "g-contractors" }, exported).definition;
    assert.equal(group.isActive, false);
    assert.ok(group.members.some((m) => (typeof m === "string" ? m : m.user) === "u-0021"));
    await page.getByTestId("unexported").waitFor({ state: "detached" });

    // The exported file loads in the console as any snapshot does.
    await page.getByTestId("open-load").click();
    await page.getByRole("tab", { name: "File" }).click();
    await page.getByTestId("load-file").setInputFiles(file);
    await page.getByTestId("tenant-card").getByText("sample-2025-06-01+edit1.json").waitFor();
    assert.match(await page.getByTestId("tenant-card").textContent(), /sample-2025-06-01\+edit1/);
  });
});

describe("loading", () => {
  it("reports a snapshot that cannot be loaded, and keeps the tenant it had", async () => {
    await page.getByTestId("open-load").click();
    // The dialog takes the focus, and gives it back when it closes.
    await page.waitForFunction(() => document.activeElement?.closest('[role="dialog"]'));
    await page.getByRole("tab", { name: "Paste JSON" }).click();
    await page.getByTestId("load-paste").fill('{ "users": [ { "name": "no id" } ] }');
    await page.getByRole("button", { name: "Load pasted JSON" }).click();
    const error = page.getByTestId("load-error");
    await error.waitFor();
    assert.match(await error.textContent(), /invalid-snapshot/);
    assert.match(await error.textContent(), /\$\.users\[0\]/);
    await shotAll("load-error", page, { check: false });
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => document.activeElement?.dataset.testid === "open-load");
  });

  it("counts the snapshot's errors and warnings at load, and a group says its rule is invalid", async () => {
    const snapshot = {
      revision: "broken-1",
      users: [{ id: "u1", name: "Ana", attributes: { department: "Sales" } }],
      groups: [
        { id: "g-bad", name: "Bad rule", rule: "department = " },
        { id: "g-ok", name: "Fine", members: ["u1", "u-ghost"] },
      ],
    };
    await page.getByTestId("open-load").click();
    await page.getByRole("tab", { name: "Paste JSON" }).click();
    await page.getByTestId("load-paste").fill(JSON.stringify(snapshot));
    await page.getByRole("button", { name: "Load pasted JSON" }).click();
    // This load's own toast (1 user, 2 groups): an earlier load's "Loaded" toast may still be
    // on screen until this one replaces it.
    const toast = page.locator('[data-testid="toast"]', { hasText: /Loaded .*1 user, 2 groups/ });
    await toast.waitFor();
    assert.equal(await toast.getAttribute("data-tone"), "error");
    assert.match(await toast.textContent(), /1 error and 1 warning/);
    assert.match(await toast.getByRole("link", { name: "See Lint" }).getAttribute("href"), /#\/lint/);
    await go("#/groups/g-bad");
    await page.getByTestId("invalid-rule").waitFor();
    assert.match(await page.getByTestId("invalid-rule").textContent(), /rule is invalid/);
    await shotAll("group-invalid-rule");
    await go("#/lint");
    await page.locator('[data-testid="lint-findings"] .card-title', { hasText: "Invalid rule" }).waitFor();
  });

  it("runs a user search typed while a tenant loads again when the load ends", async () => {
    // A tenant big enough to take a moment, with one user the sample does not have.
    const other = JSON.parse(sampleText);
    other.revision = "sample-with-newcomer";
    for (let i = 0; i < 20_000; i++) other.users.push({ id: `u-filler-${i}`, name: `Filler ${i}`, attributes: { department: "Filler" } });
    other.users.push({ id: "u-newcomer", name: "Zoé Newcomer" });
    await go("#/users");
    await page.getByTestId("user-search").waitFor();
    const dropped = await page.evaluateHandle((text) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], "newcomer.json", { type: "application/json" }));
      return transfer;
    }, JSON.stringify(other));
    await page.dispatchEvent(".shell", "drop", { dataTransfer: dropped });
    await page.getByTestId("user-search").fill("newcomer");
    await page.getByTestId("tenant-card").getByText("newcomer.json").waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="user-list"] [data-user="u-newcomer"]').waitFor();
    await page.getByTestId("user-search").fill("");
  });

  it("loads the sample tenant again", async () => {
    await page.getByTestId("open-load").click();
    await page.getByRole("button", { name: "Load the sample tenant" }).click();
    await page.getByTestId("tenant-card").getByText(/300 users/).waitFor();
    await page.locator('[data-testid="toast"][data-tone="success"]', { hasText: /Loaded .*300 users/ }).waitFor();
  });

  it("folds the navigation away on a narrow screen", async () => {
    await go("#/groups");
    await page.setViewportSize({ width: 390, height: 800 });
    assert.equal(await page.getByTestId("nav-lint").isVisible(), false);
    await page.getByTestId("nav-toggle").click();
    await page.getByTestId("nav-lint").click();
    await page.getByTestId("lint-view").waitFor();
    await page.getByTestId("nav-lint").waitFor({ state: "hidden" });
    await page.getByTestId("nav-toggle").click();
    await page.screenshot({ path: join(shots, "nav-open-390.png") });
    await page.getByTestId("nav-toggle").click();
    await page.setViewportSize({ width: 1440, height: 900 });
  });
});

describe("a generated tenant", () => {
  const file = process.env.GROUPGATE_CONSOLE_TENANT;

  it("loads in the background while the page keeps drawing, and its impact tiles are the engine's totals", async (t) => {
    if (!file) {
      t.skip("GROUPGATE_CONSOLE_TENANT names no tenant file");
      return;
    }
    const text = readFileSync(file, "utf8");
    const users = engineAnswer({ op: "previewRule", rule: { field: "id", op: "EXISTS" }, limit: 0 }, text).count;
    const tab = await newTab();
    await openConsole(tab);
    await tab.evaluate(() => {
      window.frameGaps = [];
      let last = performance.now();
      const tick = (now) => {
        window.frameGaps.push(now - last);
        last = now;
        if (!window.stopFrames) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await tab.getByTestId("open-load").click();
    await tab.getByRole("tab", { name: "File" }).click();
    await tab.getByTestId("load-file").setInputFiles(file);
    await tab.getByTestId("load-progress").waitFor({ timeout: 10_000 });
    const count = users.toLocaleString("en-US");
    await tab.getByTestId("tenant-card").getByText(`${count} users`).waitFor({ timeout: 180_000 });
    const gaps = await tab.evaluate(() => {
      window.stopFrames = true;
      return window.frameGaps;
    });
    const worst = Math.max(...gaps.slice(1));
    t.diagnostic(`the longest frame gap while loading was ${Math.round(worst)} ms`);
    assert.ok(worst < 500, `the longest frame gap while loading was ${Math.round(worst)} ms`);
    await tab.waitForFunction(() => !document.querySelector(".table-wrap.is-loading"));
    await shotAll("groups-generated", tab);

    // Deactivate the largest group: more users change than the impact lists.
    const largest = engineAnswer({ op: "listGroups", sort: "members", order: "desc", pageSize: 1 }, text).groups[0];
    await go(`#/groups/${encodeURIComponent(largest.group)}`, tab);
    await tab.getByTestId("group-detail").waitFor({ timeout: 30_000 });
    await tab.getByTestId("toggle-active").click();
    await go("#/changes", tab);
    const changes = [{ setGroupActive: { group: largest.group, active: false } }];
    const expected = await checkTiles(tab, changes, text);
    t.diagnostic(`deactivating ${largest.group}: ${expected.totalUsers} users change`);
    await tab.locator(`[data-testid="impact-groups"] tr[data-group="${largest.group}"]`).getByText("Active → inactive").waitFor();
    await shotAll("changes-generated", tab);

    // The rule editor stays quick on the generated tenant.
    await go("#/rules", tab);
    await tab.getByTestId("rule-input").fill("department = Sales");
    await tab.waitForFunction(() => Number(document.querySelector('[data-testid="rule-count"] .big-number')?.textContent.replace(/,/g, "")) > 0, null, { timeout: 30_000 });
    await discardAll(tab);
    await tab.close();
  });
});

describe("the page", () => {
  it("threw no error", () => {
    assert.deepEqual(pageErrors, []);
  });
});
