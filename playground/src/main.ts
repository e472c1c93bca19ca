/** Wires the playground together: editor → compiler → views, and the Run panel. */
import "./style.css";
import { compile, type Compiled, type EndpointView } from "./compile.js";
import { $, h } from "./dom.js";
import { createOutputViewer, createSourceEditor, highlightLines, replaceDoc, showDiagnostics } from "./editors.js";
import { defaultExample, examples, findExample } from "./examples.js";
import { readHash, writeHash } from "./hash-state.js";
import { instrument } from "./run/instrument.js";
import { RunSession, type Mode, type RequestSpec } from "./run/session.js";
import { markGraphNode, renderStateGraph } from "./views/state-graph.js";
import { markStateRow, renderStateTable } from "./views/state-table.js";
import { renderRunColumn } from "./views/timeline.js";

const initial = readHash();
let example = findExample(initial.example) ?? defaultExample;
let compiled: Compiled = compile(initial.code ?? example.code);
/** what the output, table and graph show: the last compile without errors */
let shown: Compiled = compiled;
let sessions: Partial<Record<Mode, RunSession>> = {};
let pending: ReturnType<typeof setTimeout> | undefined;
/** which endpoint of the module the States pane and the Run panel use */
let endpointIndex = 0;

const exampleSelect = $<HTMLSelectElement>("example");
const crashSelect = $<HTMLSelectElement>("crash");
const stateTable = $<HTMLTableElement>("state-table");
const stateGraph = $("state-graph");
const endpointSelect = $<HTMLSelectElement>("endpoint");
const source = createSourceEditor($("source"), initial.code ?? example.code, onEdit);
const output = createOutputViewer($("output"));

exampleSelect.append(...examples.map((e) => h("option", { value: e.id }, e.title)));
exampleSelect.value = example.id;
$<HTMLInputElement>("query").value = example.query;
render();
renderRuns();

exampleSelect.addEventListener("change", () => {
  example = findExample(exampleSelect.value) ?? defaultExample;
  $<HTMLInputElement>("query").value = example.query;
  replaceDoc(source, example.code);
  clearTimeout(pending); // a picked example compiles at once, typing is debounced
  applyCode(example.code);
});

$("share").addEventListener("click", async () => {
  const button = $("share");
  try {
    await navigator.clipboard.writeText(location.href);
    button.textContent = "Link copied";
  } catch {
    button.textContent = "Copy the address bar"; // clipboard denied: the URL is still the link
  }
  setTimeout(() => (button.textContent = "Copy link"), 1500);
});

function onEdit(code: string): void {
  clearTimeout(pending);
  pending = setTimeout(() => applyCode(code), 150);
}

function applyCode(code: string): void {
  compiled = compile(code);
  writeHash(code === example.code ? { example: example.id } : { example: example.id, code });
  render();
}

function hasErrors(c: Compiled): boolean {
  return c.diagnostics.some((d) => d.severity === "error") || c.crash !== undefined;
}

function render(): void {
  const errors = hasErrors(compiled);
  if (!errors) shown = compiled;
  $("output-pane").classList.toggle("stale", errors);
  endpointIndex = Math.min(endpointIndex, Math.max(0, shown.endpoints.length - 1));
  const endpoint = shown.endpoints[endpointIndex];
  renderEndpointPicker();
  replaceDoc(output, shown.code);
  showDiagnostics(source, compiled.diagnostics);
  renderDiagnosticsList();
  renderStateTable(stateTable, endpoint, { hover, crashAt: (stepId) => void startRun(stepId) });
  renderStateGraph(stateGraph, endpoint, hover);
  renderCrashOptions(endpoint);
  const errorCount = compiled.diagnostics.filter((d) => d.severity === "error").length || (errors ? 1 : 0);
  const status = $("compile-status");
  status.className = `status ${errors ? "error" : "ok"}`;
  status.textContent = errors
    ? `${errorCount} error${errorCount > 1 ? "s" : ""} · showing the last good build`
    : `compiled · ${compiled.endpoints.length} endpoint${compiled.endpoints.length === 1 ? "" : "s"} · ${endpoint?.states.length ?? 0} states`;
  $<HTMLButtonElement>("run").disabled = errors || !endpoint;
  $("machine-meta").textContent = endpoint ? `${endpoint.name} · version ${endpoint.version}` : "";
}

