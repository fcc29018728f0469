// Small shared pieces: icons, badges, cards, pagers, notes, pickers, the trace tree, hooks.

import { createContext } from "preact";
import { useContext, useEffect, useId, useRef, useState } from "preact/hooks";


/** What every view reads: the engine client, the tenant, staged changes, navigation. */
export const Console = createContext(null);

export function useConsole() {
  return useContext(Console);
}

// ---------------------------------------------------------------------------------------------
// Hooks

/**
 * Runs `load` (an async function) whenever `deps` or the tenant's epoch change, keeping only
 * the latest answer. Returns `{ data, error, loading }`; the previous data stays visible while
 * the next loads, so lists do not flicker.
 */
export function useAsync(load, deps) {
  const { epoch } = useConsole();
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const latest = useRef(0);
  useEffect(() => {
    const run = ++latest.current;
    setState((previous) => ({ ...previous, loading: true }));
    Promise.resolve()
      .then(load)
      .then(
        (data) => run === latest.current && setState({ data, error: null, loading: false }),
        (error) => run === latest.current && setState({ data: null, error, loading: false }),
      );
  }, [...deps, epoch]);
  return state;
}

/** `value`, settled for `delay` ms. */
export function useDebounced(value, delay) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

// ---------------------------------------------------------------------------------------------
// Icons: 16px strokes, inheriting the text color.

const PATHS = {
  groups: "M5.5 7a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5ZM1 14c0-2.5 2-4.5 4.5-4.5S10 11.5 10 14M11 2.2a2.5 2.5 0 0 1 0 4.6M12.5 9.8c1.5.6 2.5 2.1 2.5 4.2",
  rule: "M5 4 1.5 8 5 12M11 4l3.5 4L11 12M9.5 2.5l-3 11",
  user: "M8 7.5a3 3 0 1 0 0-6 3 3 0 0 0 0 6ZM2.5 14.5c0-3 2.5-5 5.5-5s5.5 2 5.5 5",
  changes: "M3 2.5h10M3 6h10M3 9.5h6M3 13h4M12 10v5M9.5 12.5h5",
  lint: "M8 1.5 15 14H1L8 1.5ZM8 6v3.5M8 11.6v.4",
  search: "M7 12.5a5.5 5.5 0 1 0 0-11 5.5 5.5 0 0 0 0 11ZM11 11l3.5 3.5",
  upload: "M8 11V2M4.5 5.5 8 2l3.5 3.5M2 11v3h12v-3",
  download: "M8 2v9M4.5 7.5 8 11l3.5-3.5M2 11v3h12v-3",
  left: "M10 3 5 8l5 5",
  right: "M6 3l5 5-5 5",
  close: "M3.5 3.5l9 9M12.5 3.5l-9 9",
  check: "M2.5 8.5 6 12l7.5-8",
  cross: "M4 4l8 8M12 4l-8 8",
  up: "M8 13V3M4 7l4-4 4 4",
  down: "M8 3v10M4 9l4 4 4-4",
  plus: "M8 2.5v11M2.5 8h11",
  minus: "M2.5 8h11",
  info: "M8 15A7 7 0 1 0 8 1a7 7 0 0 0 0 14ZM8 7v4.5M8 4.6V5",
  keyboard: "M1.5 4h13v8h-13zM4 6.5h.5M7 6.5h.5M10 6.5h.5M12 6.5h.5M4.5 9.5h7",
  dot: "M8 9.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3Z",
  arrow: "M2.5 8h11M9 3.5 13.5 8 9 12.5",
  trash: "M2.5 4h11M6 4V2.5h4V4M4 4l.7 9.5h6.6L12 4",
  power: "M8 1.5V8M4.3 4a5.5 5.5 0 1 0 7.4 0",
  menu: "M2 4h12M2 8h12M2 12h12",
};

