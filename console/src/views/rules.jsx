// The rule editor: live count and first matches (`previewRule`), suggestions at the cursor
// (`suggest`), the syntax error underlined where it is, and why a picked user matches or not,
// condition by condition (`explain` for a group's saved rule, else a per-node trace).

import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";

import {
  Avatar,
  Badge,
  Card,
  Empty,
  ErrorNote,
  GroupLink,
  Icon,
  GroupPicker,
  Kbd,
  Message,
  Note,
  PageHead,
  Trace,
  UserPicker,
  formatNumber,
  plural,
  useAsync,
  useConsole,
} from "../ui.jsx";
import { charOffset, indexOfChar, indexOfLineColumn } from "../text.js";

const EXAMPLES = [
  "department = Sales AND status = Active",
  "location IN (Paris, London) AND job LIKE Manager",
  "manager REPORTS TO u-raj",
  "MEMBER OF g-eng-all AND NOT location = Berlin",
  "hireDate >= 2024-01-01",
];

/** The unbound editor's text survives navigation. */
let draft = "";

const KIND_LABEL = { field: "field", operator: "op", value: "value", group: "group", user: "user", keyword: "key" };

export function RulesView({ group }) {
  const { client, catalog, summary, stage, epoch } = useConsole();
  const bound = useAsync(() => (group ? client.call("group", { id: group }) : null), [group]);
  const [text, setText] = useState(group ? "" : draft);
  const [cursor, setCursor] = useState(text.length);
  const [seeded, setSeeded] = useState(!group);
  const [live, setLive] = useState({ preview: null, suggest: null, busy: false });
  const [open, setOpen] = useState(false);
  // Opened by the keyboard (Ctrl+Space, ArrowDown): then Enter takes a suggestion; while the list
  // merely follows typing, Enter is a new line and only Tab takes one.
  const [byKeyboard, setByKeyboard] = useState(false);
  const [active, setActive] = useState(0);
  const [target, setTarget] = useState(group ?? "");
  const [picked, setPicked] = useState(null);
  const areaRef = useRef();
  const anchorRef = useRef();
  const popupRef = useRef();
  const [popupAt, setPopupAt] = useState({ left: 0, top: 0 });

  // A group's editor starts from its saved rule.
  useEffect(() => {
    if (!seeded && bound.data) {
      const initial = bound.data.ruleText ?? "";
      setText(initial);
      setCursor(initial.length);
      setSeeded(true);
    }
  }, [bound.data, seeded]);

  useEffect(() => {
    if (!group) draft = text;
  }, [text, group]);

  // Every keystroke: the preview and the suggestions, in one round trip to the worker.
  useEffect(() => {
    if (!seeded) return;
    let stale = false;
    const timer = setTimeout(async () => {
      const requests = [];
      const trimmed = text.trim();
      if (trimmed) requests.push({ op: "previewRule", rule: text, limit: 20 });
      requests.push({ op: "suggest", text, cursor: charOffset(text, cursor), limit: 12 });
      setLive((l) => ({ ...l, busy: true }));
      const answers = await client.batch(requests);
      if (stale) return;
      const preview = trimmed ? answers[0] : null;
      const suggest = answers[answers.length - 1];
      setLive({ preview, suggest, busy: false, text, cursor });
      setActive(0);
    }, 40);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [text, cursor, seeded, epoch]);

  // Everything below describes the text the last answers were about (`live.text`), so the status
  // changes once per answer, never between a keystroke and its answer. An empty rule is no error.
  const liveText = live.text ?? "";
  const error = !liveText.trim() ? null : (live.preview?.error ?? (live.suggest && !live.suggest.error ? live.suggest.diagnostic : null));
  const warnings = live.preview && !live.preview.error ? (live.preview.warnings ?? []) : [];
  const items = live.suggest && !live.suggest.error ? live.suggest.items : [];
  const range = live.suggest && !live.suggest.error ? live.suggest : null;
  // The suggestions describe this text at this cursor; a keystroke ahead of them makes them stale.
  const fresh = live.text === text && live.cursor === cursor;
  const acceptWhenFresh = useRef(false);
  const showPopup = open && items.length > 0 && document.activeElement === areaRef.current;

  // Where the error is underlined, and where the suggestions attach. A rule that merely stops
  // short where the cursor is, is being typed: it is not underlined yet.
  const errorRange = errorSpan(liveText, error);
  const typedEnd = liveText.trimEnd().length;
  const incomplete = Boolean(errorRange) && errorRange.start >= typedEnd && (live.cursor ?? 0) >= typedEnd;
  const anchor = range ? indexOfChar(text, range.from) : cursor;

  // The list opens under the cursor but never past the editor's right edge, so it does not
  // reach over the match count beside the editor.
  useLayoutEffect(() => {
    const mark = anchorRef.current;
    if (!mark) return;
    const room = (areaRef.current?.clientWidth ?? 0) - (popupRef.current?.offsetWidth ?? 300) - 16;
    const left = Math.max(0, Math.min(mark.offsetLeft, room));
    const top = mark.offsetTop + mark.offsetHeight + 4;
    setPopupAt((at) => (at.left === left && at.top === top ? at : { left, top }));
  }, [text, anchor, showPopup, items.length]);

  const accept = (item) => {
    const from = range ? indexOfChar(text, range.from) : cursor;
    const to = range ? indexOfChar(text, range.to) : cursor;
    const after = text.slice(to);
    // A space follows the insert, except where one is there already or a list goes on or closes.
    const spacer = /^[\s),]/.test(after) || item.insert.endsWith(" ") ? "" : " ";
    const next = text.slice(0, from) + item.insert + spacer + after;
    const position = from + item.insert.length + spacer.length;
    setText(next);
    setCursor(position);
    setOpen(true);
    requestAnimationFrame(() => {
      const area = areaRef.current;
      if (area) {
        area.focus();
        area.setSelectionRange(position, position);
      }
    });
  };

  const onKeyDown = (event) => {
    if (event.key === " " && event.ctrlKey) {
      event.preventDefault();
      setOpen(true);
      setByKeyboard(true);
      return;
    }
    if (!showPopup && event.key === "ArrowDown" && items.length && !text.slice(cursor).includes("\n")) {
      event.preventDefault();
      setOpen(true);
      setByKeyboard(true);
      return;
    }
    if (showPopup) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (byKeyboard) setActive((i) => (i + 1) % items.length);
        setByKeyboard(true);
        return;
      }
      if (event.key === "ArrowUp") {
        event.preventDefault();
        setActive((i) => (i - 1 + items.length) % items.length);
        setByKeyboard(true);
        return;
      }
      if (event.key === "Enter" && !byKeyboard && !event.ctrlKey && !event.metaKey) {
        // A new line: the list was only following the typing.
        setOpen(false);
        return;
      }
      if ((event.key === "Enter" || event.key === "Tab") && items[active]) {
        event.preventDefault();
        // Typed ahead of the list: take the first suggestion for what is typed, once it is known.
        if (fresh) accept(items[active]);
        else acceptWhenFresh.current = true;
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        setOpen(false);
        return;
      }
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      stageRule();
    }
  };

  useEffect(() => {
    if (fresh && acceptWhenFresh.current) {
      acceptWhenFresh.current = false;
      if (items[0]) accept(items[0]);
    }
  }, [fresh, live]);

  const targetGroup = catalog?.groups.find((g) => g.id === target) ?? null;
  const unchanged = bound.data && target === group && normalize(text) === normalize(bound.data.ruleText ?? "");
  const canStage = targetGroup && text.trim() && !error && !unchanged;
  const stageRule = () => {
    if (!canStage) return;
    stage({ setRule: { group: targetGroup.id, rule: text.trim() } }, `Set the rule of ${targetGroup.name} to ${text.trim()}`);
  };

  const current = live.preview && !live.preview.error ? live.preview : null;
  const [lastGood, setLastGood] = useState(null);
  useEffect(() => {
    if (current) setLastGood(current);
    else if (!text.trim()) setLastGood(null);
  }, [current, text]);
  const preview = current ?? (error ? lastGood : null);
  const stale = !current && preview !== null;
  const total = summary?.counts.users ?? 0;

  return (
    <div class="page" data-testid="rules-view">
      <PageHead
        crumbs={
          group ? (
            <>
              <a href="#/groups">Groups</a>
              <Icon name="right" size={12} />
              <GroupLink id={group} name={bound.data?.name} />
            </>
          ) : null
        }
        title={group ? `Rule of ${bound.data?.name ?? group}` : "Rule editor"}
        subtitle="Type a rule over user attributes: the count and the first matches follow every keystroke."
      />
      <div class="rules-grid">
        <div class="rules-main">
          <Card pad={false} class="editor-card">
            <div class="editor" onMouseDown={() => setOpen(false)}>
              <div class="editor-field">
                <pre class="editor-mirror" aria-hidden="true">
                  {mirror(text, incomplete || liveText !== text ? null : errorRange, anchor, anchorRef)}
                </pre>
                <textarea
                  ref={areaRef}
                  class="editor-input"
                  value={text}
                  spellcheck={false}
                  autocomplete="off"
                  autocapitalize="off"
                  aria-label="Rule"
                  aria-invalid={error ? "true" : "false"}
                  aria-describedby="rule-status"
                  placeholder="department = Sales AND location IN (Paris, London)"
                  data-testid="rule-input"
                  data-search
                  onInput={(event) => {
                    setText(event.currentTarget.value);
                    setCursor(event.currentTarget.selectionStart);
                    setOpen(true);
                    setByKeyboard(false);
                  }}
                  onKeyDown={onKeyDown}
                  onKeyUp={(event) => {
                    if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) setCursor(event.currentTarget.selectionStart);
                  }}
                  onClick={(event) => setCursor(event.currentTarget.selectionStart)}
                  // Closed a moment after the editor loses focus (a click on a suggestion
                  // lands first), unless the focus came back meanwhile.
                  onBlur={() => setTimeout(() => document.activeElement !== areaRef.current && setOpen(false), 150)}
                />
                {showPopup ? (
                  <ul ref={popupRef} class="suggest" role="listbox" aria-label="Suggestions" style={{ left: `${popupAt.left}px`, top: `${popupAt.top}px` }} data-testid="suggestions" data-fresh={fresh}>
                    {items.map((item, i) => (
                      <li
                        role="option"
                        aria-selected={i === active}
                        class={i === active ? "active" : ""}
                        onMouseDown={(event) => {
                          event.preventDefault();
                          event.stopPropagation();
                          accept(item);
                        }}
                        onMouseEnter={() => setActive(i)}
                        data-kind={item.kind}
                      >
                        <span class={`kind kind-${item.kind}`}>{KIND_LABEL[item.kind] ?? item.kind}</span>
                        <span class="suggest-label">{item.label}</span>
                        {item.detail ? <span class="suggest-detail">{item.detail}</span> : null}
                        {item.count !== null && item.count !== undefined ? <span class="suggest-count">{formatNumber(item.count)}</span> : null}
                      </li>
                    ))}
                  </ul>
                ) : null}
              </div>
            </div>
            <div class={`editor-status ${incomplete ? "pending" : error ? "bad" : liveText.trim() ? "good" : ""}`} id="rule-status" data-testid="rule-status">
              <span class="status-main">
                {error ? (
                  <>
                    <Icon name={incomplete ? "dot" : "cross"} size={14} />
                    <span>
                      {error.line ? (
                        <strong>
                          Line {error.line}, column {error.column}:{" "}
                        </strong>
                      ) : null}
                      {error.expected?.length ? <>expected {listText(error.expected)}</> : <Message text={error.message} />}
                    </span>
                    <code class="status-code">{error.code}</code>
                  </>
                ) : liveText.trim() ? (
                  <>
                    <Icon name="check" size={14} />
                    <span>Valid rule</span>
                  </>
                ) : (
                  <span class="muted">Start with a field, MEMBER OF, NOT or a parenthesis.</span>
                )}
              </span>
              <span class="keys-hint">
                <Kbd>Tab</Kbd> accept · <Kbd>Ctrl</Kbd>+<Kbd>Space</Kbd> suggest
              </span>
            </div>
            {warnings.length ? (
              <ul class="rule-warnings" data-testid="rule-warnings">
                {warnings.map((warning) => (
                  <li>
                    <Icon name="lint" size={14} />
                    <span>
                      {warning.code === "unknown-field" ? (
                        <>
                          No user has a field <code>{warning.field}</code>
                          {warning.suggestion ? (
                            <>
                              : did you mean <code>{warning.suggestion}</code>?
                            </>
                          ) : (
                            "; the condition holds for nobody."
                          )}
                        </>
                      ) : (
                        <Message text={warning.message} />
                      )}
                    </span>
                    {warning.suggestion ? (
                      <button
                        type="button"
                        class="btn btn-small"
                        onClick={() => {
                          const next = replaceField(text, warning.field, warning.suggestion);
                          setText(next);
                          setCursor(next.length);
                          areaRef.current?.focus();
                        }}
                      >
                        Use {warning.suggestion}
                      </button>
                    ) : null}
                  </li>
                ))}
              </ul>
            ) : null}
          </Card>
          {!text.trim() ? (
            <Card title="Examples" subtitle="Start from one of these">
              <div class="chips chips-wrap">
                {EXAMPLES.map((example) => (
                  <button type="button" class="chip chip-button" onClick={() => { setText(example); setCursor(example.length); areaRef.current?.focus(); }}>
                    <code>{example}</code>
                  </button>
                ))}
              </div>
            </Card>
          ) : null}
          <Card title="Use this rule" subtitle="Staged changes are applied together from Pending changes, after you have seen their impact.">
            <div class="row">
              {targetGroup ? (
                <span class="chip chip-target" data-testid="rule-target">
                  {targetGroup.name}
                  <button type="button" class="chip-remove" onClick={() => setTarget("")} aria-label="Choose another group" title="Choose another group">
                    <Icon name="close" size={12} />
                  </button>
                </span>
              ) : (
                <GroupPicker onPick={(g) => setTarget(g.id)} testid="rule-target-picker" />
              )}
              <button type="button" class="btn btn-primary" disabled={!canStage} onClick={stageRule} data-testid="stage-rule">
                Stage as its rule
              </button>
              <span class="muted small">
                <Kbd>Ctrl</Kbd>+<Kbd>Enter</Kbd>
              </span>
            </div>
            {unchanged ? <p class="muted small">This is the group's current rule.</p> : null}
          </Card>
        </div>
        <div class="rules-side">
          <Card
            title="Matches"
            actions={live.busy ? <span class="spinner spinner-small" /> : null}
            class={`matches-card ${stale ? "stale" : ""}`}
          >
            {preview ? (
              <div class="big-count" data-testid="rule-count">
                <span class="big-number">{formatNumber(preview.count)}</span>
                <span class="muted">of {plural(total, "user")}</span>
              </div>
            ) : (
              <p class="muted" data-testid="rule-count">
                {incomplete ? "Finish the rule to see who it matches." : error ? "Fix the rule to see who it matches." : "Type a rule to see who it matches."}
              </p>
            )}
            {stale ? <p class="muted small stale-note">As of the last valid rule</p> : null}
            {preview && total ? (
              <div class="meter" aria-hidden="true">
                <span style={{ width: `${Math.min(100, (100 * preview.count) / total)}%` }} />
              </div>
            ) : null}
            {preview ? (
              preview.users.length ? (
                <ul class="match-list" data-testid="rule-matches">
                  {preview.users.map((user) => (
                    <li>
                      <button type="button" class={`match ${picked?.user === user.user ? "on" : ""}`} onClick={() => setPicked(user)} title="Why does this user match?">
                        <Avatar id={user.user} name={user.name} size={24} />
                        <span class="match-name">{user.name ?? user.user}</span>
                        <span class="muted small">{user.user}</span>
                      </button>
                    </li>
                  ))}
                  {preview.count > preview.users.length ? <li class="muted small more-line">and {formatNumber(preview.count - preview.users.length)} more</li> : null}
                </ul>
              ) : (
                <Empty icon="user" title="Nobody matches">A group with this rule would have no dynamic members.</Empty>
              )
            ) : null}
          </Card>
          <WhyCard text={text} error={error} group={group} bound={bound.data} picked={picked} setPicked={setPicked} />
        </div>
      </div>
    </div>
  );
}

