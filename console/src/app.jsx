// The console's shell: the tenant (loaded in the worker), navigation, staged changes, the load
// dialog, keyboard shortcuts and toasts. Views live in ./views.

import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";

import { EngineClient } from "./client.js";
import { restoreStaged, saveStaged, stageChange } from "./staging.js";
import { Console, Dialog, Icon, Kbd, Message, Note, Spinner, formatNumber, plural } from "./ui.jsx";
import { ChangesView } from "./views/changes.jsx";
import { GroupDetail, GroupsView } from "./views/groups.jsx";
import { LintView } from "./views/lint.jsx";
import { RulesView } from "./views/rules.jsx";
import { UsersView } from "./views/users.jsx";

const SAMPLE = { kind: "url", url: "./tenant.json", label: "Sample tenant" };

/** `#/groups/g-1?x=y` → `{ view: "groups", id: "g-1", params }`. */
function parseRoute(hash) {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?");
  const [view = "groups", ...rest] = path.split("/");
  return {
    view: view || "groups",
    id: rest.length ? decodeURIComponent(rest.join("/")) : null,
    params: Object.fromEntries(new URLSearchParams(query)),
  };
}

function useRoute() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}

export function navigate(path) {
  location.hash = path;
}

export function App() {
  const client = useMemo(() => new EngineClient(), []);
  const route = useRoute();
  const [tenant, setTenant] = useState({ status: "loading", summary: null, progress: null, error: null });
  const [epoch, setEpoch] = useState(0);
  const [catalog, setCatalog] = useState(null);
  const [pending, setPending] = useState([]);
  // Changes applied since the snapshot was loaded or last exported: leaving would lose them.
  const [unexported, setUnexported] = useState(0);
  const [toasts, setToasts] = useState([]);
  const [navOpen, setNavOpen] = useState(false);
  const loadedOnce = useRef(false);
  // The list as last rendered or staged, so that staging reads it synchronously.
  const pendingRef = useRef(pending);
  pendingRef.current = pending;
  const [dialog, setDialog] = useState(null);
  // The lint answer of the current epoch, asked once and shared by the sidebar and the Lint view.
  const lintCache = useRef({ epoch: -1, promise: null });
  const [lintSeen, setLintSeen] = useState({ epoch: -1, count: null });
  const [dragging, setDragging] = useState(false);

  /** A short message; one with the same `key` as a visible one replaces it. */
  const toast = useCallback((text, tone = "neutral", action = null, key = null) => {
    const id = Math.random();
    setToasts((list) => [...list.filter((item) => key === null || item.key !== key).slice(-1), { id, text, tone, action, key }]);
    setTimeout(() => setToasts((list) => list.filter((item) => item.id !== id)), action ? 7000 : 4500);
  }, []);
  const dismiss = (id) => setToasts((list) => list.filter((item) => item.id !== id));

  const load = useCallback(
    async (source) => {
      setTenant((t) => ({ ...t, status: "loading", progress: { phase: "start" }, error: null }));
      try {
        const summary = await client.call("load", { source }, (progress) =>
          setTenant((t) => ({ ...t, progress })),
        );
        // The first load of the page picks up the list staged on this tenant before a reload;
        // another tenant's ids mean nothing here, so loading one discards the list.
        const first = !loadedOnce.current;
        loadedOnce.current = true;
        const staged = pendingRef.current;
        const next = first ? restoreStaged({ source: summary.source, revision: summary.revision }) : [];
        if (!first && staged.length) toast(`${plural(staged.length, "staged change")} of the previous tenant discarded`);
        pendingRef.current = next;
        setPending(next);
        setTenant({ status: "ready", summary, progress: null, error: null });
        setCatalog(await client.call("catalog"));
        setUnexported(0);
        setEpoch((e) => e + 1);
        setDialog(null);
        const { errors, warnings } = summary.diagnostics;
        const loadedText = `Loaded ${source.label ?? "the snapshot"}: ${plural(summary.counts.users, "user")}, ${plural(summary.counts.groups, "group")} in ${formatNumber(summary.ms)} ms`;
        if (errors || warnings) {
          const found = [errors ? plural(errors, "error") : null, warnings ? plural(warnings, "warning") : null].filter(Boolean).join(" and ");
          toast(`${loadedText}, with ${found} in the snapshot`, errors ? "error" : "warning", { label: "See Lint", href: "#/lint" }, "loaded");
        } else {
          toast(loadedText, "success", null, "loaded");
        }
        return true;
      } catch (error) {
        setTenant((t) => ({ ...t, status: t.summary ? "ready" : "error", progress: null, error }));
        return false;
      }
    },
    [client, toast],
  );

  useEffect(() => {
    load(SAMPLE);
  }, [load]);

  const lintAnswer = useCallback(() => {
    if (lintCache.current.epoch !== epoch) {
      const promise = client.query({ op: "lint" });
      lintCache.current = { epoch, promise };
      promise.then((answer) => setLintSeen({ epoch, count: answer.findings?.length ?? null }));
    }
    return lintCache.current.promise;
  }, [client, epoch]);

  // The sidebar's lint count follows every load and apply (lint costs about a sort of the groups).
  useEffect(() => {
    if (tenant.status === "ready" && tenant.summary) lintAnswer();
  }, [epoch, tenant.status]);
  const lintCount = lintSeen.epoch === epoch ? lintSeen.count : null;

  // The staged list follows the page across a reload, until it is applied or discarded.
  useEffect(() => {
    if (tenant.summary) saveStaged({ source: tenant.summary.source, revision: tenant.summary.revision }, pending);
  }, [pending, tenant.summary?.source, tenant.summary?.revision]);

  // Leaving with staged or unexported changes asks first.
  useEffect(() => {
    if (!pending.length && !unexported) return;
    const warn = (event) => {
      event.preventDefault();
      event.returnValue = "";
    };
    addEventListener("beforeunload", warn);
    return () => removeEventListener("beforeunload", warn);
  }, [pending.length, unexported]);

  /** Stages a change; false (with a message) when it contradicts the list. */
  const stage = useCallback(
    (change, label) => {
      const outcome = stageChange(pendingRef.current, change, label);
      if (outcome.list !== pendingRef.current) {
        pendingRef.current = outcome.list;
        setPending(outcome.list);
      }
      toast(outcome.message, outcome.tone, outcome.refused ? null : { label: "Review", href: "#/changes" }, "staged");
      return !outcome.refused;
    },
    [toast],
  );

  const afterApply = useCallback(
    async (summary, count) => {
      setTenant((t) => ({ ...t, summary: { ...t.summary, ...summary } }));
      setCatalog(await client.call("catalog"));
      setPending([]);
      setUnexported((n) => n + count);
      setToasts((list) => list.filter((item) => item.key !== "staged"));
      setEpoch((e) => e + 1);
    },
    [client],
  );

  /** Downloads the snapshot the engine now answers for (`snapshot`) as a JSON file. */
  const exportSnapshot = useCallback(async () => {
    try {
      const { text, revision } = await client.call("snapshotText");
      const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = `${(revision ?? "snapshot").replace(/[^\w.+-]+/g, "-")}.json`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setUnexported(0);
      toast(`Exported the snapshot${revision ? ` at ${revision}` : ""}`, "success");
    } catch (error) {
      toast(`The snapshot could not be exported: ${error.message}`, "error");
    }
  }, [client, toast]);

  const context = {
    client,
    tenant,
    summary: tenant.summary,
    epoch,
    catalog,
    pending,
    setPending,
    stage,
    toast,
    afterApply,
    lintAnswer,
    unexported,
    exportSnapshot,
    openLoad: () => setDialog("load"),
  };

  useShortcuts({ onHelp: () => setDialog((d) => (d === "keys" ? null : "keys")), onEscape: () => setDialog(null) });
  // Moving to another section closes the navigation drawer of narrow screens.
  useEffect(() => setNavOpen(false), [route.view, route.id]);

  // A snapshot file dropped anywhere on the page is loaded.
  const onDrop = (event) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer?.files?.[0];
    if (file) load({ kind: "file", file, label: file.name });
  };

  const ready = tenant.summary !== null;
  return (
    <Console.Provider value={context}>
      <div
        class={`shell ${navOpen ? "nav-open" : ""}`}
        onDragOver={(event) => {
          if ([...(event.dataTransfer?.types ?? [])].includes("Files")) {
            event.preventDefault();
            setDragging(true);
          }
        }}
        onDragLeave={(event) => event.relatedTarget === null && setDragging(false)}
        onDrop={onDrop}
      >
        <TopBar pending={pending.length} navOpen={navOpen} onToggle={() => setNavOpen((open) => !open)} />
        <Sidebar
          route={route}
          tenant={tenant}
          pending={pending.length}
          lintCount={lintCount}
          unexported={unexported}
          onLoad={() => setDialog("load")}
          onExport={exportSnapshot}
        />
        {navOpen ? <div class="nav-scrim" onClick={() => setNavOpen(false)} /> : null}
        <main class="main" id="main">
          {tenant.status === "loading" ? <LoadBar progress={tenant.progress} /> : null}
          {ready ? <View route={route} /> : <FirstLoad tenant={tenant} onRetry={() => load(SAMPLE)} onLoad={() => setDialog("load")} />}
        </main>
        {dialog === "load" ? <LoadDialog tenant={tenant} onLoad={load} onClose={() => setDialog(null)} /> : null}
        {dialog === "keys" ? <KeysDialog onClose={() => setDialog(null)} /> : null}
        {dragging ? (
          <div class="drop-overlay">
            <div class="drop-card">
              <Icon name="upload" size={28} />
              <p>Drop a snapshot to load it</p>
              <p class="muted">A JSON file with users, groups, roles and products</p>
            </div>
          </div>
        ) : null}
        <div class="toasts" aria-live="polite">
          {toasts.map((item) => (
            <div class={`toast toast-${item.tone}`} key={item.id} data-testid="toast" data-tone={item.tone}>
              {item.tone === "success" ? <Icon name="check" /> : item.tone === "error" || item.tone === "warning" ? <Icon name="lint" /> : null}
              <span>{item.text}</span>
              {item.action ? (
                <a class="toast-action" href={item.action.href} onClick={() => dismiss(item.id)}>
                  {item.action.label}
                </a>
              ) : null}
              <button type="button" class="toast-close" aria-label="Dismiss" onClick={() => dismiss(item.id)}>
                <Icon name="close" size={12} />
              </button>
            </div>
          ))}
        </div>
      </div>
    </Console.Provider>
  );
}

