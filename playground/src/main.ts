/** Wires the playground together: editor → compiler → output, diagnostics, state table and graph. */
import "./style.css";
import { caseLines, compile, type Compiled } from "./compile.js";
import { $, h } from "./dom.js";
import { createOutputViewer, createSourceEditor, highlightLines, replaceDoc, showDiagnostics } from "./editors.js";
import { defaultExample, examples, findExample } from "./examples.js";
import { readHash, writeHash } from "./hash-state.js";
import { createRunPanel } from "./run-panel.js";
import { markGraphNode, renderStateGraph } from "./views/state-graph.js";
import { markStateRow, renderStateTable } from "./views/state-table.js";

const initial = readHash();
let example = findExample(initial.example) ?? defaultExample;
let compiled: Compiled = compile(initial.code ?? example.code);
/** what the output, table and graph show: the last compile without errors */
let shown: Compiled = hasErrors(compiled) ? { code: "", endpoints: [], diagnostics: [] } : compiled;
let pending: ReturnType<typeof setTimeout> | undefined;
/** which endpoint of the module the States pane and the Run panel use */
let endpointIndex = 0;
/** the state whose lines stay highlighted after a click */
let pinned: number | null = null;

const exampleSelect = $<HTMLSelectElement>("example");
const stateTable = $<HTMLTableElement>("state-table");
const stateGraph = $("state-graph");
const endpointSelect = $<HTMLSelectElement>("endpoint");
const source = createSourceEditor($("source"), initial.code ?? example.code, onEdit);
const output = createOutputViewer($("output"));
const runPanel = createRunPanel(source, () => (hasErrors(compiled) ? undefined : compiled.endpoints[endpointIndex]));

exampleSelect.append(...examples.map((e) => h("option", { value: e.id }, e.title)));
exampleSelect.value = example.id;
$<HTMLInputElement>("query").value = example.query;
render();

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
  if (pinned !== null && pinned >= (endpoint?.states ?? 0)) pinned = null;
  renderStateTable(stateTable, endpoint, { hover, pin, crashAt: (stepId) => void runPanel.start(stepId) });
  renderStateGraph(stateGraph, endpoint, { hover, pin });
  runPanel.showEndpoint(errors ? undefined : endpoint);
  const errorCount = compiled.diagnostics.filter((d) => d.severity === "error").length || (errors ? 1 : 0);
  const status = $("compile-status");
  status.className = `status ${errors ? "error" : "ok"}`;
  status.textContent = errors
    ? `${errorCount} error${errorCount > 1 ? "s" : ""}${shown.code ? " · showing the last good build" : ""}`
    : `compiled · ${compiled.endpoints.length} endpoint${compiled.endpoints.length === 1 ? "" : "s"} · ${endpoint?.states ?? 0} states`;
  $("machine-meta").textContent = endpoint ? `${endpoint.name} · version ${endpoint.version}` : "";
  highlightState(pinned, false); // line numbers may have moved
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

/** Hovering a state (table row or graph node) highlights its lines in both editors; leaving shows the pinned one. */
function hover(state: number | null): void {
  highlightState(state ?? pinned, true);
}

function pin(state: number): void {
  pinned = pinned === state ? null : state;
  highlightState(pinned, true);
}

function highlightState(state: number | null, reveal: boolean): void {
  const endpoint = shown.endpoints[endpointIndex];
  const described = state === null || !endpoint ? undefined : endpoint.stateDescriptions[state];
  highlightLines(source, "hl-state", described?.lines ?? []);
  highlightLines(output, "hl-state", described ? caseLines(endpoint!, described.state) : [], reveal);
  markStateRow(stateTable, state);
  markGraphNode(stateGraph, state);
}