function WhyCard({ text, error, group, bound, picked, setPicked }) {
  const { client } = useConsole();
  const saved = bound && normalize(text) === normalize(bound.ruleText ?? "");
  const { data, loading } = useAsync(async () => {
    if (!picked || !text.trim() || error) return null;
    if (saved) {
      const answer = await client.query({ op: "explain", user: picked.user, group });
      return answer.error ? answer : { ...answer.rule, source: "explain" };
    }
    return { ...(await client.call("traceRule", { rule: text, user: picked.user })), source: "trace" };
  }, [picked?.user, text, error ? 1 : 0, saved]);
  return (
    <Card title="Why?" subtitle="Pick a user to see each condition hold or fail for them">
      <UserPicker onPick={setPicked} testid="why-picker" />
      {picked ? (
        <div class="explain" data-testid="why-result">
          {error ? (
            <p class="muted small">Fix the rule first.</p>
          ) : !text.trim() ? (
            <p class="muted small">Type a rule first.</p>
          ) : data?.error ? (
            <ErrorNote error={data.error} />
          ) : data?.trace ? (
            <>
              <p class="explain-verdict">
                <span class={`verdict ${data.matched ? "yes" : "no"}`}>
                  <Icon name={data.matched ? "check" : "cross"} size={14} />
                </span>
                <strong>{picked.name ?? picked.user}</strong>&nbsp;{data.matched ? "matches" : "does not match"}
                <Badge tone="outline" title={data.source === "explain" ? "The engine's explain trace of the group's saved rule" : "Each node evaluated by the engine for this user"}>
                  {data.source === "explain" ? "explain" : "traced"}
                </Badge>
              </p>
              <Trace node={data.trace} />
            </>
          ) : loading ? (
            <p class="muted small">Tracing…</p>
          ) : null}
        </div>
      ) : null}
    </Card>
  );
}

