// The console's shell: the tenant (loaded in the worker), navigation, staged changes, the load
// dialog, keyboard shortcuts and toasts. Views live in ./views.

import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";

import { EngineClient } from "./client.js";
import { Console, Icon, Kbd, Message, Note, Spinner, formatNumber, plural } from "./ui.jsx";
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
  const [support, setSupport] = useState({});
  const [toasts, setToasts] = useState([]);
  const [dialog, setDialog] = useState(null);
  // The lint answer of the current epoch, asked once and shared by the sidebar and the Lint view.
  const lintCache = useRef({ epoch: -1, promise: null });
  const [lintSeen, setLintSeen] = useState({ epoch: -1, count: null });
  const [dragging, setDragging] = useState(false);

  /** A short message; one with the same `key` as a visible one replaces it. */
  const toast = useCallback((text, tone = "neutral", action = null, key = null) => {
    const id = Math.random();
    setToasts((list) => [...list.filter((item) => key === null || item.key !== key).slice(-2), { id, text, tone, action, key }]);
    setTimeout(() => setToasts((list) => list.filter((item) => item.id !== id)), 4000);
  }, []);

  const load = useCallback(
    async (source) => {
      setTenant((t) => ({ ...t, status: "loading", progress: { phase: "start" }, error: null }));
      try {
        const summary = await client.call("load", { source }, (progress) =>
          setTenant((t) => ({ ...t, progress })),
        );
        setTenant({ status: "ready", summary, progress: null, error: null });
        setCatalog(await client.call("catalog"));
        setPending((staged) => {
          if (staged.length) toast(`${plural(staged.length, "staged change")} of the previous tenant discarded`);
          return [];
        });
        setEpoch((e) => e + 1);
        setDialog(null);
        toast(`Loaded ${source.label ?? "the snapshot"}: ${plural(summary.counts.users, "user")}, ${plural(summary.counts.groups, "group")} in ${formatNumber(summary.ms)} ms`, "success");
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

  // The sidebar's lint count follows every load and apply. Lint looks at every group, so on a
  // big tenant it waits until the Lint view is opened, leaving the worker free for the views.
  useEffect(() => {
    if (tenant.status === "ready" && tenant.summary && tenant.summary.counts.groups <= 2000) lintAnswer();
  }, [epoch, tenant.status]);
  const lintCount = lintSeen.epoch === epoch ? lintSeen.count : null;

  const markUnsupported = useCallback((op) => {
    setSupport((s) => (s[op] === false ? s : { ...s, [op]: false }));
  }, []);

  const stage = useCallback(
    (change, label) => {
      const key = JSON.stringify(change);
      setPending((list) => {
        if (list.some((item) => item.key === key)) {
          toast("That change is already staged");
          return list;
        }
        const count = list.length + 1;
        toast(count > 1 ? `Staged: ${label} (${count} changes waiting)` : `Staged: ${label}`, "neutral", { label: "Review", href: "#/changes" }, "staged");
        return [...list, { key, change, label }];
      });
    },
    [toast],
  );

  const afterApply = useCallback(
    async (summary) => {
      setTenant((t) => ({ ...t, summary: { ...t.summary, ...summary } }));
      setCatalog(await client.call("catalog"));
      setPending([]);
      setToasts((list) => list.filter((item) => item.key !== "staged"));
      setEpoch((e) => e + 1);
    },
    [client],
  );

  const context = {
    client,
    tenant,
    summary: tenant.summary,
    epoch,
    catalog,
    pending,
    setPending,
    stage,
    support,
    markUnsupported,
    toast,
    afterApply,
    lintAnswer,
    openLoad: () => setDialog("load"),
  };

  useShortcuts({ onHelp: () => setDialog((d) => (d === "keys" ? null : "keys")), onEscape: () => setDialog(null) });

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
        class="shell"
        onDragOver={(event) => {
          if ([...(event.dataTransfer?.types ?? [])].includes("Files")) {
            event.preventDefault();
            setDragging(true);
          }
        }}
        onDragLeave={(event) => event.relatedTarget === null && setDragging(false)}
        onDrop={onDrop}
      >
        <Sidebar route={route} tenant={tenant} pending={pending.length} lintCount={lintCount} onLoad={() => setDialog("load")} />
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
            <div class={`toast toast-${item.tone}`} key={item.id}>
              {item.tone === "success" ? <Icon name="check" /> : null}
              <span>{item.text}</span>
              {item.action ? (
                <a class="toast-action" href={item.action.href}>
                  {item.action.label}
                </a>
              ) : null}
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

function Sidebar({ route, tenant, pending, lintCount, onLoad }) {
  const summary = tenant.summary;
  const counts = {
    groups: summary?.counts.groups,
    users: summary?.counts.users,
    changes: pending || null,
    lint: lintCount,
  };
  return (
    <aside class="sidebar">
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
              <span class={`nav-count ${item.view === "changes" ? "accent" : ""}`}>{formatNumber(counts[item.view])}</span>
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
          <button type="button" class="btn btn-quiet btn-block" onClick={onLoad} data-testid="open-load">
            <Icon name="upload" />
            Load a snapshot
          </button>
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
    <div class="dialog-backdrop" onMouseDown={(event) => event.target === event.currentTarget && onClose()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="load-title" data-testid="load-dialog">
        <header class="dialog-head">
          <h2 id="load-title">Load a snapshot</h2>
          <button type="button" class="btn btn-icon" onClick={onClose} aria-label="Close">
            <Icon name="close" />
          </button>
        </header>
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
            <button type="button" role="tab" aria-selected={tab === value} class={tab === value ? "on" : ""} onClick={() => setTab(value)}>
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
      </div>
    </div>
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
    <div class="dialog-backdrop" onMouseDown={(event) => event.target === event.currentTarget && onClose()}>
      <div class="dialog dialog-small" role="dialog" aria-modal="true" aria-labelledby="keys-title">
        <header class="dialog-head">
          <h2 id="keys-title">Keyboard shortcuts</h2>
          <button type="button" class="btn btn-icon" onClick={onClose} aria-label="Close">
            <Icon name="close" />
          </button>
        </header>
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
      </div>
    </div>
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
