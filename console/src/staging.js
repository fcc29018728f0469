// The staged change list: what staging one more change does to it, and how it outlives a reload.
//
// Staging keeps the list free of contradictions before the engine ever sees it: a change on a
// group staged for deletion is refused, a change and its opposite (add then remove the same role,
// deactivate then activate) cancel out, and a second rule for a group replaces the first.
// Nothing here knows what a change does to the tenant: that is the engine's `impact`.

/** Add/remove pairs on a group's set of members, roles, products and included groups. */
const OPPOSITE = {
  addMember: "removeMember",
  removeMember: "addMember",
  addGroupRole: "removeGroupRole",
  removeGroupRole: "addGroupRole",
  addGroupProduct: "removeGroupProduct",
  removeGroupProduct: "addGroupProduct",
  addInclude: "removeInclude",
  removeInclude: "addInclude",
};

/** The kind of a change and its body: `{ setRule: {...} }` → `["setRule", {...}]`. */
export function kindOf(change) {
  return Object.entries(change)[0] ?? [null, null];
}

/** The group a change is about, or `null`. */
export function groupOf(change) {
  const [kind, body] = kindOf(change);
  if (kind === "removeGroup") return typeof body === "string" ? body : null;
  if (kind === "upsertGroup") return body?.id ?? null;
  return body && typeof body === "object" && typeof body.group === "string" ? body.group : null;
}

/** What a group-set change adds or removes: the user, role, product or included group. */
function targetOf(body) {
  return body.user ?? body.role ?? body.product ?? body.source;
}

/**
 * Staging `change` (shown as `label`) on `list` (items `{ key, change, label }`):
 * `{ list, message, tone }`, where `list` is the new list (the same one when nothing changed)
 * and `message` says what happened.
 */
export function stageChange(list, change, label) {
  const key = JSON.stringify(change);
  if (list.some((item) => item.key === key)) return { list, message: "That change is already staged", tone: "neutral" };
  const [kind, body] = kindOf(change);
  const group = groupOf(change);
  const deletion = group !== null && list.find((item) => kindOf(item.change)[0] === "removeGroup" && groupOf(item.change) === group);
  if (deletion && kind !== "removeGroup") {
    return {
      list,
      refused: true,
      message: `Not staged: ${deletion.label.replace(/^Delete /, "")} is staged for deletion. Unstage the deletion to change it.`,
      tone: "error",
    };
  }
  if (kind === "setGroupActive") {
    const earlier = list.find((item) => kindOf(item.change)[0] === "setGroupActive" && groupOf(item.change) === group);
    if (earlier) {
      return { list: list.filter((item) => item !== earlier), message: `${label} cancels “${earlier.label}”: nothing is staged for its status now`, tone: "neutral" };
    }
  }
  if (OPPOSITE[kind]) {
    const earlier = list.find((item) => {
      const [otherKind, other] = kindOf(item.change);
      return otherKind === OPPOSITE[kind] && other.group === body.group && targetOf(other) === targetOf(body);
    });
    if (earlier) {
      return { list: list.filter((item) => item !== earlier), message: `${label} cancels “${earlier.label}”`, tone: "neutral" };
    }
  }
  if (kind === "setRule") {
    const earlier = list.find((item) => kindOf(item.change)[0] === "setRule" && groupOf(item.change) === group);
    if (earlier) {
      return {
        list: list.map((item) => (item === earlier ? { key, change, label } : item)),
        message: `Staged: ${label} (in place of the rule staged before)`,
        tone: "neutral",
      };
    }
  }
  const next = [...list, { key, change, label }];
  return { list: next, message: next.length > 1 ? `Staged: ${label} (${next.length} changes waiting)` : `Staged: ${label}`, tone: "neutral" };
}

const STORE = "groupgate-console:staged";

/** The staged list saved for the tenant `{ source, revision }`, or `[]`. */
export function restoreStaged(tenant) {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE) ?? "null");
    if (saved && saved.source === tenant.source && saved.revision === tenant.revision && Array.isArray(saved.items)) {
      return saved.items.filter((item) => item && typeof item.key === "string" && item.change && typeof item.label === "string");
    }
  } catch {
    // A list that cannot be read is no list.
  }
  return [];
}

/** Saves the staged list of the tenant `{ source, revision }`; an empty list removes it. */
export function saveStaged(tenant, items) {
  try {
    if (items.length) localStorage.setItem(STORE, JSON.stringify({ source: tenant.source, revision: tenant.revision, items }));
    else localStorage.removeItem(STORE);
  } catch {
    // Storage full or refused: the list still lives in the page.
  }
}