export function Icon({ name, size = 16, class: className = "" }) {
  return (
    <svg
      class={`icon ${className}`}
      width={size}
      height={size}
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      stroke-width="1.5"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}

// ---------------------------------------------------------------------------------------------
// Text

/** `2 member(s)` → `2 members`, `1 member(s)` → `1 member`: a count says which it is. */
export function plurals(text) {
  return text.replace(/\b(\d[\d,]*) (\p{L}+)\(s\)/gu, (_, count, word) => `${count} ${count === "1" ? word : `${word}s`}`);
}

/** Renders `code` spans for the backticked parts of an engine message. */
export function Message({ text }) {
  const parts = plurals(String(text ?? "")).split("`");
  return (
    <>
      {parts.map((part, i) => (i % 2 ? <code key={i}>{part}</code> : part))}
    </>
  );
}

export function formatNumber(value) {
  return typeof value === "number" ? value.toLocaleString("en-US") : "—";
}

export function formatDate(value) {
  if (!value) return "—";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleDateString("en-GB", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
}

export function plural(count, one, many = `${one}s`) {
  return `${formatNumber(count)} ${count === 1 ? one : many}`;
}

export function initials(name) {
  const words = String(name ?? "?").replace(/[^\p{L}\p{N} ]/gu, " ").split(/\s+/).filter(Boolean);
  return ((words[0]?.[0] ?? "?") + (words.length > 1 ? words[words.length - 1][0] : "")).toUpperCase();
}

/** A stable hue per id, for avatars. */
export function hue(id) {
  let hash = 2166136261;
  for (const char of String(id)) hash = Math.imul(hash ^ char.codePointAt(0), 16777619);
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 2246822507);
  hash ^= hash >>> 13;
  return (hash >>> 0) % 360;
}

export function Avatar({ id, name, size = 28 }) {
  return (
    <span
      class="avatar"
      style={{ "--hue": hue(id), width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.4)}px` }}
      aria-hidden="true"
    >
      {initials(name ?? id)}
    </span>
  );
}

// ---------------------------------------------------------------------------------------------
// Badges and chips

export function Badge({ tone = "neutral", children, title }) {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

const TYPE_LABEL = { manual: "Manual", dynamic: "Dynamic", group: "From group" };
const TYPE_TONE = { manual: "blue", dynamic: "violet", group: "teal" };

export function TypeBadge({ type }) {
  return <Badge tone={TYPE_TONE[type] ?? "neutral"}>{TYPE_LABEL[type] ?? type}</Badge>;
}

export function StatusBadge({ active, visible = true }) {
  return (
    <span class="badges">
      {active ? <Badge tone="green">Active</Badge> : <Badge tone="gray">Inactive</Badge>}
      {visible ? null : <Badge tone="outline">Hidden</Badge>}
    </span>
  );
}

export function Chip({ children, onRemove, removeLabel, struck, tone, title }) {
  return (
    <span class={`chip ${struck ? "chip-struck" : ""} ${tone ? `chip-${tone}` : ""}`} title={title}>
      {children}
      {onRemove ? (
        <button type="button" class="chip-remove" onClick={onRemove} aria-label={removeLabel} title={removeLabel}>
          <Icon name="close" size={12} />
        </button>
      ) : null}
    </span>
  );
}

// ---------------------------------------------------------------------------------------------
// Links

export function GroupLink({ id, name }) {
  return (
    <a class="link" href={`#/groups/${encodeURIComponent(id)}`}>
      {name ?? id}
    </a>
  );
}

export function UserLink({ id, name }) {
  return (
    <a class="link" href={`#/users/${encodeURIComponent(id)}`}>
      {name ?? id}
    </a>
  );
}

// ---------------------------------------------------------------------------------------------
// Layout pieces

export function Card({ title, actions, children, class: className = "", pad = true, subtitle }) {
  return (
    <section class={`card ${className}`}>
      {title || actions ? (
        <header class="card-head">
          <div>
            <h2 class="card-title">{title}</h2>
            {subtitle ? <p class="card-subtitle">{subtitle}</p> : null}
          </div>
          {actions ? <div class="card-actions">{actions}</div> : null}
        </header>
      ) : null}
      <div class={pad ? "card-body" : ""}>{children}</div>
    </section>
  );
}

export function PageHead({ title, subtitle, actions, crumbs }) {
  return (
    <header class="page-head">
      <div class="page-head-text">
        {crumbs ? <nav class="crumbs">{crumbs}</nav> : null}
        <h1>{title}</h1>
        {subtitle ? <p class="page-subtitle">{subtitle}</p> : null}
      </div>
      {actions ? <div class="page-actions">{actions}</div> : null}
    </header>
  );
}

export function Empty({ icon = "search", title, children, action }) {
  return (
    <div class="empty">
      <span class="empty-icon">
        <Icon name={icon} size={20} />
      </span>
      <p class="empty-title">{title}</p>
      {children ? <p class="empty-text">{children}</p> : null}
      {action ?? null}
    </div>
  );
}

/** A calm note: `info`, `warning` or `error`. */
export function Note({ tone = "info", title, children, testid }) {
  return (
    <div class={`note note-${tone}`} role={tone === "error" ? "alert" : "note"} data-testid={testid}>
      <Icon name={tone === "info" || tone === "quiet" ? "info" : "lint"} />
      <div>
        {title ? <p class="note-title">{title}</p> : null}
        <div class="note-text">{children}</div>
      </div>
    </div>
  );
}

export function ErrorNote({ error, title = "Something went wrong" }) {
  if (!error) return null;
  return (
    <Note tone="error" title={title}>
      <Message text={error.message ?? String(error)} />
      {error.code ? <span class="muted"> · {error.code}</span> : null}
    </Note>
  );
}

const FOCUSABLE = 'button:not([disabled]), [href], input:not([type="hidden"]):not([hidden]), select, textarea, [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog: it takes the focus when it opens (the element marked `data-autofocus`, else
 * the first control), keeps Tab inside, and gives the focus back to where it was when it closes.
 */
