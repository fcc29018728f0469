#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from the project's test vectors.

    fuzz/scripts/seed-corpora.py            # rewrites fuzz/corpus/<target>/

Seeds (one file each, named after where they come from, duplicates dropped):
  snapshot  every vector file's snapshot, as compact JSON text
  rule      every rule text and rule AST in the vectors (parseRule, formatRule, previewRule
            requests, and the groups' rules in the snapshots)
  query     one selector byte (the tenant, in the order of TENANT_FILES in fuzz/src/lib.rs)
            then a request: the cases of the tenant's own vector file, plus the malformed
            requests of requests.json against the first tenant
  apply     `!`, a selector byte, then an `apply` request: each change kind of SPEC §7.2 on
            the tenant's own ids, and some broken change lists (all of them for the tenants
            of FULL_APPLY_SEEDS, a few for the others; three under strict for each)
Inputs larger than MAX_SEED bytes are left out (they would raise libFuzzer's -max_len).
"""
import json
import re
import shutil
import sys
from pathlib import Path

FUZZ = Path(__file__).resolve().parent.parent
VECTORS = FUZZ.parent / "tests" / "vectors"
CORPUS = FUZZ / "corpus"
MAX_SEED = 4096
# Tenants that get every change kind as `apply` seeds (between them: roles and products);
# the others get a few.
FULL_APPLY_SEEDS = ("membership", "products", "roles", "lint")


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Corpus:
    def __init__(self, target):
        self.dir = CORPUS / target
        self.seen = set()
        self.count = 0

    def add(self, name, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        if len(data) > MAX_SEED or data in self.seen:
            return
        self.seen.add(data)
        self.count += 1
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:60]
        (self.dir / f"{safe}-{self.count:03d}").write_bytes(data)


def tenant_names():
    """The tenants of fuzz/src/lib.rs, in selector order."""
    lib = (FUZZ / "src" / "lib.rs").read_text()
    block = lib[lib.index("pub const TENANT_FILES"):]
    block = block[: block.index("];")]
    found = re.findall(r'\(\s*"(\w+)",\s*include_str!\("\.\./\.\./tests/vectors/(\w+)\.json"\),?\s*\)', block)
    if len(found) != block.count("include_str!"):
        sys.exit("seed-corpora.py: cannot read TENANT_FILES in fuzz/src/lib.rs")
    return found


def selector(index, count, strict=False):
    """A printable byte b with b % count == index ('0'.. when count divides 48)."""
    base = 0x80 if strict else 0x30
    return bytes([base + (index - base) % count])


def ids(snapshot, key):
    return [item["id"] for item in snapshot.get(key, []) if isinstance(item, dict) and isinstance(item.get("id"), str)]


def rules_in(value):
    """Rules named in a request or snapshot (text or AST)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "rule" and isinstance(inner, (str, dict)):
                yield inner
            elif key == "text" and value.get("op") == "parseRule" and isinstance(inner, str):
                yield inner
            else:
                yield from rules_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from rules_in(inner)


def apply_requests(snapshot, rule_texts):
    users, groups = ids(snapshot, "users"), ids(snapshot, "groups")
    roles, products = ids(snapshot, "roles"), ids(snapshot, "products")
    u = users[0] if users else "u-new"
    g = groups[0] if groups else "g-new"
    g2 = groups[1] if len(groups) > 1 else g
    r = roles[0] if roles else "r-new"
    p = products[0] if products else "p-new"
    rule = rule_texts[len(groups) % len(rule_texts)]
    changes = {
        "add-member": [{"addMember": {"group": g, "user": u}}],
        "add-member-window": [{"addMember": {"group": g2, "user": u, "startsAt": "2025-01-01T00:00:00Z", "expiresAt": "2030-01-01T00:00:00+02:00"}}],
        "remove-member": [{"removeMember": {"group": g, "user": u}}],
        "add-include": [{"addInclude": {"group": g, "source": g2}}],
        "add-include-self": [{"addInclude": {"group": g, "source": g}}],
        "remove-include": [{"removeInclude": {"group": g2, "source": g}}],
        "set-rule": [{"setRule": {"group": g, "rule": rule}}],
        "set-rule-ast": [{"setRule": {"group": g2, "rule": {"any": [{"op": "MEMBER OF", "value": g}, {"field": "department", "op": "IN", "value": ["Eng", "Sales"]}]}}}],
        "set-rule-null": [{"setRule": {"group": g, "rule": None}}],
        "add-group-role": [{"addGroupRole": {"group": g, "role": r}}],
        "remove-group-role": [{"removeGroupRole": {"group": g, "role": r}}],
        "add-group-product": [{"addGroupProduct": {"group": g, "product": p}}],
        "remove-group-product": [{"removeGroupProduct": {"group": g, "product": p}}],
        "set-group-active": [{"setGroupActive": {"group": g, "active": False}}],
        "upsert-user": [{"upsertUser": {"id": u, "name": "Zoé", "orgRole": "admin", "attributes": {"department": "Eng", "level": 5}, "roles": [r], "primaryGroup": g}}],
        "upsert-user-new": [{"upsertUser": {"id": "u-new", "name": "New", "attributes": {"manager": u}}}],
        "remove-user": [{"removeUser": u}],
        "upsert-group": [{"upsertGroup": {"id": "g-new", "name": {"en": "New", "fr": "Nouveau"}, "members": [u, {"user": "u-new", "expiresAt": "2031-01-01T00:00:00Z"}], "includeGroups": [g], "rule": "MEMBER OF " + g2, "roles": [r], "products": [p]}}],
        "upsert-group-existing": [{"upsertGroup": {"id": g, "name": "Renamed", "isActive": False}}],
        "remove-group": [{"removeGroup": g}],
        "upsert-role": [{"upsertRole": {"id": r, "name": "Role", "permissions": ["read", "write"], "privileged": True}}],
        "remove-role": [{"removeRole": r}],
        "upsert-product": [{"upsertProduct": {"id": p, "name": "Product"}}],
        "remove-product": [{"removeProduct": p}],
        "set-as-of": [{"setAsOf": "2026-01-01T00:00:00Z"}],
        "several": [{"addMember": {"group": g, "user": u}}, {"setGroupActive": {"group": g2, "active": True}}, {"removeMember": {"group": g2, "user": u}}],
        "atomic-last-fails": [{"addMember": {"group": g, "user": u}}, {"removeGroup": "g-unknown"}],
        "unknown-group": [{"addMember": {"group": "g-unknown", "user": u}}],
        "unknown-kind": [{"renameGroup": {"group": g}}],
        "wrong-type": [{"setGroupActive": {"group": g, "active": "no"}}],
        "extra-key": [{"addMember": {"group": g, "user": u, "role": r}}],
        "two-kinds": [{"removeUser": u, "removeGroup": g}],
        "empty": [],
    }
    for name, change_list in changes.items():
        yield name, {"op": "apply", "changes": change_list}
    yield "revision", {"op": "apply", "changes": changes["add-member"], "revision": "r-next"}
    yield "changes-not-list", {"op": "apply", "changes": {"addMember": {"group": g, "user": u}}}


def main():
    if CORPUS.exists():
        for target in ("snapshot", "rule", "query", "apply"):
            shutil.rmtree(CORPUS / target, ignore_errors=True)
    corpora = {t: Corpus(t) for t in ("snapshot", "rule", "query", "apply")}
    for c in corpora.values():
        c.dir.mkdir(parents=True, exist_ok=True)

    files = sorted(VECTORS.glob("*.json"))
    vectors = {f.stem: json.loads(f.read_text()) for f in files}
    tenants = tenant_names()
    tenant_index = {stem: i for i, (_, stem) in enumerate(tenants)}

    rule_texts = []
    for stem, vector in vectors.items():
        snapshot = vector.get("snapshot")
        if snapshot is not None:
            corpora["snapshot"].add(stem, compact(snapshot))
        for rule in rules_in(snapshot):
            corpora["rule"].add(stem + "-snapshot", rule if isinstance(rule, str) else compact(rule))
        for case in vector.get("cases", []):
            request = case.get("request")
            for rule in rules_in(request):
                if isinstance(rule, str):
                    rule_texts.append(rule)
                    corpora["rule"].add(stem, rule)
                else:
                    corpora["rule"].add(stem + "-ast", compact(rule))
            if stem in tenant_index:
                sel = selector(tenant_index[stem], len(tenants))
            elif stem == "requests":
                sel = selector(0, len(tenants))
            else:
                continue
            if isinstance(request, dict) and request.get("op") == "load":
                continue
            corpora["query"].add(f"{stem}-{case.get('name', '')}", sel + compact(request).encode())

    rule_texts = [t for t in rule_texts if len(t) < 200] or ["department = Sales"]
    for i, (name, stem) in enumerate(tenants):
        snapshot = vectors[stem]["snapshot"]
        requests = list(apply_requests(snapshot, rule_texts))
        if stem not in FULL_APPLY_SEEDS:
            requests = [r for r in requests if r[0] in ("several", "set-rule", "atomic-last-fails")]
        for change_name, request in requests:
            corpora["apply"].add(f"{name}-{change_name}", b"!" + selector(i, len(tenants)) + compact(request).encode())
        for change_name, request in list(apply_requests(snapshot, rule_texts))[:3]:
            corpora["apply"].add(f"{name}-strict-{change_name}", b"!" + selector(i, len(tenants), strict=True) + compact(request).encode())

    total = 0
    for target, c in corpora.items():
        size = sum(p.stat().st_size for p in c.dir.iterdir())
        total += size
        print(f"{target}: {c.count} seeds, {size} bytes", file=sys.stderr)
    print(f"total: {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
