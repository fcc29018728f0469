// Users: a searchable directory, and one user's access (`userAccess`): groups with their types
// and `via`, roles with their sources, permissions, products with their reasons, homepage.

import { useEffect, useState } from "preact/hooks";

import { navigate } from "../app.jsx";
import {
  Avatar,
  Badge,
  Card,
  Chip,
  Empty,
  ErrorNote,
  GroupLink,
  Icon,
  JsonView,
  PageHead,
  Pager,
  SearchBox,
  TypeBadge,
  UserLink,
  formatNumber,
  plural,
  useAsync,
  useConsole,
  useDebounced,
} from "../ui.jsx";

const PAGE_SIZE = 12;
let saved = { search: "", page: 1 };

export function UsersView({ id }) {
  return (
    <div class="page" data-testid="users-view">
      <PageHead title="Users" subtitle="What each person gets, and where it comes from." />
      <div class="users-grid">
        <UserList selected={id} />
        {id ? <UserAccess id={id} key={id} /> : <Card><Empty icon="user" title="Pick a user">Their groups, roles, permissions, products and homepage appear here.</Empty></Card>}
      </div>
    </div>
  );
}

function UserList({ selected }) {
  const { client } = useConsole();
  const [state, setState] = useState(saved);
  const set = (patch) => setState((s) => (saved = { ...s, ...patch, page: patch.page ?? 1 }));
  const search = useDebounced(state.search, 100);
  const { data, loading } = useAsync(() => client.call("searchUsers", { search, page: state.page, pageSize: PAGE_SIZE }), [search, state.page]);
  const users = data?.users ?? [];
  const onKeyDown = (event) => {
    if (event.key === "Enter" && users[0] && event.target.matches("input")) navigate(`/users/${encodeURIComponent(users[0].user)}`);
  };
  return (
    <Card pad={false} class="user-list">
      <div class="toolbar" onKeyDown={onKeyDown}>
        <SearchBox value={state.search} onInput={(value) => set({ search: value })} placeholder="Search by name or id" label="Search users" testid="user-search" />
      </div>
      <ul class={`people ${loading ? "is-loading" : ""}`} data-testid="user-list">
        {users.map((user) => (
          <li>
            <a href={`#/users/${encodeURIComponent(user.user)}`} class={`person ${user.user === selected ? "on" : ""}`} data-user={user.user}>
              <Avatar id={user.user} name={user.name} size={30} />
              <span class="person-text">
                <span class="person-name">
                  {user.name ?? user.user}
                  {user.orgRole !== "member" ? <Badge tone="violet">{user.orgRole}</Badge> : null}
                </span>
                <span class="cell-sub">{[user.jobTitle, user.department].filter(Boolean).join(" · ") || user.user}</span>
              </span>
            </a>
          </li>
        ))}
      </ul>
      {data && data.total === 0 ? <Empty icon="user" title="No user matches">Search looks at names and ids, ignoring accents.</Empty> : null}
      <Pager page={state.page} pageSize={PAGE_SIZE} total={data?.total ?? 0} onPage={(page) => set({ page })} noun="users" />
    </Card>
  );
}

