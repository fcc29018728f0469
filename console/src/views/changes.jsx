// Pending changes: the staged change list, its `impact` (who joins or leaves which group, what
// each user gains or loses, member counts per group), and `apply`, which refreshes every view.

import { useEffect, useState } from "preact/hooks";

import {
  Badge,
  Card,
  Confirm,
  Empty,
  ErrorNote,
  GroupLink,
  Icon,
  Message,
  Note,
  PageHead,
  Pager,
  UserLink,
  formatNumber,
  plural,
  useAsync,
  useConsole,
} from "../ui.jsx";

const IMPACT_LIMIT = 200;

const KIND_ICON = {
  addMember: "plus",
  removeMember: "minus",
  setRule: "rule",
  addGroupRole: "plus",
  removeGroupRole: "minus",
  addGroupProduct: "plus",
  removeGroupProduct: "minus",
  addInclude: "plus",
  removeInclude: "minus",
  setGroupActive: "power",
  removeGroup: "trash",
};

export function ChangesView() {
  const { client, pending, setPending, stage, afterApply, summary, toast, unexported, exportSnapshot } = useConsole();
  const [applying, setApplying] = useState(false);
  // The refused change list's error, with the key of the change it names (if any).
  const [applyError, setApplyError] = useState(null);
  const [applied, setApplied] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [json, setJson] = useState("");
  const [jsonError, setJsonError] = useState(null);
  const changes = pending.map((item) => item.change);
  const key = JSON.stringify(changes);

  const impact = useAsync(async () => {
    if (!changes.length) return null;
    const answer = await client.query({ op: "impact", changes, limit: IMPACT_LIMIT });
    if (answer.error) return answer;
    const names = await client.call("names", {
      users: answer.users.map((u) => u.user),
      groups: [...answer.groups.map((g) => g.group), ...answer.users.flatMap((u) => [...u.joined, ...u.left])],
      roles: answer.users.flatMap((u) => [...u.rolesGained, ...u.rolesLost]),
      products: answer.users.flatMap((u) => [...u.productsGained, ...u.productsLost]),
    });
    return { ...answer, names };
  }, [key]);

  // An error about a change that has left the list is no longer about this list.
  useEffect(() => {
    if (!applyError) return;
    if (applyError.key === null ? applyError.list !== key : !pending.some((item) => item.key === applyError.key)) setApplyError(null);
  }, [key]);

  const failedKey = applyError?.key ?? null;

  const apply = async () => {
    setApplying(true);
    setApplyError(null);
    try {
      const revision = nextRevision(summary?.revision);
      const answer = await client.call("apply", { changes, revision });
      if (answer.error) {
        const at = changeIndex(answer.error.path);
        setApplyError({ ...answer.error, at, key: at !== null ? (pending[at]?.key ?? null) : null, list: key, label: at !== null ? pending[at]?.label : null });
      } else {
        setApplied({ count: changes.length, revision: answer.revision, diagnostics: answer.diagnostics });
        toast(`Applied ${plural(changes.length, "change")}; the tenant is now at ${answer.revision ?? "a new revision"}`, "success");
        await afterApply(answer.summary, changes.length);
      }
    } catch (error) {
      setApplyError({ message: error.message, code: error.code ?? null, at: null, key: null, list: key });
    }
    setApplying(false);
  };

  const addJson = () => {
    try {
      const parsed = JSON.parse(json);
      const list = Array.isArray(parsed) ? parsed : [parsed];
      for (const change of list) {
        if (!change || typeof change !== "object" || Array.isArray(change) || Object.keys(change).length !== 1) {
          throw new Error("a change is an object with one key, such as {\"removeGroup\": \"g-1\"}");
        }
      }
      for (const change of list) stage(change, describeJson(change));
      setJson("");
      setJsonError(null);
    } catch (error) {
      setJsonError(error.message);
    }
  };

  return (
    <div class="page" data-testid="changes-view">
      <PageHead
        title="Pending changes"
        subtitle="Stage edits anywhere in the console, see exactly who they affect, then apply them together."
        actions={
          pending.length ? (
            <>
              <button type="button" class="btn" onClick={() => setConfirming(true)} data-testid="discard">
                Discard all
              </button>
              <button type="button" class="btn btn-primary" disabled={applying} onClick={apply} data-testid="apply">
                {applying ? "Applying…" : `Apply ${plural(pending.length, "change")}`}
              </button>
            </>
          ) : unexported ? (
            <button type="button" class="btn" onClick={exportSnapshot}>
              <Icon name="download" />
              Export snapshot
            </button>
          ) : null
        }
      />
      {confirming ? (
        <Confirm
          title={`Discard ${plural(pending.length, "staged change")}?`}
          action="Discard all"
          onConfirm={() => {
            setPending([]);
            setApplyError(null);
            toast(`Discarded ${plural(pending.length, "staged change")}`, "neutral", null, "staged");
          }}
          onClose={() => setConfirming(false)}
          testid="confirm-discard"
        >
          Nothing has been applied yet: the staged list is emptied and the tenant stays as it is.
        </Confirm>
      ) : null}
      {applyError ? (
        <Note tone="error" title={applyError.at !== null ? `Change ${applyError.at + 1} was refused; nothing was applied` : "Nothing was applied"} testid="apply-error">
          {applyError.label ? <p class="refused-label">“{applyError.label}”</p> : null}
          <Message text={applyError.message} />
          {applyError.code ? <span class="muted"> · {applyError.code}</span> : null}
          <p class="muted small">The staged list is kept: unstage or fix the refused change, then apply again.</p>
        </Note>
      ) : null}
      {applied && !pending.length ? (
        <Note tone="info" title={`Applied ${plural(applied.count, "change")}`} testid="applied">
          Every view now answers for revision <code>{applied.revision ?? "—"}</code>.{" "}
          {applied.diagnostics.length ? `The snapshot has ${plural(applied.diagnostics.length, "diagnostic")}; see Lint.` : "No diagnostics."}{" "}
          {unexported ? "Export the snapshot to keep these changes: they live only in this tab." : null}
        </Note>
      ) : null}
      <div class="changes-grid">
        <Card title="Staged" subtitle={pending.length ? `Applied in this order, all or nothing` : null} pad={false}>
          {pending.length ? (
            <ol class="staged" data-testid="staged-list">
              {pending.map((item, i) => {
                const kind = Object.keys(item.change)[0];
                return (
                  <li class={failedKey === item.key ? "failed" : ""} data-kind={kind}>
                    <span class="staged-icon">
                      <Icon name={KIND_ICON[kind] ?? "dot"} size={14} />
                    </span>
                    <div class="staged-text">
                      <p>{item.label}</p>
                      <code class="muted small">{kind}</code>
                    </div>
                    <button
                      type="button"
                      class="btn btn-icon btn-quiet"
                      aria-label={`Unstage: ${item.label}`}
                      title="Unstage"
                      onClick={() => setPending((items) => items.filter((_, j) => j !== i))}
                    >
                      <Icon name="close" />
                    </button>
                  </li>
                );
              })}
            </ol>
          ) : (
            <Empty icon="changes" title="Nothing staged">
              Open a group to add or remove members, roles and products, change its rule, or deactivate it. Changes wait
              here until you apply them.
            </Empty>
          )}
          <details class="advanced">
            <summary>Add a change as JSON</summary>
            <div class="stack">
              <textarea
                class="paste small-paste"
                value={json}
                spellcheck={false}
                onInput={(event) => setJson(event.currentTarget.value)}
                placeholder='{"addGroupProduct": {"group": "g-design", "product": "p-github"}}'
                aria-label="Change as JSON"
              />
              {jsonError ? <p class="error-text">{jsonError}</p> : null}
              <button type="button" class="btn btn-small" disabled={!json.trim()} onClick={addJson}>
                Stage
              </button>
            </div>
          </details>
        </Card>
        <ImpactCard pending={pending} impact={impact} />
      </div>
    </div>
  );
}