function View({ route }) {
  switch (route.view) {
    case "groups":
      return route.id ? <GroupDetail id={route.id} key={route.id} /> : <GroupsView />;
    case "rules":
      return <RulesView group={route.params.group ?? null} key={route.params.group ?? ""} />;
    case "users":
      return <UsersView id={route.id} />;
    case "changes":
      return <ChangesView />;
    case "lint":
      return <LintView />;
    default:
      return (
        <div class="page">
          <Note tone="warning" title="Nothing here">
            There is no page at <code>#{route.view}</code>. <a href="#/groups">Back to groups</a>
          </Note>
        </div>
      );
  }
}

const NAV = [
  { view: "groups", label: "Groups", icon: "groups", key: "g" },
  { view: "rules", label: "Rule editor", icon: "rule", key: "r" },
  { view: "users", label: "Users", icon: "user", key: "u" },
  { view: "changes", label: "Pending changes", icon: "changes", key: "c" },
  { view: "lint", label: "Lint", icon: "lint", key: "l" },
];

/** The bar above the page on narrow screens: the brand and the button that opens the navigation. */
function TopBar({ pending, navOpen, onToggle }) {
  return (
    <header class="topbar">
      <button type="button" class="btn btn-icon" onClick={onToggle} aria-expanded={navOpen} aria-controls="sidebar" aria-label={navOpen ? "Close navigation" : "Open navigation"} data-testid="nav-toggle">
        <Icon name={navOpen ? "close" : "menu"} />
      </button>
      <span class="brand-mark" aria-hidden="true">
        g
      </span>
      <span class="brand-name">groupgate</span>
      {pending ? (
        <a class="topbar-pending" href="#/changes">
          {plural(pending, "pending change")}
        </a>
      ) : null}
    </header>
  );
}