/** `text` with every condition on `field` put on `replacement` instead (whole words only). */
function replaceField(text, field, replacement) {
  const escaped = field.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return text.replace(new RegExp(`(?<![\\p{L}\\p{N}_\\-.@:])${escaped}(?![\\p{L}\\p{N}_\\-.@:])`, "gu"), replacement);
}

function normalize(text) {
  return text.trim().replace(/\s+/g, " ");
}

function listText(items) {
  const shown = items.map((item) => (/^[a-z ]+$/.test(item) ? item : `“${item}”`));
  if (shown.length <= 1) return shown.join("");
  return `${shown.slice(0, -1).join(", ")} or ${shown[shown.length - 1]}`;
}

/** The UTF-16 range to underline for a rule error: from its column to the end of that token. */
function errorSpan(text, error) {
  if (!error || !error.line) return null;
  const start = indexOfLineColumn(text, error.line, error.column);
  let end = start;
  while (end < text.length && !/\s/.test(text[end])) end++;
  return { start, end };
}

/** The mirror behind the textarea: the same text, coloured, with the error underlined and an anchor. */
function mirror(text, errorRange, anchor, anchorRef) {
  const tokens = highlight(text);
  const cuts = new Set([0, text.length, anchor]);
  for (const token of tokens) cuts.add(token.start);
  if (errorRange) {
    cuts.add(errorRange.start);
    cuts.add(errorRange.end);
  }
  const points = [...cuts].filter((p) => p >= 0 && p <= text.length).sort((a, b) => a - b);
  const out = [];
  let t = 0;
  for (let i = 0; i < points.length; i++) {
    const at = points[i];
    if (at === anchor) out.push(<span ref={anchorRef} class="anchor" />);
    if (errorRange && at === errorRange.start && errorRange.start === errorRange.end) {
      out.push(
        <span class="squiggle squiggle-empty" data-testid="rule-error-mark">
          {"\u00a0"}
        </span>,
      );
    }
    const next = points[i + 1];
    if (next === undefined) break;
    while (t < tokens.length - 1 && tokens[t].end <= at) t++;
    const kind = tokens[t] && tokens[t].start <= at && at < tokens[t].end ? tokens[t].kind : null;
    const inError = errorRange && errorRange.start !== errorRange.end && at >= errorRange.start && next <= errorRange.end;
    const classes = [kind ? `tok-${kind}` : "", inError ? "squiggle" : ""].filter(Boolean).join(" ");
    const piece = text.slice(at, next);
    out.push(classes ? <span class={classes} data-testid={inError ? "rule-error-mark" : undefined}>{piece}</span> : piece);
  }
  out.push("\n");
  return out;
}