export function Dialog({ title, onClose, children, small, testid }) {
  const ref = useRef();
  const titleId = useId();
  useEffect(() => {
    const previous = document.activeElement;
    const node = ref.current;
    const first = node.querySelector("[data-autofocus]") ?? node.querySelector(FOCUSABLE);
    (first ?? node).focus();
    return () => {
      if (previous instanceof HTMLElement && previous.isConnected) previous.focus();
    };
  }, []);
  const onKeyDown = (event) => {
    if (event.key !== "Tab") return;
    const items = [...ref.current.querySelectorAll(FOCUSABLE)].filter((item) => item.offsetParent !== null);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };
  return (
    <div class="dialog-backdrop" onMouseDown={(event) => event.target === event.currentTarget && onClose()}>
      <div ref={ref} class={`dialog ${small ? "dialog-small" : ""}`} role="dialog" aria-modal="true" aria-labelledby={titleId} tabIndex={-1} onKeyDown={onKeyDown} data-testid={testid}>
        <header class="dialog-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" class="btn btn-icon" onClick={onClose} aria-label="Close">
            <Icon name="close" />
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}

/** Asks before something that cannot be undone; `onConfirm` runs on the danger button. */
export function Confirm({ title, children, action, onConfirm, onClose, testid }) {
  return (
    <Dialog title={title} onClose={onClose} small testid={testid}>
      <div class="dialog-body">
        <p>{children}</p>
        <div class="row dialog-actions">
          <button type="button" class="btn" onClick={onClose} data-autofocus>
            Cancel
          </button>
          <button
            type="button"
            class="btn btn-danger"
            onClick={() => {
              onConfirm();
              onClose();
            }}
          >
            {action}
          </button>
        </div>
      </div>
    </Dialog>
  );
}

/** A typeahead over the tenant's groups, searched by the engine (`listGroups`). */
export function GroupPicker({ onPick, placeholder = "Choose a group…", testid, except = null, compact }) {
  const { client } = useConsole();
  const search = async (text) => {
    const answer = await client.query({ op: "listGroups", search: text, includeHidden: true, pageSize: 9 });
    if (answer.error) throw answer.error;
    return answer.groups.filter((g) => g.group !== except).map((g) => ({ id: g.group, name: g.name }));
  };
  return <ItemPicker search={search} onPick={onPick} placeholder={placeholder} testid={testid} icon="groups" compact={compact} />;
}

export function Spinner({ label = "Loading" }) {
  return <span class="spinner" role="status" aria-label={label} />;
}

// ---------------------------------------------------------------------------------------------
// Controls

export function SearchBox({ value, onInput, placeholder, inputRef, label, testid, onKeyDown }) {
  const id = useId();
  return (
    <label class="search" for={id}>
      <Icon name="search" />
      <span class="sr-only">{label ?? placeholder}</span>
      <input
        id={id}
        ref={inputRef}
        type="search"
        value={value}
        placeholder={placeholder}
        onInput={(event) => onInput(event.currentTarget.value)}
        onKeyDown={onKeyDown}
        autocomplete="off"
        spellcheck={false}
        data-testid={testid}
        data-search
      />
    </label>
  );
}

/** A row of mutually exclusive buttons. `options`: [{ value, label, count? }]. */
export function Segmented({ value, options, onChange, label, testid }) {
  return (
    <div class="segmented" role="radiogroup" aria-label={label} data-testid={testid}>
      {options.map((option) => (
        <button
          type="button"
          role="radio"
          aria-checked={option.value === value}
          class={option.value === value ? "on" : ""}
          onClick={() => onChange(option.value)}
          data-value={option.value}
        >
          {option.label}
          {option.count !== undefined && option.count !== null ? <span class="count">{formatNumber(option.count)}</span> : null}
        </button>
      ))}
    </div>
  );
}

export function Pager({ page, pageSize, total, onPage, noun = "items" }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <div class="pager">
      <span class="pager-range" data-testid="pager-range">
        {total === 0 ? `No ${noun}` : `${formatNumber(first)}–${formatNumber(last)} of ${formatNumber(total)} ${noun}`}
      </span>
      <span class="pager-buttons">
        <button type="button" class="btn btn-icon" disabled={page <= 1} onClick={() => onPage(page - 1)} aria-label="Previous page" title="Previous page">
          <Icon name="left" />
        </button>
        <span class="pager-page">
          {page} / {pages}
        </span>
        <button type="button" class="btn btn-icon" disabled={page >= pages} onClick={() => onPage(page + 1)} aria-label="Next page" title="Next page">
          <Icon name="right" />
        </button>
      </span>
    </div>
  );
}