function Sidebar({ route, tenant, pending, lintCount, unexported, onLoad, onExport }) {
  const summary = tenant.summary;
  const counts = {
    groups: summary?.counts.groups,
    users: summary?.counts.users,
    changes: pending || null,
    lint: lintCount,
  };
  return (
    <aside class="sidebar" id="sidebar">
      <div class="brand">
        <span class="brand-mark" aria-hidden="true">
          g
        </span>
        <div>
          <p class="brand-name">groupgate</p>
          <p class="brand-sub">Access console</p>
        </div>
      </div>
      <nav class="nav" aria-label="Sections">
        {NAV.map((item) => (
          <a
            href={`#/${item.view}`}
            class={`nav-item ${route.view === item.view ? "active" : ""}`}
            aria-current={route.view === item.view ? "page" : undefined}
            data-testid={`nav-${item.view}`}
          >
            <Icon name={item.icon} />
            <span>{item.label}</span>
            {counts[item.view] !== undefined && counts[item.view] !== null ? (
              <span class={`nav-count ${item.view === "changes" ? "accent" : ""} ${item.view === "lint" && lintCount ? "filled" : ""}`} data-testid={`nav-count-${item.view}`}>
                {formatNumber(counts[item.view])}
              </span>
            ) : null}
          </a>
        ))}
      </nav>
      <div class="sidebar-foot">
        <div class="tenant-card" data-testid="tenant-card">
          <p class="tenant-label">Tenant</p>
          {summary ? (
            <>
              <p class="tenant-name" title={summary.source ?? ""}>
                {summary.source ?? "Snapshot"}
              </p>
              <p class="tenant-meta">
                <span title="Revision">{summary.revision ?? "no revision"}</span>
              </p>
              <p class="tenant-meta">
                {plural(summary.counts.users, "user")} · {plural(summary.counts.groups, "group")}
              </p>
            </>
          ) : (
            <p class="tenant-meta">{tenant.status === "loading" ? "Loading…" : "Nothing loaded"}</p>
          )}
          {unexported ? (
            <p class="tenant-meta tenant-unsaved" data-testid="unexported">
              {plural(unexported, "applied change")} not exported
            </p>
          ) : null}
          <button type="button" class="btn btn-quiet btn-block" onClick={onLoad} data-testid="open-load">
            <Icon name="upload" />
            Load a snapshot
          </button>
          {summary ? (
            <button type="button" class="btn btn-quiet btn-block" onClick={onExport} data-testid="export">
              <Icon name="download" />
              Export snapshot
            </button>
          ) : null}
        </div>
        <p class="sidebar-hint">
          <Kbd>?</Kbd> shortcuts
        </p>
      </div>
    </aside>
  );
}