const KEYWORDS = new Set(["AND", "OR", "NOT", "LIKE", "IN", "STARTS", "ENDS", "WITH", "EXISTS", "REPORTS", "TO", "MEMBER", "OF", "TRUE", "FALSE"]);
const OPERATOR_WORDS = new Set(["LIKE", "IN", "NOT", "STARTS", "ENDS", "EXISTS", "REPORTS"]);
const LEXER = /(\s+)|("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?)|(!=|<=|>=|=|<|>)|([(),])|([\p{L}\p{N}_\-.@:]+)|(.)/suy;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Tokens of rule text for colouring: keyword, field, value, number, string, op, punct. */
function highlight(text) {
  const raw = [];
  LEXER.lastIndex = 0;
  let match;
  while (LEXER.lastIndex < text.length && (match = LEXER.exec(text))) {
    const [whole, space, string, op, punct, word] = match;
    const start = match.index;
    const end = start + whole.length;
    if (space) continue;
    if (string) raw.push({ start, end, kind: "string" });
    else if (op) raw.push({ start, end, kind: "op" });
    else if (punct) raw.push({ start, end, kind: "punct" });
    else if (word) raw.push({ start, end, kind: KEYWORDS.has(word.toUpperCase()) ? "keyword" : NUMBER.test(word) ? "number" : "word", upper: word.toUpperCase() });
    else raw.push({ start, end, kind: "punct" });
  }
  // A word or string followed by an operator is a field; other words are values.
  return raw.map((token, i) => {
    if (token.kind !== "word" && token.kind !== "string") return token;
    const next = raw[i + 1];
    const field = next && (next.kind === "op" || (next.kind === "keyword" && OPERATOR_WORDS.has(next.upper)));
    return { ...token, kind: field ? "field" : token.kind === "string" ? "string" : "value" };
  });
}