export function Kbd({ children }) {
  return <kbd>{children}</kbd>;
}

// ---------------------------------------------------------------------------------------------
// User picker: a typeahead over the tenant's users (searched in the worker).

export function UserPicker({ onPick, placeholder = "Find a user by name or id", autoFocus, testid, label = "User" }) {
  const { client } = useConsole();
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const search = useDebounced(text, 80);
  const { data } = useAsync(
    async () => (open ? { search, ...(await client.call("searchUsers", { search, pageSize: 8 })) } : null),
    [search, open],
  );
  const users = data?.users ?? [];
  // Enter picks from the list of what is typed, never from the one before it.
  const settled = data?.search === text;
  const listId = useId();
  const inputRef = useRef();
  useEffect(() => {
    if (autoFocus) inputRef.current?.focus();
  }, []);
  const pickWhenSettled = useRef(false);
  const pick = (user) => {
    pickWhenSettled.current = false;
    onPick(user);
    setText("");
    setOpen(false);
  };
  useEffect(() => {
    if (pickWhenSettled.current && settled) {
      if (users[0]) pick(users[0]);
      else pickWhenSettled.current = false;
    }
  }, [settled, data]);
  return (
    <div class="picker">
      <label class="search">
        <Icon name="user" />
        <span class="sr-only">{label}</span>
        <input
          ref={inputRef}
          type="text"
          value={text}
          placeholder={placeholder}
          role="combobox"
          aria-expanded={open && users.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          data-testid={testid}
          onFocus={() => setOpen(true)}
          onBlur={() => setTimeout(() => setOpen(false), 120)}
          onInput={(event) => {
            setText(event.currentTarget.value);
            setActive(0);
            setOpen(true);
          }}
          onKeyDown={(event) => {
            if (event.key === "ArrowDown") {
              event.preventDefault();
              setActive((i) => Math.min(users.length - 1, i + 1));
            } else if (event.key === "ArrowUp") {
              event.preventDefault();
              setActive((i) => Math.max(0, i - 1));
            } else if (event.key === "Enter") {
              event.preventDefault();
              // Typed ahead of the list: pick the first match of what is typed once it is known.
              if (settled && users[active]) pick(users[active]);
              else if (text.trim()) pickWhenSettled.current = true;
            } else if (event.key === "Escape") {
              setOpen(false);
            }
          }}
        />
      </label>
      {open && users.length > 0 ? (
        <ul class={`menu ${settled ? "" : "is-loading"}`} id={listId} role="listbox" data-settled={settled}>
          {users.map((user, i) => (
            <li
              role="option"
              aria-selected={i === active}
              class={i === active ? "active" : ""}
              onMouseDown={(event) => {
                event.preventDefault();
                pick(user);
              }}
              onMouseEnter={() => setActive(i)}
            >
              <Avatar id={user.user} name={user.name} size={22} />
              <span class="menu-main">{user.name ?? user.user}</span>
              <span class="menu-detail">
                {user.jobTitle ? `${user.jobTitle} · ` : ""}
                {user.user}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Item picker: a typeahead over a list held by the page (roles, products), or over what
// `search` answers (groups, searched by the engine as `listGroups` searches).

export function ItemPicker({ items, search, onPick, placeholder, testid, compact, autoFocus, icon = "search" }) {
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const listId = useId();
  const typed = useDebounced(text.trim(), 80);
  const found = useAsync(() => (search && open ? search(typed) : null), [typed, open, Boolean(search)]);
  const needle = text.trim().toLowerCase();
  const shown = [];
  if (search) {
    shown.push(...(found.data ?? []).slice(0, 8));
  } else {
    for (const item of items) {
      if (!needle || `${item.name} ${item.id}`.toLowerCase().includes(needle)) shown.push(item);
      if (shown.length === 8) break;
    }
  }
  const pick = (item) => {
    onPick(item);
    setText("");
    setOpen(false);
  };
  return (
    <div class={`picker ${compact ? "picker-compact" : ""}`}>
      <label class="search">
        <Icon name={icon} />
        <span class="sr-only">{placeholder}</span>
        <input
          type="text"
          value={text}
          placeholder={placeholder}
          autoFocus={autoFocus}
          role="combobox"
          aria-expanded={open && shown.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          data-testid={testid}
          onFocus={() => setOpen(true)}
          onBlur={() => setTimeout(() => setOpen(false), 120)}
          onInput={(event) => {
            setText(event.currentTarget.value);
            setActive(0);
            setOpen(true);
          }}
          onKeyDown={(event) => {
            if (event.key === "ArrowDown") {
              event.preventDefault();
              setActive((i) => Math.min(shown.length - 1, i + 1));
            } else if (event.key === "ArrowUp") {
              event.preventDefault();
              setActive((i) => Math.max(0, i - 1));
            } else if (event.key === "Enter" && shown[active]) {
              event.preventDefault();
              pick(shown[active]);
            } else if (event.key === "Escape") {
              setOpen(false);
            }
          }}
        />
      </label>
      {open && shown.length > 0 ? (
        <ul class="menu" id={listId} role="listbox">
          {shown.map((item, i) => (
            <li
              role="option"
              aria-selected={i === active}
              class={i === active ? "active" : ""}
              onMouseDown={(event) => {
                event.preventDefault();
                pick(item);
              }}
              onMouseEnter={() => setActive(i)}
            >
              <span class="menu-main">{item.name}</span>
              <span class="menu-detail">{item.id}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Rule traces (`explain`, or the console's own per-node trace of a typed rule)

function scalar(value) {
  if (typeof value === "string") return /^[\p{L}\p{N}_\-.@:]+$/u.test(value) && !/^(and|or|not|like|in|starts|ends|with|exists|reports|to|member|of|true|false)$/i.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

export function conditionText(node) {
  if (node.op === "MEMBER OF") return `MEMBER OF ${scalar(node.value)}`;
  if (node.op === "EXISTS" || node.op === "NOT EXISTS") return `${node.field} ${node.op}`;
  if (Array.isArray(node.value)) return `${node.field} ${node.op} (${node.value.map(scalar).join(", ")})`;
  return `${node.field} ${node.op} ${scalar(node.value)}`;
}

function actualText(actual) {
  if (actual === null || actual === undefined) return "no value";
  if (Array.isArray(actual)) return actual.length ? actual.map((v) => JSON.stringify(v)).join(", ") : "[]";
  return JSON.stringify(actual);
}

export function Trace({ node, depth = 0 }) {
  const mark = (
    <span class={`trace-mark ${node.result ? "yes" : "no"}`} aria-label={node.result ? "holds" : "does not hold"}>
      <Icon name={node.result ? "check" : "cross"} size={12} />
    </span>
  );
  if (Array.isArray(node.all) || Array.isArray(node.any)) {
    const all = Array.isArray(node.all);
    const children = all ? node.all : node.any;
    return (
      <div class="trace-group" style={{ "--depth": depth }}>
        <div class="trace-line">
          {mark}
          <span class="trace-keyword">{all ? "ALL of" : "ANY of"}</span>
          <span class="muted">
            {children.filter((child) => child.result).length} of {children.length} hold
          </span>
        </div>
        <div class="trace-children">
          {children.map((child) => (
            <Trace node={child} depth={depth + 1} />
          ))}
        </div>
      </div>
    );
  }
  if (node.not !== undefined) {
    return (
      <div class="trace-group">
        <div class="trace-line">
          {mark}
          <span class="trace-keyword">NOT</span>
        </div>
        <div class="trace-children">
          <Trace node={node.not} depth={depth + 1} />
        </div>
      </div>
    );
  }
  return (
    <div class="trace-line trace-condition">
      {mark}
      <span class="trace-body">
        <code class="trace-code">{conditionText(node)}</code>
        {node.op === "MEMBER OF" ? (
          <span class="trace-actual">{node.result ? "is a member" : "is not a member"}</span>
        ) : "actual" in node ? (
          <span class="trace-actual">
            {node.field} is <strong>{actualText(node.actual)}</strong>
          </span>
        ) : null}
      </span>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// JSON

export function JsonView({ value, testid }) {
  if (value === null || value === undefined) return <p class="muted">None</p>;
  return (
    <pre class="json" data-testid={testid}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}
