// Text helpers shared by the page and the worker.

const SPECIAL = { ł: "l", ø: "o", ß: "ss", æ: "ae", œ: "oe", đ: "d", ı: "i" };

/**
 * Folds text for search the way the engine does (SPEC §7): Unicode NFKD, combining marks
 * removed, lowercase, and ł→l, ø→o, ß→ss, æ→ae, œ→oe. `equipe` finds `Équipe`.
 */
export function fold(text) {
  return String(text)
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[łøßæœđı]/g, (c) => SPECIAL[c]);
}

/**
 * The value a rule condition reads from a user record (SPEC §4.1): `id`, `name` and `orgRole`
 * from the record; any other field from the attributes, exact key first, then a key equal
 * without case; `job` means `jobTitle` unless an attribute is named `job`. For display only:
 * results always come from the engine.
 */
export function readField(user, field) {
  if (field === "id") return user.id;
  if (field === "name") return user.name ?? null;
  if (field === "orgRole") return user.orgRole ?? "member";
  const attributes = user.attributes ?? {};
  const found = attribute(attributes, field);
  if (found !== undefined) return found;
  if (field.toLowerCase() === "job") return attribute(attributes, "jobTitle") ?? null;
  return null;
}

function attribute(attributes, field) {
  if (Object.hasOwn(attributes, field)) return attributes[field];
  const lower = field.toLowerCase();
  for (const key of Object.keys(attributes)) {
    if (key.toLowerCase() === lower) return attributes[key];
  }
  return undefined;
}

/** UTF-16 index of the code point offset `offset` in `text` (the contract counts characters). */
export function indexOfChar(text, offset) {
  let index = 0;
  for (let chars = 0; chars < offset && index < text.length; chars++) {
    const code = text.charCodeAt(index);
    index += code >= 0xd800 && code <= 0xdbff && index + 1 < text.length ? 2 : 1;
  }
  return index;
}

/** Code point offset of the UTF-16 index `index` in `text`. */
export function charOffset(text, index) {
  let chars = 0;
  for (let i = 0; i < index && i < text.length; chars++) {
    const code = text.charCodeAt(i);
    i += code >= 0xd800 && code <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return chars;
}

/** UTF-16 index of a 1-based line and column (columns in characters). */
export function indexOfLineColumn(text, line, column) {
  let index = 0;
  for (let current = 1; current < line; current++) {
    const next = text.indexOf("\n", index);
    if (next < 0) return text.length;
    index = next + 1;
  }
  const lineEnd = text.indexOf("\n", index);
  const lineText = text.slice(index, lineEnd < 0 ? text.length : lineEnd);
  return index + indexOfChar(lineText, Math.max(0, column - 1));
}
