// Character offsets: the contract counts Unicode characters, JavaScript strings UTF-16 units.

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
