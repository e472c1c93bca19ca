/** A run's story, step by step: attempts, durations, errors, retries, sleeps, waits and the response. */
import type { RunDetail, StepDetail, ValueView, WaitDetail } from "../../src/ui/api.js";
import { sendEventForm } from "./actions.js";
import { h, type Child } from "./dom.js";
import { clock, duration, iso, relative } from "./format.js";
import { valueNode } from "./values.js";

interface Entry {
  at: number;
  kind: string;
  tone: "ok" | "wait" | "retry" | "bad" | "plain";
  title: Child[];
  detail?: Child;
  stepId?: string;
}

export function timeline(run: RunDetail): HTMLElement {
  const entries: Entry[] = [
    { at: run.createdAt, kind: "request", tone: "plain", title: [h("span.mono", `${run.request.method} ${pathOf(run.request.url ?? "")}`)] },
    ...run.steps.map((step) => stepEntry(step, run.waits.find((w) => w.stepId === step.id), run.status === "cancelled")),
  ];
  if (run.response) {
    const ok = run.status === "completed";
    entries.push({ at: run.updatedAt, kind: "response", tone: ok ? "ok" : "bad", title: [`${run.status}: responded `, h("strong", String(run.response.status))] });
  }
  return h(
    "ol.timeline",
    { "data-testid": "timeline" },
    entries.map((e) =>
      h(
        `li.entry.tone-${e.tone}`,
        { "data-kind": e.kind, ...(e.stepId ? { "data-step": e.stepId } : {}) },
        h("span.at", { title: iso(e.at) }, `+${duration(e.at - run.createdAt)}`),
        h(`span.kind.kind-${e.kind}`, e.kind),
        h("div.what", h("div.title", e.title), e.detail ?? null),
      ),
    ),
  );
}

function stepEntry(step: StepDetail, wait: WaitDetail | undefined, cancelled: boolean): Entry {
  const base = { at: step.startedAt, kind: step.kind, stepId: step.id };
  const name = h("strong.mono", step.id);
  // a sleep, a wait or a retry backoff the cancellation cut short: its record stays as it was
  if (cancelled && (step.status === "waiting" || step.status === "retrying")) return { ...base, tone: "plain", title: [name, " cut short: the run was cancelled"] };
  const took = duration(step.updatedAt - step.startedAt);
  const when = (ms: number) => h("span", { title: iso(ms) }, clock(ms), " (", h("span", { "data-rel": ms }, relative(ms)), ")");
  switch (step.kind) {
    case "run": {
      const attempts = `${step.attempts + (step.status === "completed" ? 1 : 0)} attempt${step.attempts + (step.status === "completed" ? 1 : 0) === 1 ? "" : "s"}`;
      if (step.status === "completed") return { ...base, tone: "ok", title: [name, ` completed · ${attempts} · ${took}`], detail: value(step.result) };
      // reset by a retry of the failed run (no time of its own): it runs again when the run is picked up
      if (step.status === "retrying" && step.wakeAt === null) {
        return { ...base, tone: "retry", title: [name, " failed; the run was retried: it runs again, with a fresh attempt budget, when a process picks the run up"], detail: value(step.error) };
      }
      if (step.status === "retrying") {
        return {
          ...base,
          tone: "retry",
          title: [name, ` failed attempt ${step.attempts} · retry at `, step.wakeAt !== null ? when(step.wakeAt) : "—"],
          detail: value(step.error),
        };
      }
      return { ...base, tone: "bad", title: [name, ` failed after ${attempts} · ${took}`], detail: value(step.error) };
    }
    case "sleep":
    case "sleepUntil":
      if (step.status === "waiting") return { ...base, tone: "wait", title: [name, " sleeping until ", step.wakeAt !== null ? when(step.wakeAt) : "—"] };
      return { ...base, tone: "ok", title: [name, " slept until ", step.wakeAt !== null ? h("span", { title: iso(step.wakeAt) }, clock(step.wakeAt)) : `${took} later`] };
    case "waitForEvent":
      if (step.status === "waiting") {
        const title = [name, " waiting for ", wait ? h("strong.mono", wait.event) : "an event", ", until ", step.wakeAt !== null ? when(step.wakeAt) : "—"];
        return { ...base, tone: "wait", title, detail: wait ? waitDetail(wait) : null };
      }
      if (step.result?.t === "null") return { ...base, tone: "retry", title: [name, ` timed out after ${took}: no event came`] };
      return { ...base, tone: "ok", title: [name, ` resolved by an event after ${took}`], detail: value(step.result) };
  }
}

function waitDetail(wait: WaitDetail): HTMLElement {
  return h(
    "div.wait",
    wait.match ? h("div", "match ", h("span.mono", wait.match), wait.matchValue ? [" = ", valueNode(wait.matchValue)] : " (missing from this run's trigger)") : null,
    wait.expr ? h("div", "if ", h("span.mono", wait.expr)) : null,
    sendEventForm(wait),
  );
}

const value = (view: ValueView | undefined): Child => (view ? h("div.value", valueNode(view)) : null);

function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}
