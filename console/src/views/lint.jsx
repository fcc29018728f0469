// Lint: the tenant's group hygiene findings (`lint`), one section per kind, each finding
// linking to its group.

import { useState } from "preact/hooks";

import { Card, Empty, ErrorNote, Icon, Message, PageHead, Segmented, Spinner, formatNumber, plural, useAsync, useConsole } from "../ui.jsx";

/** What each finding means, for an admin deciding what to fix first. */
const KINDS = {
  "broad-privileged-role": ["Broad privileged role", "A privileged role goes to over half of the tenant."],
  "empty-group-with-roles": ["Grants to nobody", "The group hands out roles or products but has no members."],
  "rule-matches-nobody": ["Rule matches nobody", "The dynamic rule selects no one: a typo in a value, perhaps."],
  "rule-matches-everyone": ["Rule matches everyone", "The dynamic rule selects every user."],
  "includes-inactive": ["Includes an inactive group", "An inactive group feeds no members to the groups that include it."],
  "duplicate-name": ["Duplicate name", "Names that read the same once accents, case and copy markers are set aside."],
  "vague-name": ["Vague name", "Names such as “New Group” or “Test” say nothing about who is inside."],
  "huge-group": ["Huge group", "Over 1,000 members."],
  "tiny-group": ["Tiny group", "One or two members: maybe a role given directly would do."],
  "missing-translation": ["Missing translation", "Other groups are named in a locale this one lacks."],
  "invalid-rule": ["Invalid rule", "The rule cannot be read: the group has no dynamic members until it is fixed."],
  "member-of-cycle": ["Rule depends on itself", "A MEMBER OF condition leads back to its own group: it matches nobody."],
  "missing-as-of": ["Time window without a date", "A membership has start or end dates, but the snapshot has no asOf: it is not in effect."],
  "dangling-reference": ["Unknown reference", "The snapshot names a user, group, role, product or module it does not define: it counts as absent."],
  "include-cycle": ["Groups include each other", "Included groups lead back to the group itself."],
  "invalid-value": ["Invalid value", "A value of the wrong kind (an unknown orgRole, a malformed slug or timestamp) is ignored."],
};

/** A section's title: in words, never the raw code. */
function title(code) {
  return KINDS[code]?.[0] ?? code.replace(/-/g, " ").replace(/^./, (c) => c.toUpperCase());
}

const SHOWN = 6;

export function LintView() {
  const { client, lintAnswer, summary } = useConsole();
  const [severity, setSeverity] = useState("all");
  const [focus, setFocus] = useState(null);
  const [expanded, setExpanded] = useState(() => new Set());
  const { data, error, loading } = useAsync(async () => {
    const answer = await lintAnswer();
    if (answer.error) throw answer.error;
    const groups = [...new Set(answer.findings.map((f) => f.group).filter(Boolean))];
    const names = await client.call("names", { groups });
    return { findings: answer.findings, names: names.groups };
  }, []);
  if (error) {
    return (
      <div class="page">
        <ErrorNote error={error} title="Lint failed" />
      </div>
    );
  }
  const findings = data?.findings ?? [];
  const errors = findings.filter((f) => f.severity === "error").length;

  // One section per code: errors first, then the rarest findings (the most specific) first.
  const sections = new Map();
  for (const finding of findings) {
    if (!sections.has(finding.code)) sections.set(finding.code, []);
    sections.get(finding.code).push(finding);
  }
  const ordered = [...sections.entries()].sort(
    ([codeA, a], [codeB, b]) =>
      rank(a) - rank(b) || a.length - b.length || (codeA < codeB ? -1 : 1),
  );
  const visible = ordered
    .filter(([code]) => focus === null || code === focus)
    .map(([code, list]) => [code, list.filter((f) => severity === "all" || f.severity === severity)])
    .filter(([, list]) => list.length);

  return (
    <div class="page" data-testid="lint-view">
      <PageHead
        title="Lint"
        subtitle="Hygiene findings: groups that grant to nobody, vague or duplicate names, rules that match nobody or everyone, and every load diagnostic."
        actions={
          findings.length ? (
            <Segmented
              label="Severity"
              value={severity}
              onChange={setSeverity}
              options={[
                { value: "all", label: "All", count: findings.length },
                { value: "error", label: "Errors", count: errors },
                { value: "warning", label: "Warnings", count: findings.length - errors },
              ]}
            />
          ) : null
        }
      />
      {loading && !data ? (
        <Card>
          <p class="row muted">
            <Spinner /> Looking at {plural(summary?.counts.groups ?? 0, "group")}…
          </p>
        </Card>
      ) : null}
      {data && !findings.length ? (
        <Card>
          <Empty icon="check" title="Nothing to tidy">
            Every group has members, a clear name and a rule that selects someone.
          </Empty>
        </Card>
      ) : null}
      {findings.length ? (
        <div class="lint-summary">
          {ordered.map(([code, list]) => (
            <button
              type="button"
              class={`stat ${focus === code ? "on" : ""}`}
              onClick={() => setFocus(focus === code ? null : code)}
              data-code={code}
              aria-pressed={focus === code}
            >
              <span class={`stat-number ${list.some((f) => f.severity === "error") ? "bad" : ""}`}>{formatNumber(list.length)}</span>
              <span class="stat-label">{title(code)}</span>
            </button>
          ))}
        </div>
      ) : null}
      <div class="lint-sections" data-testid="lint-findings">
        {visible.map(([code, list]) => {
          const open = expanded.has(code) || focus === code;
          const shown = open ? list : list.slice(0, SHOWN);
          return (
            <Card
              pad={false}
              title={title(code)}
              subtitle={`${plural(list.length, list.every((f) => f.group) ? "group" : "finding")} · ${KINDS[code]?.[1] ?? "A load diagnostic."}`}
            >
              <ul class="findings">
                {shown.map((finding) => (
                  <li class={`finding finding-${finding.severity}`}>
                    <span class={`finding-icon ${finding.severity}`}>
                      <Icon name={finding.severity === "error" ? "cross" : "lint"} size={14} />
                    </span>
                    <p class="finding-text">
                      <Message text={finding.message} />
                    </p>
                    {finding.group ? (
                      <a class="btn btn-small finding-link" href={`#/groups/${encodeURIComponent(finding.group)}`} data-group={finding.group}>
                        {data.names[finding.group] ?? finding.group}
                        <Icon name="arrow" size={14} />
                      </a>
                    ) : null}
                  </li>
                ))}
              </ul>
              {list.length > shown.length ? (
                <div class="findings-more">
                  <button type="button" class="btn btn-small btn-quiet" onClick={() => setExpanded((set) => new Set([...set, code]))}>
                    Show {formatNumber(list.length - shown.length)} more
                  </button>
                </div>
              ) : null}
            </Card>
          );
        })}
      </div>
    </div>
  );
}

function rank(list) {
  return list.some((f) => f.severity === "error") ? 0 : 1;
}
