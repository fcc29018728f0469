// Types of the groupgate JavaScript package: the snapshot, every request and answer of the
// contract, and the `Engine` class. Answers are plain JSON objects with exactly these shapes.

// ---------------------------------------------------------------------------------------------
// JSON

/** Any JSON value: dashboards and other host-supplied data carried through unchanged. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// ---------------------------------------------------------------------------------------------
// Snapshot

/** A name: plain text, or one text per locale (which must include the snapshot's `defaultLocale`). */
export type LocalizedString = string | { [locale: string]: string };

/** A profile attribute value. */
export type AttributeValue = string | number | boolean | null | Array<string | number>;

export type OrgRole = "owner" | "admin" | "member";

export interface SnapshotUser {
  id: string;
  name?: string;
  /** Owners and admins may use every product, whatever the groups say. Default `member`. */
  orgRole?: OrgRole;
  /** Profile attributes, e.g. `gender`, `jobTitle`, `department`, `status`, `location`, `manager`, `hireDate`. */
  attributes?: { [key: string]: AttributeValue };
  /** Role ids assigned directly. */
  roles?: string[];
  /** The user's organizational home group; it does not make the user a member. */
  primaryGroup?: string;
  homepageModule?: string;
  preventHomepageRedirect?: boolean;
  dashboard?: Json;
  locale?: string;
}

/** A manual member: a user id, or an entry with an optional time window. */
export type MemberEntry =
  | string
  | { user: string; addedAt?: string; startsAt?: string; expiresAt?: string };

export interface SnapshotGroup {
  id: string;
  name: LocalizedString;
  /** `[a-z0-9]+(-[a-z0-9]+)*`, unique when present. */
  slug?: string;
  description?: string;
  avatar?: string;
  /** Inactive groups keep their members but grant nothing. Default true. */
  isActive?: boolean;
  /** Listings only; never changes evaluation. Default true. */
  isVisible?: boolean;
  homepageModule?: string;
  /** The published dashboard. */
  dashboard?: Json;
  /** The editor's working copy; never used for evaluation. */
  dashboardDraft?: Json;
  members?: MemberEntry[];
  /** Every member of these groups is a member here. */
  includeGroups?: string[];
  /** Dynamic membership rule: an AST, or text such as `department = "Sales" AND level >= 5`. */
  rule?: Rule | string;
  roles?: string[];
  products?: string[];
  createdAt?: string;
  createdBy?: string;
}

export interface SnapshotRole {
  id: string;
  name: LocalizedString;
  permissions?: string[];
  privileged?: boolean;
}

export interface SnapshotProduct {
  id: string;
  name?: string;
}

export interface SnapshotModule {
  id: string;
  name?: string;
  requiredPermission?: string;
}

/** One tenant. Every list is optional; keys the contract does not know are ignored. */
export interface Snapshot {
  /** Opaque version, echoed in every answer. */
  revision?: string;
  /** RFC 3339 evaluation instant for time-bounded memberships. */
  asOf?: string;
  /** Default `"en"`. */
  defaultLocale?: string;
  users?: SnapshotUser[];
  groups?: SnapshotGroup[];
  roles?: SnapshotRole[];
  products?: SnapshotProduct[];
  /** When present, the only valid homepage modules. */
  modules?: SnapshotModule[];
  defaults?: { dashboard?: Json };
}