function UserAccess({ id }) {
  const { client } = useConsole();
  const { data, error } = useAsync(async () => {
    const [user, access] = await Promise.all([client.call("user", { id }), client.query({ op: "userAccess", user: id })]);
    if (access.error) return { user, access };
    const names = await client.call("names", {
      groups: [...new Set([...access.groups.flatMap((g) => [g.group, ...g.via]), ...access.roles.flatMap((r) => r.sources.filter((s) => s !== "direct")), ...access.products.flatMap((p) => p.via), access.homepage.group, access.homepage.dashboard.group].filter(Boolean))],
      roles: access.roles.map((r) => r.role),
      products: access.products.map((p) => p.product),
      modules: [access.homepage.redirect].filter(Boolean),
    });
    return { user, access, names };
  }, [id]);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <div />;
  const { user, access, names } = data;
  if (!user || access.error) {
    return (
      <Card>
        <Empty icon="user" title={`There is no user \`${id}\``}>{access.error?.message}</Empty>
      </Card>
    );
  }
  const { homepage } = access;
  const attributes = Object.entries(user.attributes);
  return (
    <div class="user-detail" data-testid="user-detail">
      <Card>
        <div class="person-head">
          <Avatar id={user.id} name={user.name} size={48} />
          <div>
            <h2 class="person-title">
              {user.name ?? user.id} {user.orgRole !== "member" ? <Badge tone="violet">{user.orgRole}</Badge> : null}
            </h2>
            <p class="muted">
              <code>{user.id}</code>
              {user.manager ? (
                <>
                  {" "}
                  · reports to <UserLink id={user.manager.id} name={user.manager.name} />
                </>
              ) : null}
              {user.primaryGroup ? (
                <>
                  {" "}
                  · home group <GroupLink id={user.primaryGroup.id} name={user.primaryGroup.name} />
                </>
              ) : null}
            </p>
          </div>
        </div>
        {attributes.length ? (
          <dl class="attributes">
            {attributes.map(([key, value]) => (
              <div>
                <dt>{key}</dt>
                <dd>{value === null ? <span class="muted">null</span> : Array.isArray(value) ? value.join(", ") : String(value)}</dd>
              </div>
            ))}
          </dl>
        ) : null}
        {user.orgRole !== "member" ? <p class="muted small">As an org {user.orgRole}, this user may use every product, whatever the groups say.</p> : null}
      </Card>
      <div class="user-cards">
        <Card title="Groups" subtitle={plural(access.groups.length, "group")} pad={false}>
          {access.groups.length ? (
            <table class="table compact" data-testid="user-groups">
              <tbody>
                {access.groups.map((g) => (
                  <tr class={g.isActive ? "" : "dim"}>
                    <td>
                      <GroupLink id={g.group} name={names.groups[g.group]} />
                      {g.isActive ? null : <Badge tone="gray" title="An inactive group grants nothing">Inactive</Badge>}
                    </td>
                    <td>
                      <span class="badges">
                        {g.types.map((t) => (
                          <TypeBadge type={t} />
                        ))}
                      </span>
                    </td>
                    <td>
                      {g.via.length ? (
                        <span class="via small">
                          via{" "}
                          {g.via.map((v) => (
                            <GroupLink id={v} name={names.groups[v]} />
                          ))}
                        </span>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty icon="groups" title="In no group" />
          )}
        </Card>
        <Card title="Roles" subtitle={plural(access.roles.length, "role")} pad={false}>
          {access.roles.length ? (
            <table class="table compact" data-testid="user-roles">
              <tbody>
                {access.roles.map((r) => (
                  <tr>
                    <td>
                      <strong>{names.roles[r.role] ?? r.role}</strong> <span class="muted small">{r.role}</span>
                    </td>
                    <td>
                      <span class="via small">
                        from{" "}
                        {r.sources.map((s) => (s === "direct" ? <Badge tone="outline">direct</Badge> : <GroupLink id={s} name={names.groups[s]} />))}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty icon="lint" title="No roles" />
          )}
        </Card>
        <Card title="Products" subtitle={plural(access.products.length, "product")} pad={false}>
          {access.products.length ? (
            <table class="table compact" data-testid="user-products">
              <tbody>
                {access.products.map((p) => (
                  <tr>
                    <td>
                      <strong>{names.products[p.product] ?? p.product}</strong>
                    </td>
                    <td>
                      {p.reason === "group" ? (
                        <span class="via small">
                          through{" "}
                          {p.via.map((v) => (
                            <GroupLink id={v} name={names.groups[v]} />
                          ))}
                        </span>
                      ) : (
                        <Badge tone="violet">as org {p.reason}</Badge>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty icon="lint" title="No products" />
          )}
        </Card>
        <Card title="Permissions" subtitle={plural(access.permissions.length, "permission")}>
          {access.permissions.length ? (
            <div class="chips chips-wrap" data-testid="user-permissions">
              {access.permissions.map((p) => (
                <Chip>
                  <code>{p}</code>
                </Chip>
              ))}
            </div>
          ) : (
            <p class="muted">None</p>
          )}
        </Card>
        <Card title="Homepage and dashboard" class="span-2">
          <div class="homepage-grid">
            <dl class="facts" data-testid="user-homepage">
              <dt>Lands on</dt>
              <dd>
                {homepage.redirect ? (
                  <>
                    <strong>{names.modules[homepage.redirect] ?? homepage.redirect}</strong> <code class="muted">{homepage.redirect}</code>
                  </>
                ) : (
                  <span class="muted">The default home (no redirect)</span>
                )}
              </dd>
              <dt>Because</dt>
              <dd>{homepageReason(homepage, names)}</dd>
              {homepage.note ? (
                <>
                  <dt>Note</dt>
                  <dd>{homepage.note}</dd>
                </>
              ) : null}
              <dt>Dashboard</dt>
              <dd>{dashboardReason(homepage.dashboard, names)}</dd>
            </dl>
            <JsonView value={homepage.dashboard.layout} testid="user-dashboard" />
          </div>
        </Card>
      </div>
    </div>
  );
}

function homepageReason(homepage, names) {
  switch (homepage.source) {
    case "prevented":
      return "The user's redirect is turned off";
    case "user":
      return "The user's own homepage module";
    case "group":
      return (
        <>
          The home group <GroupLink id={homepage.group} name={names.groups[homepage.group]} />
        </>
      );
    default:
      return homepage.group ? (
        <>
          Home group <GroupLink id={homepage.group} name={names.groups[homepage.group]} /> sets no valid module
        </>
      ) : (
        "No home group sets a module"
      );
  }
}

function dashboardReason(dashboard, names) {
  switch (dashboard.source) {
    case "user":
      return "The user's own dashboard";
    case "group":
      return (
        <>
          Published by <GroupLink id={dashboard.group} name={names.groups[dashboard.group]} />
        </>
      );
    case "default":
      return "The tenant's default dashboard";
    default:
      return "None";
  }
}
