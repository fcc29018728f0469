// Compiled with `tsc --noEmit` against the installed package: the declarations must accept
// ordinary use and reject the mistakes marked `@ts-expect-error` (so nothing is `any`).

import {
  Engine,
  formatRule,
  parseRule,
  version,
  type AnswerTo,
  type CheckAnswer,
  type Decision,
  type GroupgateError,
  type Rule,
  type Snapshot,
} from "groupgate";
import init, { Engine as WebEngine } from "groupgate/web";
import { Engine as InlineEngine } from "groupgate/inline";

const snapshot: Snapshot = {
  revision: "r1",
  asOf: "2025-06-01T00:00:00Z",
  users: [
    { id: "u1", name: "Ana", orgRole: "member", attributes: { department: "Sales", level: 5 } },
    { id: "u2", name: "Bo", roles: ["r1"], dashboard: { widgets: ["news"] } },
  ],
  groups: [
    {
      id: "g1",
      name: { en: "Sales", fr: "Ventes" },
      rule: { all: [{ field: "department", op: "=", value: "Sales" }, { op: "MEMBER OF", value: "g2" }] },
      members: ["u2", { user: "u1", expiresAt: "2026-01-01T00:00:00Z" }],
      products: ["p1"],
    },
    { id: "g2", name: "Everyone", rule: "level >= 1" },
  ],
  roles: [{ id: "r1", name: "Seller", permissions: ["deals.read"] }],
  products: [{ id: "p1", name: "CRM" }],
};

const engine = new Engine(snapshot, { strict: true });
const fromText = new Engine(JSON.stringify(snapshot));

const check: CheckAnswer = engine.check("u1", "p1");
const allowed: boolean = check.allowed;
const reason: "group" | "owner" | "admin" | "no-group" | "unknown-user" | "unknown-product" =
  check.reason;
const decision: Decision = engine.decide("u1", "p1");

const members = engine.query({ op: "members", group: "g1", page: 1 });
if ("error" in members) {
  const code: string = members.error.code;
  const line: number | null = members.error.line;
} else {
  const total: number = members.total;
  const firstType: "manual" | "dynamic" | "group" | undefined = members.members[0]?.types[0];
}
const typed: AnswerTo<{ op: "lint" }> = engine.query({ op: "lint" });
const definition: AnswerTo<{ op: "definition"; group: string }> = engine.query({ op: "definition", group: "g1" });
const written: AnswerTo<{ op: "snapshot" }> = engine.query({ op: "snapshot" });
const anyAnswer = engine.query('{"op":"diagnostics"}');
const text: string = engine.queryJson('{"op":"diagnostics"}');

const access = engine.userAccess("u1");
const group: string | undefined = access.groups[0]?.group;
const redirect: string | null = access.homepage.redirect;
const explained = engine.explain("u1", "g1");
if (explained.rule) {
  const matched: boolean = explained.rule.matched;
}
const preview = engine.previewRule("department = Sales", { limit: 5 });
const count: number = preview.count;
engine.listGroups({ sort: "members", order: "desc", status: "active", pageSize: 8 });
engine.whoCanAccess("p1", { page: 2 });
const impact = engine.impact([{ addMember: { group: "g1", user: "u2" } }], { limit: 10 });
const joined: string[] | undefined = impact.users[0]?.joined;
engine.impact(snapshot);
const applied = engine.apply([{ setRule: { group: "g1", rule: null } }, { removeUser: "u2" }], { revision: "r2" });
const severity: "error" | "warning" | undefined = applied.diagnostics[0]?.severity;
const findings = engine.lint().findings;
const suggestion = engine.suggest("department = Sa", { cursor: 14, limit: 5 });
const from: number = suggestion.from;
const kind: "field" | "operator" | "value" | "group" | "user" | "keyword" | undefined = suggestion.items[0]?.kind;
const insert: string | undefined = suggestion.items[0]?.insert;
const underline: number | null | undefined = suggestion.diagnostic?.column;
const suggestedByQuery = engine.query({ op: "suggest", text: "dep" });
const bytes: Uint8Array = engine.export();
const restored: Engine = Engine.fromCompiled(bytes);
restored.free();
Engine.fromCompiled(bytes.buffer as ArrayBuffer).free();

const rule: Rule = parseRule("department = Sales");
const ruleText: string = formatRule(rule);
const v: string = version();

try {
  engine.members("nope");
} catch (thrown) {
  const error = thrown as GroupgateError;
  const code: "unknown-group" | string = error.code;
  const expected: string[] | undefined = error.expected;
}

// @ts-expect-error a user id is a string
engine.check(1, "p1");
// @ts-expect-error an op the contract does not have
engine.query({ op: "nope" });
// @ts-expect-error `check` needs `product`
engine.query({ op: "check", user: "u1" });
// @ts-expect-error `allowed` is a boolean
const wrong: string = check.allowed;
// @ts-expect-error orgRole is one of three values
const badRole: Snapshot = { users: [{ id: "u", orgRole: "root" }] };
// @ts-expect-error IN takes a list
const badRule: Rule = { field: "x", op: "IN", value: "a" };
// @ts-expect-error MEMBER OF takes no field
const badMemberOf: Rule = { field: "x", op: "MEMBER OF", value: "g1" };
// @ts-expect-error options are objects
engine.members("g1", 5);
// @ts-expect-error a load option the package does not have
new Engine(snapshot, { strcit: true });
// @ts-expect-error compiled bytes are bytes
Engine.fromCompiled("bytes");

await init();
const web = new WebEngine("{}");
web.free();
new InlineEngine({ users: [] }).free();
engine.free();
fromText.free();

export {
  allowed, reason, decision, typed, anyAnswer, text, group, redirect, count, joined, severity,
  findings, ruleText, v, wrong, badRole, badRule, badMemberOf, from, kind, insert, underline,
  suggestedByQuery,
};
