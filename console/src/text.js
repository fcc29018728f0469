// Text helpers: character offsets (the contract counts Unicode characters, JavaScript strings
// UTF-16 units), and top-level values read from a snapshot's text.

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

/**
 * The values of the `keys` of a JSON object's text, each parsed on its own; the other values
 * (a snapshot's users and groups) are stepped over without being built. The text is known to
 * be valid JSON (the engine has loaded it): what is not an object gives `{}`.
 */
export function topLevel(text, keys) {
  const wanted = new Set(keys);
  const out = {};
  let i = text.indexOf("{") + 1;
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  // From an opening quote to just after its closing quote.
  const skipString = () => {
    for (i++; i < text.length; i++) {
      if (text[i] === "\\") i++;
      else if (text[i] === '"') {
        i++;
        return;
      }
    }
  };
  const skipValue = () => {
    if (text[i] === '"') return skipString();
    if (text[i] !== "{" && text[i] !== "[") {
      while (i < text.length && !",}] \t\n\r".includes(text[i])) i++;
      return;
    }
    let depth = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        skipString();
        continue;
      }
      if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") depth--;
      i++;
      if (depth === 0) return;
    }
  };
  while (i > 0 && i < text.length) {
    space();
    if (text[i] !== '"') break;
    const keyStart = i;
    skipString();
    const key = JSON.parse(text.slice(keyStart, i));
    space();
    i++; // the colon
    space();
    const valueStart = i;
    skipValue();
    // A key given twice counts as JSON.parse counts it: the last one.
    if (wanted.has(key)) out[key] = JSON.parse(text.slice(valueStart, i));
    space();
    if (text[i] === ",") i++;
  }
  return out;
}