export interface LoadOptions {
  /** Turn the first error-severity diagnostic into a load failure (`invalid-snapshot`). */
  strict?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Rules

export type RuleScalar = string | number | boolean;

export type ScalarOperator =
  | "="
  | "!="
  | "LIKE"
  | "NOT LIKE"
  | "STARTS WITH"
  | "ENDS WITH"
  | "<"
  | "<="
  | ">"
  | ">="
  | "REPORTS TO";

export type ListOperator = "IN" | "NOT IN";

export type PresenceOperator = "EXISTS" | "NOT EXISTS";

/** A condition of a rule. `MEMBER OF` takes no field. */
export type RuleCondition =
  | { field: string; op: ScalarOperator; value: RuleScalar }
  | { field: string; op: ListOperator; value: RuleScalar[] }
  | { field: string; op: PresenceOperator }
  | { op: "MEMBER OF"; value: string };

/** A dynamic membership rule as an AST. */
export type Rule = { all: Rule[] } | { any: Rule[] } | { not: Rule } | RuleCondition;

/** A rule node as `explain` traces it: each node with its `result`, each condition with the value it read. */
export type RuleTrace =
  | { all: RuleTrace[]; result: boolean }
  | { any: RuleTrace[]; result: boolean }
  | { not: RuleTrace; result: boolean }
  | (RuleCondition & { actual: Json; result: boolean });

// ---------------------------------------------------------------------------------------------
// Changes (for `impact` and `apply`)

export type Change =
  | { addMember: { group: string; user: string; startsAt?: string; expiresAt?: string } }
  | { removeMember: { group: string; user: string } }
  | { addInclude: { group: string; source: string } }
  | { removeInclude: { group: string; source: string } }
  | { setRule: { group: string; rule: Rule | string | null } }
  | { addGroupRole: { group: string; role: string } }
  | { removeGroupRole: { group: string; role: string } }
  | { addGroupProduct: { group: string; product: string } }
  | { removeGroupProduct: { group: string; product: string } }
  | { setGroupActive: { group: string; active: boolean } }
  | { upsertUser: SnapshotUser }
  | { removeUser: string }
  | { upsertGroup: SnapshotGroup }
  | { removeGroup: string }
  | { upsertRole: SnapshotRole }
  | { removeRole: string }
  | { upsertProduct: SnapshotProduct }
  | { removeProduct: string }
  | { setAsOf: string };

// ---------------------------------------------------------------------------------------------
// Errors

export type ErrorCode =
  | "invalid-json"
  | "invalid-snapshot"
  | "invalid-request"
  | "unknown-op"
  | "unknown-user"
  | "unknown-group"
  | "unknown-role"
  | "unknown-product"
  | "rule-syntax"
  | "invalid-rule"
  | "limit-exceeded"
  | "revision-mismatch";

/** A failure on the wire. `path`, `line`, `column`, `expected` are `null` when they do not apply. */
export interface ErrorDetail {
  code: ErrorCode;
  message: string;
  /** A JSON path such as `$.groups[3].rule` or `$.changes[2]`. */
  path: string | null;
  /** 1-based, for rule and JSON text. */
  line: number | null;
  /** 1-based, counted in Unicode characters. */
  column: number | null;
  /** What would have been accepted, for rule syntax errors. */
  expected: string[] | null;
}

/** The answer to a request that failed. */
export interface ErrorAnswer {
  error: ErrorDetail;
  revision: string | null;
}

/** What the typed methods, `parseRule`, `formatRule` and `new Engine` throw. */
export interface GroupgateError extends Error {
  code: ErrorCode;
  path?: string;
  line?: number;
  column?: number;
  expected?: string[];
}

// ---------------------------------------------------------------------------------------------
// Answers

/** Every answer carries the engine's snapshot revision (`null` when it has none). */
export interface Revisioned {
  revision: string | null;
}

export type AccessReason =
  | "group"
  | "owner"
  | "admin"
  | "no-group"
  | "unknown-user"
  | "unknown-product";

export type MembershipType = "manual" | "dynamic" | "group";

export interface Diagnostic {
  severity: "error" | "warning";
  code: string;
  message: string;
  /** A JSON path such as `$.groups[3].rule`. */
  path: string;
}

export interface CheckResult {
  allowed: boolean;
  reason: AccessReason;
  /** The groups that carry the product (reason `group`). */
  via: string[];
  /** On `no-group`: the active groups that carry the product. */
  productGroups: string[];
}

export interface CheckAnswer extends CheckResult, Revisioned {}

export interface CheckBatchAnswer extends Revisioned {
  results: CheckResult[];
}

export interface HasPermissionAnswer extends Revisioned {
  allowed: boolean;
  /** The roles that grant the permission. */
  roles: string[];
}

export interface Homepage {
  /** The module to redirect to, or `null`. */
  redirect: string | null;
  source: "prevented" | "user" | "group" | "default";
  /** The home group, or `null`. */
  group: string | null;
  /** Names the groups in conflict when there is no home group. */
  note: string | null;
  dashboard: {
    source: "user" | "group" | "default" | "none";
    group: string | null;
    layout: Json;
  };
}

export interface HomepageAnswer extends Homepage, Revisioned {}

export interface UserAccessAnswer extends Revisioned {
  groups: { group: string; types: MembershipType[]; via: string[]; isActive: boolean }[];
  roles: { role: string; sources: string[] }[];
  permissions: string[];
  products: { product: string; reason: "group" | "owner" | "admin"; via: string[] }[];
  homepage: Homepage;
}

export interface MembersAnswer extends Revisioned {
  total: number;
  members: {
    user: string;
    name: string | null;
    types: MembershipType[];
    via: string[];
    addedAt: string | null;
  }[];
}

export interface ExplainAnswer extends Revisioned {
  member: boolean;
  types: MembershipType[];
  via: string[];
  /** `null` when the group has no valid rule. */
  rule: { matched: boolean; trace: RuleTrace } | null;
}

export interface PreviewRuleAnswer extends Revisioned {
  count: number;
  users: { user: string; name: string | null }[];
  /** Fields the rule names that no user has (reading order, once each). */
  warnings: {
    code: "unknown-field";
    field: string;
    message: string;
    /** The closest known field, when one is close enough to be a slip. */
    suggestion: string | null;
  }[];
}

export interface WhoCanAccessAnswer extends Revisioned {
  count: number;
  users: { user: string; reason: "group" | "owner" | "admin"; via: string[] }[];
}

export interface EditDashboardAnswer extends Revisioned {
  layout: Json;
  isDraft: boolean;
}

export interface ParseRuleAnswer extends Revisioned {
  rule: Rule;
}

export interface FormatRuleAnswer extends Revisioned {
  text: string;
}

export interface DiagnosticsAnswer extends Revisioned {
  diagnostics: Diagnostic[];
}

export interface ListGroupsAnswer extends Revisioned {
  total: number;
  groups: {
    group: string;
    name: string;
    slug: string | null;
    description: string | null;
    avatar: string | null;
    memberCount: number;
    /** Role names. */
    roles: string[];
    createdAt: string | null;
    createdBy: string | null;
    isActive: boolean;
    isVisible: boolean;
  }[];
}

export interface ImpactAnswer extends Revisioned {
  totalUsers: number;
  users: {
    user: string;
    joined: string[];
    left: string[];
    rolesGained: string[];
    rolesLost: string[];
    permissionsGained: string[];
    permissionsLost: string[];
    productsGained: string[];
    productsLost: string[];
  }[];
  /** Sums over every user that changes, whatever `limit` is. */
  totals: {
    joined: number;
    left: number;
    rolesGained: number;
    rolesLost: number;
    permissionsGained: number;
    permissionsLost: number;
    productsGained: number;
    productsLost: number;
  };
  /**
   * Groups whose member count or active state changes, or that are added or removed; a side
   * where the group does not exist is `null`.
   */
  groups: {
    group: string;
    before: number | null;
    after: number | null;
    activeBefore: boolean | null;
    activeAfter: boolean | null;
  }[];
}

export interface ApplyAnswer extends Revisioned {
  diagnostics: Diagnostic[];
}

export type LintCode =
  | "empty-group-with-roles"
  | "tiny-group"
  | "huge-group"
  | "duplicate-name"
  | "vague-name"
  | "missing-translation"
  | "broad-privileged-role"
  | "rule-matches-nobody"
  | "rule-matches-everyone"
  | "includes-inactive";

/** `definition`: exactly one of the keys, naming an item the snapshot defines. */
export type DefinitionRequest =
  | { user: string }
  | { group: string }
  | { role: string }
  | { product: string }
  | { module: string };

/**
 * One item as the snapshot now defines it (after every applied change), in the snapshot's own
 * shape; keys at their default value or `null` are left out.
 */
export interface DefinitionAnswer extends Revisioned {
  definition: SnapshotUser | SnapshotGroup | SnapshotRole | SnapshotProduct | SnapshotModule;
}

/** The whole snapshot the engine answers for: loading it gives an engine that answers alike. */
export interface SnapshotAnswer extends Revisioned {
  snapshot: Snapshot;
}

export interface LintAnswer extends Revisioned {
  findings: {
    /** A lint code, or the code of a load diagnostic. */
    code: LintCode | (string & {});
    severity: "error" | "warning";
    group: string | null;
    message: string;
  }[];
}

export type SuggestionKind = "field" | "operator" | "value" | "group" | "user" | "keyword";

export interface Suggestion {
  /** What to show: the attribute key, operator, value, group or user id, or keyword. */
  label: string;
  kind: SuggestionKind;
  /** The text to put in place of `from`..`to`, quoted as the rule grammar needs. */
  insert: string;
  /** The group's or user's name; `null` for other kinds. */
  detail: string | null;
  /**
   * Users holding the field or value, the group's members, the user's direct reports
   * through the field; `null` for operators and keywords.
   */
  count: number | null;
}

export interface SuggestAnswer extends Revisioned {
  /** Start of the range an item replaces, in Unicode characters (code points, not UTF-16 units). */
  from: number;
  /** End of that range; equal to `from` when no token is under the cursor. */
  to: number;
  /** Those whose folded label or detail starts with the partial token first, then those containing it. */
  items: Suggestion[];
  /** `null` when the whole text parses; else the `rule-syntax` or `invalid-rule` error, at path `$.text`. */
  diagnostic: ErrorDetail | null;
}

// ---------------------------------------------------------------------------------------------
// Requests

export type Page = { page?: number; pageSize?: number };

export interface MembersOptions extends Page {
  type?: MembershipType;
  search?: string;
}

export interface PreviewRuleOptions {
  /** Default 20. */
  limit?: number;
}

export interface ListGroupsOptions extends Page {
  search?: string;
  status?: "active" | "inactive" | "all";
  includeHidden?: boolean;
  sort?: "name" | "members" | "createdAt" | "roles";
  order?: "asc" | "desc";
  locale?: string;
}

export interface ImpactOptions {
  /** Default 1000. */
  limit?: number;
}

export interface SuggestOptions {
  /** Offset into the text in Unicode characters (code points, not UTF-16 units); default: its end. */
  cursor?: number;
  /** Default 20, at most 1000. */
  limit?: number;
}

export interface ApplyOptions {
  /** Labels the new state. */
  revision?: string;
  /**
   * The revision the change list was made against: when given, the list applies only if the
   * engine's revision equals it (`null` matches an engine without one), else the error is
   * `revision-mismatch` and nothing changes.
   */
  base?: string | null;
}

/** The fields of each op's request, beside `op`. */
export interface Requests {
  check: { user: string; product: string };
  checkBatch: { checks: { user: string; product: string }[] };
  hasPermission: { user: string; permission: string };
  userAccess: { user: string };
  homepage: { user: string };
  members: { group: string } & MembersOptions;
  explain: { user: string; group: string };
  previewRule: { rule: Rule | string } & PreviewRuleOptions;
  whoCanAccess: { product: string } & Page;
  editDashboard: { group: string };
  parseRule: { text: string };
  formatRule: { rule: Rule };
  diagnostics: {};
  listGroups: ListGroupsOptions;
  impact: ({ changes: Change[] } | { next: Snapshot }) & ImpactOptions;
  apply: { changes: Change[] } & ApplyOptions;
  lint: {};
  definition: DefinitionRequest;
  snapshot: {};
  suggest: { text: string } & SuggestOptions;
}

/** The answer of each op. */
export interface Answers {
  check: CheckAnswer;
  checkBatch: CheckBatchAnswer;
  hasPermission: HasPermissionAnswer;
  userAccess: UserAccessAnswer;
  homepage: HomepageAnswer;
  members: MembersAnswer;
  explain: ExplainAnswer;
  previewRule: PreviewRuleAnswer;
  whoCanAccess: WhoCanAccessAnswer;
  editDashboard: EditDashboardAnswer;
  parseRule: ParseRuleAnswer;
  formatRule: FormatRuleAnswer;
  diagnostics: DiagnosticsAnswer;
  listGroups: ListGroupsAnswer;
  impact: ImpactAnswer;
  apply: ApplyAnswer;
  lint: LintAnswer;
  definition: DefinitionAnswer;
  snapshot: SnapshotAnswer;
  suggest: SuggestAnswer;
}

export type Op = keyof Requests;

/** A request: `op` and that op's fields. */
export type Request = { [K in Op]: { op: K } & Requests[K] }[Op];

/** The answer to request `R`, or an error answer. */
export type AnswerTo<R extends { op: string }> =
  | (R["op"] extends Op ? Answers[R["op"]] : never)
  | ErrorAnswer;

/** Any answer. */
export type Answer = Answers[Op] | ErrorAnswer;

/**
 * The fast check's decision: positive means allowed.
 * `1` through a group, `2` as owner, `3` as admin; `0` no group carries the product,
 * `-1` unknown user, `-2` unknown product.
 */
export type Decision = 1 | 2 | 3 | 0 | -1 | -2;

// ---------------------------------------------------------------------------------------------
// Engine

/** A compiled snapshot that answers requests. Call `free()` when done. */
export declare class Engine {
  /**
   * Loads a snapshot given as an object or as JSON text.
   * @throws {GroupgateError} `invalid-json`, `invalid-snapshot` or `limit-exceeded`;
   * `invalid-request` for options that are not `LoadOptions` (`{ strcit: true }`).
   */
  constructor(snapshot: Snapshot | string, options?: LoadOptions);

