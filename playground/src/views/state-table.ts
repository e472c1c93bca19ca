/** The state table: state → step id, kind, source line, captured locals, and a "crash here" button. */
import type { StateRow } from "@durable-endpoints/transform";
import type { EndpointView } from "../compile.js";
import { h } from "../dom.js";

export interface StateTableEvents {
  /** the pointer entered (a state) or left (null) a row */
  hover(state: number | null): void;
  /** a click pins the state's highlight (a second click unpins it) */
  pin(state: number): void;
  crashAt(stepId: string): void;
}

export function renderStateTable(table: HTMLTableElement, endpoint: EndpointView | undefined, events: StateTableEvents): void {
  table.replaceChildren();
  if (!endpoint) {
    table.append(h("caption", {}, "No endpoint found: wrap a handler in inngest.endpoint(…)."));
    return;
  }
  table.append(
    h("caption", {}, `${endpoint.name} · version ${endpoint.version}`),
    h("thead", {}, h("tr", {}, h("th", {}, "State"), h("th", {}, "Step"), h("th", {}, "Kind"), h("th", {}, "Line"), h("th", {}, "Captured locals"), h("th", {}, ""))),
    h("tbody", {}, ...endpoint.rows.map((row) => renderRow(row, events))),
  );
}

function renderRow(row: StateRow, events: StateTableEvents): HTMLTableRowElement {
  const crashable = row.step !== null && row.kind !== "await";
  const tr = h(
    "tr",
    { "data-state": row.state, onmouseenter: () => events.hover(row.state), onmouseleave: () => events.hover(null), onclick: () => events.pin(row.state) },
    h("td", { class: "num" }, row.state),
    h("td", { class: "mono" }, row.step ?? (row.state === 0 ? "(entry)" : "—")),
    h("td", {}, h("span", { class: `kind kind-${row.kind}` }, row.kind)),
    h("td", { class: "num" }, row.line ?? ""),
    h("td", { class: "mono" }, row.captured.length ? row.captured.join(", ") : h("span", { class: "muted" }, "none")),
    h(
      "td",
      {},
      crashable &&
        h("button", { type: "button", class: "crash-here", "data-testid": `crash-${row.step}`, title: "Run, and kill the process right after this step's checkpoint", onclick: (e: Event) => {
          e.stopPropagation();
          events.crashAt(row.step!);
        } }, "crash here"),
    ),
  );
  return tr;
}

export function markStateRow(table: HTMLTableElement, state: number | null): void {
  for (const tr of table.querySelectorAll<HTMLTableRowElement>("tbody tr")) {
    tr.classList.toggle("active", state !== null && tr.dataset.state === String(state));
  }
}
