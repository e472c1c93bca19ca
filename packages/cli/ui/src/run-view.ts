/** One run, live: header, timeline, state and captured locals, source, request and response. */
import type { Message, RunDetail } from "../../src/ui/api.js";
import { cancelControl, retryButton, wakeButton } from "./actions.js";
import { fill, h, type Child } from "./dom.js";
import { clock, iso, relative } from "./format.js";
import { subscribe } from "./live.js";
import { revealCurrent, sourceView } from "./source-view.js";
import { timeline } from "./timeline.js";
import { valueNode } from "./values.js";

export function showRun(app: HTMLElement, runId: string): () => void {
  const head = h("div.run-head");
  // kept across updates of the head: a half-typed reason, and what the last action did, stay
  const actions = h("div.run-actions");
  const outcome = h("span.outcome", { "data-testid": "action-outcome" });
  const say = (text: string) => (outcome.textContent = text);
  const story = card("Timeline");
  const response = card("Response");
  const request = card("Request");
  const state = card("State");
  const source = card("Source");
  const trigger = card("Trigger data");
  fill(
    app,
    h(
      "section.run",
      { "data-testid": "run" },
      h("a.back", { href: "/", "data-nav": true }, "← all runs"),
      head,
      h("div.run-grid", h("div.col", story, response, request), h("div.col", state, source, trigger)),
    ),
  );
  // A section is rebuilt only when what it shows changed: a half-typed event survives unrelated updates.
  const shown = new Map<string, string>();
  const update = (section: string, key: unknown, render: () => void) => {
    const text = JSON.stringify(key);
    if (shown.get(section) === text) return;
    shown.set(section, text);
    render();
  };

  const render = (run: RunDetail) => {
    document.title = `${run.status} · ${run.id} · Durable Endpoints`;
    update("actions", [run.canWake, run.canCancel, run.canRetry], () =>
      fill(actions, run.canWake ? wakeButton(run.id, say) : null, run.canCancel ? cancelControl(run.id, say) : null, run.canRetry ? retryButton(run, say) : null),
    );
    update("head", [run.status, run.updatedAt, run.wakeAt, run.due, run.lease, run.stepsDone, run.concurrency], () => fill(
      head,
      h("div.run-title", h(`span.badge.status-${run.status}`, { "data-testid": "run-status" }, run.status), h("h2.mono", run.id), actions, outcome),
      h(
        "dl.facts",
        fact("endpoint", h("span.mono", run.endpoint)),
        fact("version", run.version ?? "uncompiled (replay mode)"),
        fact("started", h("span", { title: iso(run.createdAt) }, clock(run.createdAt))),
        fact("updated", h("span", { title: iso(run.updatedAt), "data-rel": run.updatedAt }, relative(run.updatedAt))),
        run.status === "waiting" && run.wakeAt !== null ? fact("wakes", h("span", { title: iso(run.wakeAt), "data-rel": run.wakeAt }, relative(run.wakeAt))) : null,
        run.due ? fact("next", h("span.warn", { "data-testid": "due" }, dueNote(run))) : null,
        run.concurrency ? fact("limit", `${run.concurrency.limit} at once for key ${JSON.stringify(run.concurrency.key)}`) : null,
        fact("checkpoints", run.stepsDone),
        run.idempotencyKey ? fact("Idempotency-Key", h("span.mono", run.idempotencyKey)) : null,
        run.lease && run.lease.expiresAt !== null && run.lease.expiresAt > Date.now() ? fact("executing in", h("span.mono", run.lease.owner)) : null,
      ),
    ));
    update("timeline", [run.steps, run.waits, run.response?.status, run.status], () => body(story, timeline(run)));
    update("response", run.response, () => body(response, run.response ? message(run.response) : h("p.muted", "not finished yet")));
    update("request", run.request, () => body(request, message(run.request)));
    update("state", [run.state, run.locals, run.status, run.source], () => body(state, stateView(run)));
    update("trigger", run.trigger, () => body(trigger, h("div.value", valueNode(run.trigger))));
    update("source", [run.source, run.state, run.steps.map((s) => [s.id, s.status])], () => {
      if ("unavailable" in run.source) return body(source, h("p.muted", { "data-testid": "source-unavailable" }, run.source.unavailable));
      const header = h("p.muted.small", h("span.mono", run.source.file), run.source.stale ? h("span.warn", ` · changed since this run started (now version ${run.source.version}): lines may not match`) : null);
      body(source, header, sourceView(run.source, run));
      revealCurrent(source);
    });
  };

  return subscribe(`/api/runs/${encodeURIComponent(runId)}/live`, {
    run: (data) => {
      if ("missing" in (data as object)) fill(app, h("p.empty", { "data-testid": "run-missing" }, `No run ${runId} in this store.`), h("a", { href: "/", "data-nav": true }, "← all runs"));
      else render(data as RunDetail);
    },
  });
}

function card(title: string): HTMLElement {
  return h("section.card", { "data-card": title.toLowerCase().replace(/ /g, "-") }, h("h3", title), h("div.card-body"));
}

function body(card: HTMLElement, ...children: Child[]): void {
  fill(card.querySelector(".card-body")!, ...children);
}

const fact = (name: string, value: Child) => h("div", h("dt", name), h("dd", value));

/** Why a due run is not executing: no process picked it up yet, or (under a concurrency limit) maybe no slot is free. */
const dueNote = (run: RunDetail) =>
  run.concurrency
    ? `due now: queued for one of its key's ${run.concurrency.limit} concurrency slot${run.concurrency.limit === 1 ? "" : "s"}, or waiting for a process serving ${run.endpoint} to pick it up`
    : `due now: waits for a process serving ${run.endpoint} to pick it up`;

function stateView(run: RunDetail): HTMLElement {
  const finished = run.status !== "running" && run.status !== "waiting";
  const source = "unavailable" in run.source ? null : run.source;
  const awaits = source?.states[run.state]?.steps ?? [];
  return h(
    "div",
    h(
      "p",
      finished ? "Last checkpoint at state " : "Resumes at state ",
      h("strong", { "data-testid": "state" }, String(run.state)),
      awaits.length ? [" — ", ...awaits.map((s) => h("span.mono", `${s.kind} "${s.id}" (line ${s.line}) `))] : null,
    ),
    run.locals.length
      ? h(
          "table.locals",
          { "data-testid": "locals" },
          h("tbody", run.locals.map(([name, value]) => h("tr", h("th.mono", name), h("td", valueNode(value))))),
        )
      : h("p.muted", "No captured locals at this state."),
  );
}

function message(m: Message): HTMLElement {
  const line = m.status !== undefined ? `${m.status} ${m.statusText ?? ""}` : `${m.method} ${m.url}`;
  return h(
    "div.message",
    h("p.mono", h("strong", line)),
    m.headers.length ? h("table.headers", h("tbody", m.headers.map(([k, v]) => h("tr", h("th.mono", k), h("td.mono", v))))) : null,
    m.bodyBytes > 0
      ? h("pre.body", { "data-testid": m.status !== undefined ? "response-body" : "request-body" }, prettyBody(m), m.truncated ? h("span.v-note", `\n… ${m.bodyBytes} bytes in all`) : null)
      : h("p.muted.small", "no body"),
  );
}

function prettyBody(m: Message): string {
  const type = m.headers.find(([k]) => k === "content-type")?.[1] ?? "";
  if (!type.includes("json") || m.truncated) return m.body;
  try {
    return JSON.stringify(JSON.parse(m.body), null, 2);
  } catch {
    return m.body;
  }
}