  /** Answers any request; failures come back as `{ error }`, never thrown (a freed engine throws). */
  query<R extends Request>(request: R): AnswerTo<R>;
  /** Answers a request given as JSON text. */
  query(request: string): Answer;

  /** Answers a request given as JSON text with the answer's JSON text, byte for byte. */
  queryJson(request: string): string;

  /** The fast access check, without JSON; throws `invalid-request` when an id is not a string. */
  decide(user: string, product: string): Decision;

  // Typed methods: each answers its op and throws failures as a GroupgateError: an argument
  // of the wrong type, or an option the op does not have, is `invalid-request`.
  check(user: string, product: string): CheckAnswer;
  checkBatch(checks: { user: string; product: string }[]): CheckBatchAnswer;
  hasPermission(user: string, permission: string): HasPermissionAnswer;
  userAccess(user: string): UserAccessAnswer;
  homepage(user: string): HomepageAnswer;
  members(group: string, options?: MembersOptions): MembersAnswer;
  explain(user: string, group: string): ExplainAnswer;
  previewRule(rule: Rule | string, options?: PreviewRuleOptions): PreviewRuleAnswer;
  whoCanAccess(product: string, options?: Page): WhoCanAccessAnswer;
  editDashboard(group: string): EditDashboardAnswer;
  diagnostics(): DiagnosticsAnswer;
  listGroups(options?: ListGroupsOptions): ListGroupsAnswer;
  /** The effect of a change list, or of replacing the snapshot with `next`. */
  impact(changesOrNext: Change[] | Snapshot, options?: ImpactOptions): ImpactAnswer;
  /** Applies a change list atomically; the engine then answers for the changed snapshot. */
  apply(changes: Change[], options?: ApplyOptions): ApplyAnswer;
  lint(): LintAnswer;
  /** What rule text can continue with at `opts.cursor`, for an editor that helps type rules. */
  suggest(text: string, opts?: SuggestOptions): SuggestAnswer;

  /** The compiled engine as bytes, for `Engine.fromCompiled`. */
  export(): Uint8Array;
  /**
   * An engine restored from `export()` bytes; it answers exactly as the engine that saved them.
   * @throws {GroupgateError} `invalid-snapshot` when the bytes are of another format version,
   * truncated or corrupted.
   */
  static fromCompiled(bytes: Uint8Array | ArrayBuffer): Engine;

  /**
   * Releases the engine's memory. Any later call, `free()` included, throws `invalid-request`.
   * Where the runtime has `Symbol.dispose`, `using` frees the engine (unless it was freed already).
   */
  free(): void;
}

/**
 * The canonical AST of a rule's text.
 * @throws {GroupgateError} `rule-syntax` (with `line`, `column`, `expected`) or `invalid-rule`.
 */
export declare function parseRule(text: string): Rule;

/**
 * The canonical text of a rule.
 * @throws {GroupgateError} `invalid-rule`.
 */
export declare function formatRule(rule: Rule): string;

/** The package version. */
export declare function version(): string;
