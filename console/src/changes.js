// A change list (SPEC §7.2) applied to a snapshot held as plain JSON: the console keeps the
// snapshot it loaded in step with what the engine has accepted, to show groups' definitions.
// Only called after the engine's `apply` succeeded, so the changes are known to be valid.

/** A copy of `snapshot` with `changes` applied in order. */
export function applyToSnapshot(snapshot, changes) {
  const next = structuredClone(snapshot);
  for (const change of changes) applyOne(next, change);
  return next;
}

function applyOne(snapshot, change) {
  const [kind, body] = Object.entries(change)[0] ?? [];
  const group = () => list(snapshot, "groups").find((item) => item.id === body.group);
  switch (kind) {
    case "addMember": {
      const target = group();
      const entry = { user: body.user };
      if (body.startsAt) entry.startsAt = body.startsAt;
      if (body.expiresAt) entry.expiresAt = body.expiresAt;
      target.members = [...without(target.members, body.user), entry];
      break;
    }
    case "removeMember": {
      const target = group();
      target.members = without(target.members, body.user);
      break;
    }
    case "addInclude":
      addTo(group(), "includeGroups", body.source);
      break;
    case "removeInclude":
      removeFrom(group(), "includeGroups", body.source);
      break;
    case "setRule": {
      const target = group();
      if (body.rule === null) delete target.rule;
      else target.rule = body.rule;
      break;
    }
    case "addGroupRole":
      addTo(group(), "roles", body.role);
      break;
    case "removeGroupRole":
      removeFrom(group(), "roles", body.role);
      break;
    case "addGroupProduct":
      addTo(group(), "products", body.product);
      break;
    case "removeGroupProduct":
      removeFrom(group(), "products", body.product);
      break;
    case "setGroupActive":
      group().isActive = body.active;
      break;
    case "upsertUser":
      upsert(snapshot, "users", body);
      break;
    case "removeUser":
      remove(snapshot, "users", body);
      break;
    case "upsertGroup":
      upsert(snapshot, "groups", body);
      break;
    case "removeGroup":
      remove(snapshot, "groups", body);
      break;
    case "upsertRole":
      upsert(snapshot, "roles", body);
      break;
    case "removeRole":
      remove(snapshot, "roles", body);
      break;
    case "upsertProduct":
      upsert(snapshot, "products", body);
      break;
    case "removeProduct":
      remove(snapshot, "products", body);
      break;
    case "setAsOf":
      snapshot.asOf = body;
      break;
    default:
      throw new Error(`unknown change \`${kind}\``);
  }
}

function list(snapshot, key) {
  if (!Array.isArray(snapshot[key])) snapshot[key] = [];
  return snapshot[key];
}

function memberId(entry) {
  return typeof entry === "string" ? entry : entry?.user;
}

function without(members, user) {
  return (Array.isArray(members) ? members : []).filter((entry) => memberId(entry) !== user);
}

function addTo(item, key, id) {
  const ids = Array.isArray(item[key]) ? item[key] : [];
  if (!ids.includes(id)) item[key] = [...ids, id];
}

function removeFrom(item, key, id) {
  if (Array.isArray(item[key])) item[key] = item[key].filter((other) => other !== id);
}

function upsert(snapshot, key, item) {
  const items = list(snapshot, key);
  const at = items.findIndex((other) => other.id === item.id);
  if (at < 0) items.push(structuredClone(item));
  else items[at] = structuredClone(item);
}

function remove(snapshot, key, id) {
  snapshot[key] = list(snapshot, key).filter((item) => item.id !== id);
}
