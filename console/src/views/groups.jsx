// The group list (`listGroups`) and a group's page (`members`, `editDashboard`, `explain`, and
// the group's definition from the snapshot the worker holds), where changes are staged.

import { useEffect, useRef, useState } from "preact/hooks";

import { navigate } from "../app.jsx";
import {
  Avatar,
  Badge,
  Card,
  Chip,
  Empty,
  ErrorNote,
  GroupLink,
  GroupPicker,
  Icon,
  ItemPicker,
  JsonView,
  Message,
  Note,
  PageHead,
  Pager,
  SearchBox,
  Segmented,
  StatusBadge,
  Trace,
  TypeBadge,
  UserLink,
  UserPicker,
  formatDate,
  formatNumber,
  plural,
  useAsync,
  useConsole,
  useDebounced,
} from "../ui.jsx";

const PAGE_SIZE = 8;
const SORTS = [
  { value: "name", label: "Name" },
  { value: "members", label: "Members" },
  { value: "createdAt", label: "Created" },
  { value: "roles", label: "Roles" },
];

/** The list's filters outlive a visit to a group's page. */
let saved = { search: "", status: "all", hidden: false, sort: "name", order: "asc", page: 1 };

export function GroupsView() {
  const { client } = useConsole();
  const [state, setState] = useState(saved);
  const [cursor, setCursor] = useState(0);
  const searchRef = useRef();
  const set = (patch) =>
    setState((s) => {
      const next = { ...s, ...patch, page: patch.page ?? 1 };
      saved = next;
      return next;
    });
  const search = useDebounced(state.search, 120);
  const { data, error, loading } = useAsync(async () => {
    const answer = await client.query({
      op: "listGroups",
      search,
      status: state.status,
      includeHidden: state.hidden,
      sort: state.sort,
      order: state.order,
      page: state.page,
      pageSize: PAGE_SIZE,
    });
    if (answer.error) throw answer.error;
    const creators = [...new Set(answer.groups.map((g) => g.createdBy).filter(Boolean))];
    const names = await client.call("names", { users: creators });
    return { ...answer, creators: names.users };
  }, [search, state.status, state.hidden, state.sort, state.order, state.page]);

  useEffect(() => setCursor(0), [data]);
  const groups = data?.groups ?? [];
  const total = data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  const sortBy = (sort) => set({ sort, order: state.sort === sort && state.order === "asc" ? "desc" : "asc" });
  const onKeyDown = (event) => {
    const inSearch = event.target === searchRef.current;
    if (event.target instanceof HTMLSelectElement) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (inSearch) document.querySelector('[data-testid="group-table"] tbody tr')?.focus();
      setCursor((c) => Math.min(groups.length - 1, inSearch ? 0 : c + 1));
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      setCursor((c) => Math.max(0, c - 1));
    } else if (event.key === "Enter" && !inSearch && groups[cursor]) {
      navigate(`/groups/${encodeURIComponent(groups[cursor].group)}`);
    } else if (event.key === "Enter" && inSearch && groups[0]) {
      navigate(`/groups/${encodeURIComponent(groups[0].group)}`);
    } else if (!inSearch && event.key === "ArrowRight" && state.page < pages) {
      set({ page: state.page + 1 });
    } else if (!inSearch && event.key === "ArrowLeft" && state.page > 1) {
      set({ page: state.page - 1 });
    }
  };
  useEffect(() => {
    const row = document.querySelector(`[data-row="${cursor}"]`);
    if (row && document.activeElement?.closest?.("tbody")) row.focus();
  }, [cursor]);

  return (
    <div class="page" data-testid="groups-view">
      <PageHead
        title="Groups"
        subtitle="Who gets which roles, products and homepage — by hand, by rule, or through other groups."
      />
      <Card pad={false} class="list-card">
        <div onKeyDown={onKeyDown}>
        <div class="toolbar">
          <SearchBox
            value={state.search}
            onInput={(search) => set({ search })}
            placeholder="Search groups, slugs, role names…"
            label="Search groups"
            inputRef={searchRef}
            testid="group-search"
          />
          <Segmented
            label="Status"
            value={state.status}
            onChange={(status) => set({ status })}
            testid="group-status"
            options={[
              { value: "all", label: "All" },
              { value: "active", label: "Active" },
              { value: "inactive", label: "Inactive" },
            ]}
          />
          <label class="check">
            <input type="checkbox" checked={state.hidden} onChange={(event) => set({ hidden: event.currentTarget.checked })} />
            Show hidden
          </label>
          <span class="toolbar-spacer" />
          <label class="select-label">
            <span class="muted">Sort</span>
            <select value={state.sort} onChange={(event) => set({ sort: event.currentTarget.value })} data-testid="group-sort">
              {SORTS.map((sort) => (
                <option value={sort.value}>{sort.label}</option>
              ))}
            </select>
          </label>
          <button
            type="button"
            class="btn btn-icon"
            onClick={() => set({ order: state.order === "asc" ? "desc" : "asc" })}
            aria-label={state.order === "asc" ? "Ascending; switch to descending" : "Descending; switch to ascending"}
            title={state.order === "asc" ? "Ascending" : "Descending"}
            data-testid="group-order"
          >
            <Icon name={state.order === "asc" ? "up" : "down"} />
          </button>
        </div>
        {error ? (
          <div class="card-body">
            <ErrorNote error={error} title="The groups could not be listed" />
          </div>
        ) : null}
        <div class={`table-wrap ${loading ? "is-loading" : ""}`}>
          <table class="table" data-testid="group-table">
            <thead>
              <tr>
                <SortHeader label="Group" sort="name" state={state} onSort={sortBy} />
                <SortHeader label="Members" sort="members" state={state} onSort={sortBy} numeric />
                <SortHeader label="Roles" sort="roles" state={state} onSort={sortBy} class="hide-narrow" />
                <SortHeader label="Created" sort="createdAt" state={state} onSort={sortBy} class="hide-medium" />
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((group, i) => (
                <tr
                  key={group.group}
                  data-row={i}
                  data-group={group.group}
                  tabIndex={0}
                  class={`clickable ${i === cursor ? "cursor" : ""}`}
                  onClick={() => navigate(`/groups/${encodeURIComponent(group.group)}`)}
                  onFocus={() => setCursor(i)}
                >
                  <td>
                    <div class="cell-main">
                      <Avatar id={group.group} name={group.name} size={32} />
                      <div class="cell-text">
                        <a class="cell-title" href={`#/groups/${encodeURIComponent(group.group)}`} tabIndex={-1}>
                          {group.name}
                        </a>
                        <span class="cell-sub">{group.description ?? group.slug ?? group.group}</span>
                      </div>
                    </div>
                  </td>
                  <td class="num" data-testid="member-count">
                    {formatNumber(group.memberCount)}
                  </td>
                  <td class="hide-narrow">
                    <RoleChips roles={group.roles} />
                  </td>
                  <td class="hide-medium">
                    <div class="cell-text">
                      <span>{formatDate(group.createdAt)}</span>
                      {group.createdBy ? <span class="cell-sub">by {data.creators[group.createdBy] ?? group.createdBy}</span> : null}
                    </div>
                  </td>
                  <td>
                    <StatusBadge active={group.isActive} visible={group.isVisible} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {!loading && !error && groups.length === 0 ? (
            <Empty title="No groups match" action={state.search || state.status !== "all" ? <button type="button" class="btn" onClick={() => set({ search: "", status: "all" })}>Clear filters</button> : null}>
              {state.search ? (
                <>
                  Nothing matches “{state.search}”. Search looks at names in every language, slugs, descriptions and
                  role names, ignoring accents.
                </>
              ) : (
                "This tenant has no groups with this status."
              )}
            </Empty>
          ) : null}
        </div>
        <Pager page={state.page} pageSize={PAGE_SIZE} total={total} onPage={(page) => set({ page })} noun="groups" />
        </div>
      </Card>
    </div>
  );
}

function SortHeader({ label, sort, state, onSort, numeric, class: className = "" }) {
  const active = state.sort === sort;
  return (
    <th class={`${numeric ? "num" : ""} ${className}`} aria-sort={active ? (state.order === "asc" ? "ascending" : "descending") : "none"}>
      <button type="button" class={`th-sort ${active ? "active" : ""}`} onClick={() => onSort(sort)}>
        {label}
        {active ? <Icon name={state.order === "asc" ? "up" : "down"} size={12} /> : null}
      </button>
    </th>
  );
}

function RoleChips({ roles }) {
  if (!roles.length) return <span class="muted">—</span>;
  const shown = roles.slice(0, 2);
  return (
    <span class="chips">
      {shown.map((role) => (
        <Chip>{role}</Chip>
      ))}
      {roles.length > shown.length ? <span class="more" title={roles.slice(2).join(", ")}>+{roles.length - shown.length}</span> : null}
    </span>
  );
}

// ---------------------------------------------------------------------------------------------
// A group's page

const MEMBER_PAGE = 10;

/** Staged changes that touch group `id`, by kind and target: `removeMember:u1`, `active`, …. */
function stagedFor(pending, id) {
  const out = new Map();
  for (const { change } of pending) {
    const [kind, body] = Object.entries(change)[0];
    if (kind === "removeGroup" && body === id) out.set("delete", true);
    if (!body || typeof body !== "object" || body.group !== id) continue;
    if (kind === "setGroupActive") out.set("active", body.active);
    else if (kind === "setRule") out.set("rule", body.rule);
    else out.set(`${kind}:${body.user ?? body.role ?? body.product ?? body.source}`, true);
  }
  return out;
}

export function GroupDetail({ id }) {
  const { client, pending, stage, catalog } = useConsole();
  const group = useAsync(async () => {
    const [def, counts, dashboard] = await Promise.all([
      client.call("group", { id }),
      client.batch(
        [undefined, "manual", "dynamic", "group"].map((type) => ({ op: "members", group: id, pageSize: 1, ...(type ? { type } : {}) })),
      ),
      client.query({ op: "editDashboard", group: id }),
    ]);
    return { def, counts: counts.map((answer) => answer.total ?? 0), dashboard };
  }, [id]);

  if (group.error) return <div class="page"><ErrorNote error={group.error} /></div>;
  if (!group.data) return <div class="page" />;
  const { def, counts, dashboard } = group.data;
  if (!def) {
    return (
      <div class="page">
        <PageHead title="Group not found" crumbs={<a href="#/groups">Groups</a>} />
        <Empty icon="groups" title={`There is no group \`${id}\` in this tenant`} action={<a class="btn" href="#/groups">Back to groups</a>}>
          It may have been deleted by an applied change.
        </Empty>
      </div>
    );
  }
  const staged = stagedFor(pending, id);
  const activeAfter = staged.has("active") ? staged.get("active") : def.isActive;
  const otherLocales = Object.entries(def.names).filter(([, text]) => text !== def.name);

  return (
    <div class="page" data-testid="group-detail">
      <PageHead
        crumbs={
          <>
            <a href="#/groups">Groups</a>
            <Icon name="right" size={12} />
            <span>{def.id}</span>
          </>
        }
        title={
          <span class="title-with-badges">
            {def.name}
            <StatusBadge active={def.isActive} visible={def.isVisible} />
            {staged.has("delete") ? <Badge tone="red">Deletion staged</Badge> : null}
            {def.ruleError ? <Badge tone="red">Invalid rule</Badge> : null}
            {staged.has("active") && staged.get("active") !== def.isActive ? (
              <Badge tone="amber">{staged.get("active") ? "Activation staged" : "Deactivation staged"}</Badge>
            ) : null}
          </span>
        }
        subtitle={def.description}
        actions={
          <>
            <a class="btn" href={`#/rules?group=${encodeURIComponent(id)}`}>
              <Icon name="rule" />
              Edit rule
            </a>
            <button
              type="button"
              class="btn"
              data-testid="toggle-active"
              onClick={() =>
                stage(
                  { setGroupActive: { group: id, active: !activeAfter } },
                  `${activeAfter ? "Deactivate" : "Activate"} ${def.name}`,
                )
              }
            >
              <Icon name="power" />
              {activeAfter ? "Deactivate" : "Activate"}
            </button>
            <button
              type="button"
              class="btn btn-danger-quiet"
              disabled={staged.has("delete")}
              onClick={() => stage({ removeGroup: id }, `Delete ${def.name}`)}
            >
              <Icon name="trash" />
              Delete
            </button>
          </>
        }
      />
      {def.ruleError ? (
        <Note tone="error" title="This group's rule is invalid" testid="invalid-rule">
          The engine cannot read it (<Message text={def.ruleError.message} />
          {def.ruleError.line ? `, line ${def.ruleError.line}, column ${def.ruleError.column}` : ""}), so the group has no
          dynamic members until the rule is fixed. <a href={`#/rules?group=${encodeURIComponent(def.id)}`}>Fix the rule</a>
        </Note>
      ) : null}
      {!def.isActive ? (
        <Note tone="warning" title="This group is inactive">
          Its members are still computed and listed, but it grants nothing — no roles, products, homepage or
          dashboard — and it feeds no members to the groups that include it.
        </Note>
      ) : null}
      <div class="detail-grid">
        <div class="detail-main">
          <RuleCard def={def} staged={staged} count={counts[2]} />
          <MembersCard id={id} def={def} counts={counts} staged={staged} />
        </div>
        <div class="detail-side">
          <AccessCard def={def} staged={staged} catalog={catalog} stage={stage} />
          <StructureCard def={def} staged={staged} catalog={catalog} stage={stage} />
          <HomepageCard def={def} dashboard={dashboard} />
          <ExplainCard id={id} def={def} />
          <Card title="About">
            <dl class="facts">
              <dt>Id</dt>
              <dd>
                <code>{def.id}</code>
              </dd>
              <dt>Slug</dt>
              <dd>{def.slug ? <code>{def.slug}</code> : <span class="muted">—</span>}</dd>
              <dt>Created</dt>
              <dd>
                {formatDate(def.createdAt)}
                {def.createdBy ? (
                  <>
                    {" "}
                    by <UserLink id={def.createdBy.id} name={def.createdBy.name} />
                  </>
                ) : null}
              </dd>
              {otherLocales.length ? (
                <>
                  <dt>Names</dt>
                  <dd>
                    {Object.entries(def.names).map(([locale, text]) => (
                      <div>
                        <Badge tone="outline">{locale}</Badge> {text}
                      </div>
                    ))}
                  </dd>
                </>
              ) : null}
              <dt>Visible</dt>
              <dd>{def.isVisible ? "Yes, listed" : "No, hidden from listings"}</dd>
            </dl>
          </Card>
        </div>
      </div>
    </div>
  );
}

function RuleCard({ def, staged, count }) {
  const { stage } = useConsole();
  const stagedRule = staged.has("rule");
  return (
    <Card
      title="Dynamic rule"
      subtitle={
        def.ruleError
          ? "Invalid: it matches nobody until it is fixed (see above)."
          : def.rule
            ? `${plural(count, "user")} ${count === 1 ? "matches" : "match"} it today`
            : "Members come only from the list and from included groups."
      }
      actions={
        <>
          <a class="btn btn-small" href={`#/rules?group=${encodeURIComponent(def.id)}`}>
            {def.rule ? "Edit" : "Add a rule"}
          </a>
          {def.rule && !stagedRule ? (
            <button type="button" class="btn btn-small btn-danger-quiet" onClick={() => stage({ setRule: { group: def.id, rule: null } }, `Remove the rule of ${def.name}`)}>
              Remove
            </button>
          ) : null}
        </>
      }
    >
      {def.ruleText !== null ? <pre class="code-block" data-testid="group-rule">{def.ruleText}</pre> : null}
      {!def.rule ? <p class="muted">No rule.</p> : null}
      {stagedRule ? (
        <Note tone="info" title="A new rule is staged">
          {staged.get("rule") === null ? "Removal of the rule." : <code>{typeof staged.get("rule") === "string" ? staged.get("rule") : JSON.stringify(staged.get("rule"))}</code>}{" "}
          <a href="#/changes">Review the impact</a>
        </Note>
      ) : null}
    </Card>
  );
}

function MembersCard({ id, def, counts, staged }) {
  const { client, stage, summary } = useConsole();
  const [type, setType] = useState("all");
  const [text, setText] = useState("");
  const [page, setPage] = useState(1);
  const [adding, setAdding] = useState(false);
  const search = useDebounced(text, 120);
  useEffect(() => setPage(1), [type, search]);
  const { data, error, loading } = useAsync(async () => {
    const request = { op: "members", group: id, page, pageSize: MEMBER_PAGE };
    if (type !== "all") request.type = type;
    if (search) request.search = search;
    const answer = await client.query(request);
    if (answer.error) throw answer.error;
    const via = [...new Set(answer.members.flatMap((m) => m.via))];
    const names = await client.call("names", { groups: via });
    return { ...answer, groupNames: names.groups };
  }, [id, type, search, page]);

  return (
    <Card
      title="Members"
      subtitle={`${plural(counts[0], "member")}: ${formatNumber(counts[1])} manual, ${formatNumber(counts[2])} by the rule, ${formatNumber(counts[3])} from included groups`}
      actions={
        <button type="button" class="btn btn-small" onClick={() => setAdding((a) => !a)} data-testid="add-member">
          <Icon name="plus" />
          Add member
        </button>
      }
      pad={false}
      class="members-card"
    >
      {adding ? (
        <div class="inline-form">
          <UserPicker
            autoFocus
            testid="add-member-picker"
            placeholder="Add a member: find a user by name or id"
            onPick={(user) => {
              stage({ addMember: { group: id, user: user.user } }, `Add ${user.name ?? user.user} to ${def.name}`);
              setAdding(false);
            }}
          />
        </div>
      ) : null}
      <div class="toolbar">
        <Segmented
          label="Membership type"
          value={type}
          onChange={setType}
          testid="member-type"
          options={[
            { value: "all", label: "All", count: counts[0] },
            { value: "manual", label: "Manual", count: counts[1] },
            { value: "dynamic", label: "Dynamic", count: counts[2] },
            { value: "group", label: "From groups", count: counts[3] },
          ]}
        />
        <SearchBox value={text} onInput={setText} placeholder="Search members" label="Search members" testid="member-search" />
      </div>
      {error ? <div class="card-body"><ErrorNote error={error} /></div> : null}
      <div class={`table-wrap ${loading ? "is-loading" : ""}`}>
        <table class="table" data-testid="member-table">
          <thead>
            <tr>
              <th>Member</th>
              <th>Type</th>
              <th>Via</th>
              <th class="hide-narrow">Membership</th>
              <th class="actions-col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(data?.members ?? []).map((member) => {
              const removing = staged.has(`removeMember:${member.user}`);
              return (
                <tr key={member.user} data-user={member.user} class={removing ? "struck" : ""}>
                  <td>
                    <div class="cell-main">
                      <Avatar id={member.user} name={member.name} />
                      <div class="cell-text">
                        <UserLink id={member.user} name={member.name} />
                        <span class="cell-sub">{member.user}</span>
                      </div>
                    </div>
                  </td>
                  <td>
                    <span class="badges" data-testid="member-types">
                      {member.types.map((t) => (
                        <TypeBadge type={t} />
                      ))}
                    </span>
                  </td>
                  <td>
                    {member.via.length ? (
                      <span class="via">
                        {member.via.map((g) => (
                          <GroupLink id={g} name={data.groupNames[g]} />
                        ))}
                      </span>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  <td class="hide-narrow">
                    <MembershipDates addedAt={member.addedAt} windows={def.windows[member.user]} asOf={summary?.asOf} />
                  </td>
                  <td class="actions-col">
                    {member.types.includes("manual") ? (
                      removing ? (
                        <Badge tone="amber">Removal staged</Badge>
                      ) : (
                        <button
                          type="button"
                          class="btn btn-small btn-quiet"
                          onClick={() => stage({ removeMember: { group: id, user: member.user } }, `Remove ${member.name ?? member.user} from ${def.name}`)}
                          title="Remove this manual membership"
                        >
                          Remove
                        </button>
                      )
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {data && data.total === 0 ? (
          <Empty icon="user" title={search ? "No member matches" : type === "all" ? "This group has no members" : `No ${type === "group" ? "members from included groups" : `${type} members`}`}>
            {search ? `Nothing matches “${search}” among these members.` : type === "manual" ? "Add people by hand with “Add member”." : null}
          </Empty>
        ) : null}
      </div>
      <Pager page={page} pageSize={MEMBER_PAGE} total={data?.total ?? 0} onPage={setPage} noun="members" />
    </Card>
  );
}

/** When a manual membership was added, and the windows it is limited to. */
function MembershipDates({ addedAt, windows, asOf }) {
  const lines = [];
  if (addedAt) lines.push(`Added ${formatDate(addedAt)}`);
  for (const { startsAt, expiresAt } of windows ?? []) {
    const future = startsAt && asOf && startsAt > asOf;
    const past = expiresAt && asOf && expiresAt <= asOf;
    const text = [startsAt ? `from ${formatDate(startsAt)}` : null, expiresAt ? `until ${formatDate(expiresAt)}` : null].filter(Boolean).join(" ");
    lines.push(
      <span class={past || future ? "muted" : ""} title={past ? "Ended" : future ? "Not started" : "In effect"}>
        {text.charAt(0).toUpperCase() + text.slice(1)}
        {past ? " (ended)" : future ? " (not started)" : ""}
      </span>,
    );
  }
  if (!lines.length) return <span class="muted">—</span>;
  return (
    <span class="cell-text small">
      {lines.map((line) => (
        <span>{line}</span>
      ))}
    </span>
  );
}

function AccessCard({ def, staged, catalog, stage }) {
  return (
    <Card title="Grants" subtitle={def.isActive ? "What every member gets" : "Nothing, while the group is inactive"}>
      <h3 class="mini-title">Roles</h3>
      <EditableChips
        items={def.roles}
        kind="role"
        staged={staged}
        addKind="addGroupRole"
        removeKind="removeGroupRole"
        options={catalog?.roles ?? []}
        onAdd={(item) => stage({ addGroupRole: { group: def.id, role: item.id } }, `Give role ${item.name} to ${def.name}`)}
        onRemove={(item) => stage({ removeGroupRole: { group: def.id, role: item.id } }, `Take role ${item.name ?? item.id} from ${def.name}`)}
        testid="group-roles"
      />
      <h3 class="mini-title">Products</h3>
      <EditableChips
        items={def.products}
        kind="product"
        staged={staged}
        addKind="addGroupProduct"
        removeKind="removeGroupProduct"
        options={catalog?.products ?? []}
        onAdd={(item) => stage({ addGroupProduct: { group: def.id, product: item.id } }, `Open ${item.name} to ${def.name}`)}
        onRemove={(item) => stage({ removeGroupProduct: { group: def.id, product: item.id } }, `Close ${item.name ?? item.id} to ${def.name}`)}
        testid="group-products"
      />
    </Card>
  );
}

function EditableChips({ items, kind, staged, addKind, removeKind, options, onAdd, onRemove, testid }) {
  const present = new Set(items.map((item) => item.id));
  const added = options.filter((option) => staged.has(`${addKind}:${option.id}`) && !present.has(option.id));
  const addable = options.filter((option) => !present.has(option.id) && !staged.has(`${addKind}:${option.id}`));
  return (
    <div class="chips chips-wrap" data-testid={testid}>
      {items.map((item) => {
        const removing = staged.has(`${removeKind}:${item.id}`);
        return (
          <Chip struck={removing} title={removing ? "Removal staged" : item.id} onRemove={removing ? null : () => onRemove(item)} removeLabel={`Remove ${item.name ?? item.id}`}>
            {item.name ?? item.id}
          </Chip>
        );
      })}
      {added.map((item) => (
        <Chip tone="added" title="Staged">
          + {item.name}
        </Chip>
      ))}
      {!items.length && !added.length ? <span class="muted">None</span> : null}
      {addable.length > 40 ? (
        kind === "group" ? (
          <GroupPicker compact onPick={onAdd} placeholder="Add a group…" />
        ) : (
          <ItemPicker compact items={addable} onPick={onAdd} placeholder={`Add a ${kind}…`} icon="plus" />
        )
      ) : addable.length ? (
        <select
          class="chip-add"
          aria-label={`Add a ${kind}`}
          value=""
          onChange={(event) => {
            const item = options.find((option) => option.id === event.currentTarget.value);
            if (item) onAdd(item);
            event.currentTarget.value = "";
          }}
        >
          <option value="">+ Add {kind}</option>
          {addable.map((option) => (
            <option value={option.id}>{option.name}</option>
          ))}
        </select>
      ) : null}
    </div>
  );
}

function StructureCard({ def, staged, catalog, stage }) {
  const options = (catalog?.groups ?? []).filter((g) => g.id !== def.id);
  return (
    <Card title="Nesting" subtitle="Every member of an included, active group is a member here">
      <h3 class="mini-title">Includes</h3>
      <EditableChips
        items={def.includeGroups}
        kind="group"
        staged={staged}
        addKind="addInclude"
        removeKind="removeInclude"
        options={options}
        onAdd={(item) => stage({ addInclude: { group: def.id, source: item.id } }, `Include ${item.name} in ${def.name}`)}
        onRemove={(item) => stage({ removeInclude: { group: def.id, source: item.id } }, `Stop including ${item.name ?? item.id} in ${def.name}`)}
      />
      <h3 class="mini-title">Included by</h3>
      {def.includedBy.length ? (
        <span class="via">
          {def.includedBy.map((g) => (
            <GroupLink id={g.id} name={g.name} />
          ))}
        </span>
      ) : (
        <span class="muted">No group includes this one</span>
      )}
    </Card>
  );
}

function HomepageCard({ def, dashboard }) {
  const [showDraft, setShowDraft] = useState(true);
  return (
    <Card title="Homepage" subtitle="Where members land, unless their own settings say otherwise">
      <dl class="facts">
        <dt>Module</dt>
        <dd data-testid="group-module">{def.homepageModule ? <>{def.homepageModule.name ?? def.homepageModule.id} <code class="muted">{def.homepageModule.id}</code></> : <span class="muted">None</span>}</dd>
      </dl>
      <div class="dash-head">
        <h3 class="mini-title">Dashboard</h3>
        {dashboard.isDraft ? (
          <Segmented
            label="Dashboard version"
            value={showDraft ? "draft" : "published"}
            onChange={(v) => setShowDraft(v === "draft")}
            options={[
              { value: "draft", label: "Draft" },
              { value: "published", label: "Published" },
            ]}
          />
        ) : null}
      </div>
      {dashboard.error ? <ErrorNote error={dashboard.error} /> : null}
      {dashboard.isDraft ? (
        showDraft ? (
          <>
            <p class="muted small">The editor's working copy; members see the published one.</p>
            <JsonView value={dashboard.layout} testid="dashboard-draft" />
          </>
        ) : (
          <JsonView value={def.dashboard ?? null} testid="dashboard-published" />
        )
      ) : (
        <>
          {def.dashboard === undefined || def.dashboard === null ? <p class="muted">No published dashboard; no draft.</p> : <JsonView value={def.dashboard} testid="dashboard-published" />}
        </>
      )}
    </Card>
  );
}

function ExplainCard({ id, def }) {
  const { client } = useConsole();
  const [user, setUser] = useState(null);
  const { data } = useAsync(async () => (user ? client.query({ op: "explain", user: user.user, group: id }) : null), [user?.user, id]);
  return (
    <Card title="Check a user" subtitle="Is this person a member, and why?">
      <UserPicker onPick={setUser} testid="explain-picker" />
      {user && data && !data.error ? (
        <div class="explain" data-testid="explain-result">
          <p class="explain-verdict">
            <span class={`verdict ${data.member ? "yes" : "no"}`}>
              <Icon name={data.member ? "check" : "cross"} size={14} />
            </span>
            <strong>{user.name ?? user.user}</strong>&nbsp;{data.member ? "is a member" : "is not a member"}
            {data.types.length ? (
              <span class="badges">
                {data.types.map((t) => (
                  <TypeBadge type={t} />
                ))}
              </span>
            ) : null}
          </p>
          {data.via.length ? (
            <p class="muted small">
              Through <span class="via">{data.via.map((g) => <GroupLink id={g} />)}</span>
            </p>
          ) : null}
          {data.rule ? <Trace node={data.rule.trace} /> : <p class="muted small">{def.rule ? "The rule is invalid." : "The group has no rule."}</p>}
        </div>
      ) : null}
      {data?.error ? <ErrorNote error={data.error} /> : null}
    </Card>
  );
}