/** Shown only for modules with several endpoints. */
function renderEndpointPicker(): void {
  const names = shown.endpoints.map((e) => e.name);
  endpointSelect.hidden = names.length < 2;
  if ([...endpointSelect.options].map((o) => o.value).join() !== names.join()) {
    endpointSelect.replaceChildren(...names.map((name) => h("option", { value: name }, name)));
  }
  endpointSelect.selectedIndex = endpointIndex;
}

endpointSelect.addEventListener("change", () => {
  endpointIndex = endpointSelect.selectedIndex;
  render();
});

function renderDiagnosticsList(): void {
  // a compiler exception without a position still needs a visible message
  const crash = compiled.crash !== undefined && compiled.diagnostics.length === 0 ? [h("li", { class: "error" }, h("strong", {}, "compiler error"), " ", compiled.crash)] : [];
  $("diagnostics").replaceChildren(
    ...crash,
    ...compiled.diagnostics.map((d) =>
      h("li", { class: d.severity }, h("strong", {}, `${d.severity} ${d.code ?? ""} · line ${d.line}:${d.column + 1}`), " ", d.message, d.frame && h("pre", {}, d.frame)),
    ),
  );
}

function renderCrashOptions(endpoint: EndpointView | undefined): void {
  const current = crashSelect.value;
  const ids = [...new Set(endpoint?.states.filter((s) => s.stepId !== null && s.kind !== "await").map((s) => s.stepId!) ?? [])];
  crashSelect.replaceChildren(h("option", { value: "" }, "— no crash —"), ...ids.map((id) => h("option", { value: id }, id)));
  crashSelect.value = ids.includes(current) ? current : "";
}

/** Hovering a state (table row or graph node) highlights its lines in both editors. */
function hover(state: number | null): void {
  const endpoint = shown.endpoints[endpointIndex];
  const lines = state === null ? [] : (endpoint?.sourceLines.get(state) ?? []);
  highlightLines(source, "hl-state", lines);
  highlightLines(output, "hl-state", state === null ? [] : (endpoint?.caseLines.get(state) ?? []));
  markStateRow(stateTable, state);
  markGraphNode(stateGraph, state);
}

// ── Run panel ───────────────────────────────────────────────────────────────

$("request").addEventListener("submit", (e) => {
  e.preventDefault();
  void startRun(crashSelect.value || undefined);
});
$("resume").addEventListener("click", () => void inTurn((session) => session.resume()));
$("event").addEventListener("submit", (e) => {
  e.preventDefault();
  const name = $<HTMLInputElement>("event-name").value;
  let data: Record<string, unknown>;
  try {
    data = JSON.parse($<HTMLInputElement>("event-data").value || "{}");
  } catch {
    $<HTMLInputElement>("event-data").setCustomValidity("not valid JSON");
    $<HTMLInputElement>("event-data").reportValidity();
    return;
  }
  void inTurn((session) => session.sendEvent({ name, data }));
});

/**
 * The columns take turns: in a browser the runtime can tell which run an
 * uncompiled handler's `step` belongs to only while one run is executing.
 */
async function inTurn(action: (session: RunSession) => Promise<void>): Promise<void> {
  for (const session of [sessions.compiled, sessions.replay]) if (session) await action(session);
}

async function startRun(crashAfter: string | undefined): Promise<void> {
  if (hasErrors(compiled) || !compiled.endpoints.length) return;
  crashSelect.value = crashAfter ?? "";
  for (const session of Object.values(sessions)) session.dispose();
  const code = source.state.doc.toString();
  const instrumented = instrument(code);
  const exportName = compiled.endpoints[endpointIndex]?.name ?? "handler";
  const spec: RequestSpec = {
    method: $<HTMLSelectElement>("method").value,
    query: $<HTMLInputElement>("query").value,
    body: $<HTMLInputElement>("body").value,
  };
  highlightLines(source, "hl-rerun", []);
  // Both modes run the same instrumented module: once through the compiler, once as written.
  sessions = {
    compiled: new RunSession("compiled", compile(instrumented).code, exportName, renderRuns),
    replay: new RunSession("replay", instrumented, exportName, renderRuns),
  };
  await inTurn((session) => session.start(spec, crashAfter));
}

let frame = 0;
function renderRuns(): void {
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
  $<HTMLInputElement>("event-data").value = JSON.stringify(matchData(waiting.waitingFor!.match));
}

/** Pre-fills the event so it satisfies `match: "data.x"` against this request's trigger data. */
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
  return { [key]: body[key] ?? query.get(key), approver: "you" };
}