function phaseText(progress) {
  if (!progress) return "Loading";
  switch (progress.phase) {
    case "read":
      return progress.total
        ? `Reading ${mb(progress.loaded)} of ${mb(progress.total)}`
        : `Reading ${mb(progress.loaded)}`;
    case "compile":
      return "Compiling the tenant";
    case "index":
      return "Indexing";
    default:
      return "Starting";
  }
}

function mb(bytes) {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

function progressFraction(progress) {
  if (!progress) return null;
  if (progress.phase === "read" && progress.total) return 0.6 * (progress.loaded / progress.total);
  if (progress.phase === "compile") return 0.7;
  if (progress.phase === "index") return 0.9;
  return null;
}

function LoadBar({ progress }) {
  const fraction = progressFraction(progress);
  return (
    <div class="loadbar" role="progressbar" aria-label={phaseText(progress)} data-testid="load-progress">
      <div class={`loadbar-fill ${fraction === null ? "indeterminate" : ""}`} style={fraction === null ? {} : { width: `${Math.round(fraction * 100)}%` }} />
      <span class="loadbar-text">{phaseText(progress)}…</span>
    </div>
  );
}

function FirstLoad({ tenant, onRetry, onLoad }) {
  if (tenant.status === "error") {
    return (
      <div class="page page-center">
        <div class="first-load">
          <Note tone="error" title="The tenant could not be loaded">
            <LoadError error={tenant.error} />
          </Note>
          <div class="row">
            <button type="button" class="btn btn-primary" onClick={onRetry}>
              Try the sample tenant again
            </button>
            <button type="button" class="btn" onClick={onLoad}>
              Load another snapshot
            </button>
          </div>
        </div>
      </div>
    );
  }
  return (
    <div class="page page-center">
      <div class="first-load">
        <Spinner />
        <p class="first-load-title">{phaseText(tenant.progress)}…</p>
        <p class="muted">The engine runs in a background worker, so the page stays responsive.</p>
      </div>
    </div>
  );
}

function LoadError({ error }) {
  if (!error) return null;
  const where = error.line ? `line ${error.line}, column ${error.column}` : error.path ? error.path : null;
  return (
    <p>
      <Message text={error.message} />
      {error.code ? <span class="muted"> · {error.code}</span> : null}
      {where ? <span class="muted"> · at {where}</span> : null}
    </p>
  );
}

function LoadDialog({ tenant, onLoad, onClose }) {
  const [tab, setTab] = useState("sample");
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const fileRef = useRef();
  const run = async (source) => {
    setBusy(true);
    await onLoad(source);
    setBusy(false);
  };
  return (
    <Dialog title="Load a snapshot" onClose={onClose} testid="load-dialog">
        <p class="muted dialog-lead">
          The snapshot stays in this browser: it is compiled by the engine in a background worker, and nothing is
          uploaded.
        </p>
        <div class="tabs" role="tablist">
          {[
            ["sample", "Sample tenant"],
            ["file", "File"],
            ["paste", "Paste JSON"],
          ].map(([value, label]) => (
            <button type="button" role="tab" aria-selected={tab === value} class={tab === value ? "on" : ""} onClick={() => setTab(value)} data-autofocus={tab === value ? "" : undefined}>
              {label}
            </button>
          ))}
        </div>
        <div class="dialog-body">
          {tab === "sample" ? (
            <div class="stack">
              <p>
                A 300-person company with nested, dynamic and manual groups, roles, products and homepages — the tenant
                the rest of the documentation uses.
              </p>
              <button type="button" class="btn btn-primary" disabled={busy} onClick={() => run(SAMPLE)}>
                Load the sample tenant
              </button>
            </div>
          ) : null}
          {tab === "file" ? (
            <div
              class="dropzone"
              onClick={() => fileRef.current?.click()}
              onKeyDown={(event) => (event.key === "Enter" || event.key === " ") && fileRef.current?.click()}
              tabIndex={0}
              role="button"
            >
              <Icon name="upload" size={24} />
              <p>
                <strong>Choose a JSON file</strong> or drop it anywhere on the page
              </p>
              <p class="muted">Large tenants (100,000 users) load in the background with progress.</p>
              <input
                ref={fileRef}
                type="file"
                accept=".json,application/json"
                hidden
                data-testid="load-file"
                onChange={(event) => {
                  const file = event.currentTarget.files?.[0];
                  if (file) run({ kind: "file", file, label: file.name });
                }}
              />
            </div>
          ) : null}
          {tab === "paste" ? (
            <div class="stack">
              <textarea
                class="paste"
                value={text}
                onInput={(event) => setText(event.currentTarget.value)}
                placeholder='{ "users": [...], "groups": [...], "roles": [...], "products": [...] }'
                spellcheck={false}
                data-testid="load-paste"
              />
              <button
                type="button"
                class="btn btn-primary"
                disabled={busy || !text.trim()}
                onClick={() => run({ kind: "text", text, label: "Pasted snapshot" })}
              >
                Load pasted JSON
              </button>
            </div>
          ) : null}
          {tenant.status === "loading" ? (
            <p class="muted row">
              <Spinner /> {phaseText(tenant.progress)}…
            </p>
          ) : null}
          {tenant.error ? (
            <Note tone="error" title="That snapshot could not be loaded" testid="load-error">
              <LoadError error={tenant.error} />
              {tenant.summary ? <p class="muted">The console still shows the tenant loaded before.</p> : null}
            </Note>
          ) : null}
        </div>
    </Dialog>
  );
}

const KEYS = [
  ["g g", "Groups"],
  ["g r", "Rule editor"],
  ["g u", "Users"],
  ["g c", "Pending changes"],
  ["g l", "Lint"],
  ["/", "Search on this page"],
  ["↑ ↓, Enter", "Move in a list, open"],
  ["← →", "Previous, next page"],
  ["Ctrl Space", "Suggestions in the rule editor"],
  ["Esc", "Close"],
];

function KeysDialog({ onClose }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose} small>
        <dl class="keys">
          {KEYS.map(([keys, what]) => (
            <>
              <dt>
                {keys.split(", ").map((combo) => (
                  <span class="combo">
                    {combo.split(" ").map((key) => (
                      <Kbd>{key}</Kbd>
                    ))}
                  </span>
                ))}
              </dt>
              <dd>{what}</dd>
            </>
          ))}
        </dl>
    </Dialog>
  );
}

/** `g` then a letter navigates; `/` focuses the page's search; `?` shows the list. */
function useShortcuts({ onHelp, onEscape }) {
  useEffect(() => {
    let prefix = false;
    let timer = null;
    const handler = (event) => {
      const target = event.target;
      const typing = target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
      if (event.key === "Escape") {
        onEscape();
        return;
      }
      if (typing || event.metaKey || event.ctrlKey || event.altKey) return;
      if (prefix) {
        prefix = false;
        const item = NAV.find((nav) => nav.key === event.key);
        if (item) {
          event.preventDefault();
          navigate(`/${item.view}`);
        }
        return;
      }
      if (event.key === "g") {
        prefix = true;
        clearTimeout(timer);
        timer = setTimeout(() => (prefix = false), 1200);
      } else if (event.key === "/") {
        const search = document.querySelector("main [data-search]");
        if (search) {
          event.preventDefault();
          search.focus();
          search.select?.();
        }
      } else if (event.key === "?") {
        onHelp();
      }
    };
    addEventListener("keydown", handler);
    return () => removeEventListener("keydown", handler);
  }, []);
}