/** The impact's tiles: each a sum over every user that changes (`totals`), whatever the limit. */
const TILES = [
  ["joined", "left", "memberships"],
  ["rolesGained", "rolesLost", "roles"],
  ["permissionsGained", "permissionsLost", "permissions"],
  ["productsGained", "productsLost", "products"],
];

const USER_PAGE = 20;

function ImpactCard({ pending, impact }) {
  const [page, setPage] = useState(1);
  useEffect(() => setPage(1), [impact.data]);
  if (!pending.length) {
    return (
      <Card title="Impact">
        <Empty icon="user" title="No impact yet">Stage a change to see who it affects before you apply it.</Empty>
      </Card>
    );
  }
  const data = impact.data;
  if (!data) {
    return (
      <Card title="Impact">
        <p class="muted">Computing…</p>
      </Card>
    );
  }
  if (data.error) {
    return (
      <Card title="Impact">
        <ErrorNote error={data.error} title="These changes cannot be applied as they are" />
      </Card>
    );
  }
  const { names, totals } = data;
  return (
    <div class={`impact ${impact.loading ? "is-loading" : ""}`} data-testid="impact">
      <div class="impact-stats">
        <div class="stat">
          <span class="stat-number" data-testid="impact-users">{formatNumber(data.totalUsers)}</span>
          <span class="stat-label">{data.totalUsers === 1 ? "user affected" : "users affected"}</span>
        </div>
        <div class="stat">
          <span class="stat-number" data-testid="impact-groups-count">{formatNumber(data.groups.length)}</span>
          <span class="stat-label">{data.groups.length === 1 ? "group changes" : "groups change"}</span>
        </div>
        {TILES.map(([gained, lost, many]) => (
          <div class="stat" data-testid={`tile-${many}`}>
            <span class="stat-number stat-pair">
              <Delta value={totals[gained]} testid={`total-${gained}`} />
              <Delta value={-totals[lost]} testid={`total-${lost}`} />
            </span>
            <span class="stat-label">
              {many} gained / lost
            </span>
          </div>
        ))}
      </div>
      <Card title="Groups" subtitle="Member counts and status, before and after" pad={false}>
        {data.groups.length ? (
          <div class="table-wrap">
            <table class="table compact stack-narrow" data-testid="impact-groups">
              <thead>
                <tr>
                  <th>Group</th>
                  <th class="num">Before</th>
                  <th class="num">After</th>
                  <th class="num">Change</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {data.groups.map((g) => (
                  <tr data-group={g.group}>
                    <td>
                      {g.after === null ? names.groups[g.group] ?? g.group : <GroupLink id={g.group} name={names.groups[g.group]} />}
                    </td>
                    <td class="num" data-label="Before">{g.before === null ? <span class="muted">—</span> : formatNumber(g.before)}</td>
                    <td class="num" data-label="After">{g.after === null ? <span class="muted">—</span> : formatNumber(g.after)}</td>
                    <td class="num" data-label="Change">
                      <Delta value={(g.after ?? 0) - (g.before ?? 0)} />
                    </td>
                    <td data-testid="impact-group-status" data-label="Status">
                      <GroupStatus group={g} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="card-body muted">No group's members or status change.</p>
        )}
      </Card>
      <Card
        title="Users"
        subtitle={
          data.totalUsers > data.users.length
            ? `The first ${formatNumber(data.users.length)} of ${formatNumber(data.totalUsers)} users whose access changes; the totals above count them all`
            : "Everyone whose access changes"
        }
        pad={false}
      >
        {data.users.length ? (
          <div class="table-wrap">
            <table class="table compact impact-users stack-narrow" data-testid="impact-user-table">
              <thead>
                <tr>
                  <th>User</th>
                  <th>Groups</th>
                  <th>Roles</th>
                  <th>Permissions</th>
                  <th>Products</th>
                </tr>
              </thead>
              <tbody>
                {data.users.slice((page - 1) * USER_PAGE, page * USER_PAGE).map((u) => (
                  <tr data-user={u.user}>
                    <td>
                      <UserLink id={u.user} name={names.users[u.user]} />
                    </td>
                    <td data-label="Groups">
                      <Diff gained={u.joined} lost={u.left} name={(g) => names.groups[g] ?? g} />
                    </td>
                    <td data-label="Roles">
                      <Diff gained={u.rolesGained} lost={u.rolesLost} name={(r) => names.roles[r] ?? r} />
                    </td>
                    <td data-label="Permissions">
                      <Diff gained={u.permissionsGained} lost={u.permissionsLost} name={(p) => p} code />
                    </td>
                    <td data-label="Products">
                      <Diff gained={u.productsGained} lost={u.productsLost} name={(p) => names.products[p] ?? p} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="card-body muted">Nobody's access changes.</p>
        )}
        {data.users.length > USER_PAGE ? <Pager page={page} pageSize={USER_PAGE} total={data.users.length} onPage={setPage} noun="listed users" /> : null}
      </Card>
    </div>
  );
}

/** A group's row: added, deleted, deactivated, activated, or unchanged status. */
function GroupStatus({ group }) {
  if (group.before === null) return <Badge tone="green">Added</Badge>;
  if (group.after === null) return <Badge tone="red">Deleted</Badge>;
  if (group.activeBefore && !group.activeAfter) return <Badge tone="amber">Active → inactive</Badge>;
  if (!group.activeBefore && group.activeAfter) return <Badge tone="green">Inactive → active</Badge>;
  return <span class="muted">{group.activeAfter ? "Active" : "Inactive"}</span>;
}

function Delta({ value, testid }) {
  if (value === 0) return <span class="muted" data-testid={testid} data-value="0">0</span>;
  return (
    <span class={value > 0 ? "good" : "bad"} data-testid={testid} data-value={String(Math.abs(value))}>
      {value > 0 ? `+${formatNumber(value)}` : `−${formatNumber(-value)}`}
    </span>
  );
}

/** What a user gains and loses of one kind: the first few by name, then how many more. */
function Diff({ gained, lost, name, code }) {
  const SHOWN = 3;
  if (!gained.length && !lost.length) return <span class="muted">—</span>;
  const side = (items, sign, tone) => (
    <>
      {items.slice(0, SHOWN).map((item) => (
        <span class={`diff-item ${tone}`}>
          {sign} {code ? <code>{name(item)}</code> : name(item)}
        </span>
      ))}
      {items.length > SHOWN ? (
        <span class={`diff-item ${tone} diff-more`} title={items.slice(SHOWN).map(name).join(", ")}>
          {sign} {formatNumber(items.length - SHOWN)} more
        </span>
      ) : null}
    </>
  );
  return (
    <span class="diff">
      {side(gained, "+", "gained")}
      {side(lost, "−", "lost")}
    </span>
  );
}

/** `$.changes[3]…` → 3. */
function changeIndex(path) {
  const match = /^\$\.changes\[(\d+)\]/.exec(path ?? "");
  return match ? Number(match[1]) : null;
}

/** The label of the state after an apply: the loaded revision with an edit counter. */
function nextRevision(revision) {
  const base = revision ?? "snapshot";
  const match = /^(.*)\+edit(\d+)$/.exec(base);
  return match ? `${match[1]}+edit${Number(match[2]) + 1}` : `${base}+edit1`;
}

function describeJson(change) {
  const [kind, body] = Object.entries(change)[0];
  if (body && typeof body === "object") {
    const parts = Object.entries(body)
      .filter(([, v]) => typeof v !== "object" || v === null)
      .map(([k, v]) => `${k} ${v}`);
    return `${kind}: ${parts.join(", ")}`;
  }
  return `${kind}: ${body}`;
}
