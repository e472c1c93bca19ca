/** The Run panel: request form, crash/resume/event controls and the two timelines. */
import type { EditorView } from "@codemirror/view";
import { compile, type EndpointView } from "./compile.js";
import { $, h } from "./dom.js";
import { highlightLines } from "./editors.js";
import { instrument } from "./run/instrument.js";
import { RunSession, type Mode, type RequestSpec } from "./run/session.js";
import { renderRunColumn } from "./views/timeline.js";

export interface RunPanel {
  /** the endpoint to run (undefined while the code does not compile) */
  showEndpoint(endpoint: EndpointView | undefined): void;
  /** runs the endpoint in both modes, optionally killing the process after a step */
  start(crashAfter: string | undefined): Promise<void>;
}

export function createRunPanel(source: EditorView, currentEndpoint: () => EndpointView | undefined): RunPanel {
  const crashSelect = $<HTMLSelectElement>("crash");
  const eventData = $<HTMLInputElement>("event-data");
  let sessions: Partial<Record<Mode, RunSession>> = {};
  let frame = 0;

  /**
   * The columns take turns: in a browser the runtime can tell which run an
   * uncompiled handler's `step` belongs to only while one run is executing.
   */
  async function inTurn(action: (session: RunSession) => Promise<void>): Promise<void> {
    for (const session of [sessions.compiled, sessions.replay]) if (session) await action(session);
  }

  async function start(crashAfter: string | undefined): Promise<void> {
    const endpoint = currentEndpoint();
    if (!endpoint) return;
    crashSelect.value = crashAfter ?? "";
    for (const session of Object.values(sessions)) session.dispose();
    const instrumented = instrument(source.state.doc.toString());
    const spec: RequestSpec = {
      method: $<HTMLSelectElement>("method").value,
      query: $<HTMLInputElement>("query").value,
      body: $<HTMLInputElement>("body").value,
    };
    highlightLines(source, "hl-rerun", []);
    // Both modes run the same instrumented module: once through the compiler, once as written.
    sessions = {
      compiled: new RunSession("compiled", compile(instrumented).code, endpoint.name, render),
      replay: new RunSession("replay", instrumented, endpoint.name, render),
    };
    await inTurn((session) => session.start(spec, crashAfter));
  }

  function render(): void {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      renderRunColumn($("run-compiled"), "compiled", sessions.compiled);
      renderRunColumn($("run-replay"), "replay", sessions.replay);
      const all = Object.values(sessions);
      $<HTMLButtonElement>("resume").disabled = !all.some((s) => s.status === "crashed");
      renderEventForm(all);
      const rerun = sessions.replay?.traces.has("B") ? sessions.replay.rerunLines() : [];
      highlightLines(source, "hl-rerun", rerun);
    });
  }

  function renderEventForm(all: RunSession[]): void {
    const waiting = all.find((s) => s.status === "waiting" && s.waitingFor);
    const form = $<HTMLFormElement>("event");
    const wasHidden = form.hidden;
    form.hidden = !waiting;
    if (!waiting || !wasHidden) return;
    $<HTMLInputElement>("event-name").value = waiting.waitingFor!.event;
    eventData.value = JSON.stringify(matchData(waiting.waitingFor!.match));
  }

  $("request").addEventListener("submit", (e) => {
    e.preventDefault();
    void start(crashSelect.value || undefined);
  });
  $("resume").addEventListener("click", () => void inTurn((session) => session.resume()));
  eventData.addEventListener("input", () => eventData.setCustomValidity(""));
  $("event").addEventListener("submit", (e) => {
    e.preventDefault();
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(eventData.value || "{}");
    } catch {
      eventData.setCustomValidity("not valid JSON");
      eventData.reportValidity();
      return;
    }
    const name = $<HTMLInputElement>("event-name").value;
    void inTurn((session) => session.sendEvent({ name, data }));
  });

  render();
  return {
    start,
    showEndpoint(endpoint) {
      const current = crashSelect.value;
      const ids = [...new Set(endpoint?.rows.filter((r) => r.step !== null && r.kind !== "await").map((r) => r.step!) ?? [])];
      crashSelect.replaceChildren(h("option", { value: "" }, "— no crash —"), ...ids.map((id) => h("option", { value: id }, id)));
      crashSelect.value = ids.includes(current) ? current : "";
      $<HTMLButtonElement>("run").disabled = !endpoint;
    },
  };
}

/** Pre-fills the event so it satisfies `match: "data.x"` against this request's trigger data (query + JSON body). */
function matchData(match: string | null): Record<string, unknown> {
  const key = match?.replace(/^data\./, "");
  if (!key) return {};
  const query = new URLSearchParams($<HTMLInputElement>("query").value.replace(/^\?/, ""));
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse($<HTMLInputElement>("body").value || "{}");
  } catch {
    // not JSON: only the query counts
  }
  return { [key]: body[key] ?? query.get(key) };
}
