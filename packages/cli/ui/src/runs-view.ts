/** The run list: filters (kept in the URL), newest runs first, live; older pages on demand. */
import type { RunPage, RunSummary } from "../../src/ui/api.js";
import { fill, h } from "./dom.js";
import { clock, iso, relative } from "./format.js";
import { getJson, subscribe } from "./live.js";

const STATUSES = ["running", "waiting", "completed", "failed", "cancelled"];
const FILTERS = ["endpoint", "status", "from", "to", "key"] as const;
/** the server's default page size */
const PAGE_SIZE = 50;

export function showRuns(app: HTMLElement, navigate: (path: string) => void): () => void {
  const params = new URLSearchParams(location.search);
  let first: RunSummary[] = [];
  let older: RunSummary[] = [];
  let exhausted = false;
  let seen = new Map<string, number>();
  const endpoints = new Set<string>();
  let close = () => {};

  const field = (name: string, label: string, input: HTMLInputElement | HTMLSelectElement) => {
    input.name = name;
    input.value = params.get(name) ?? "";
    input.dataset.testid = `filter-${name}`;
    return h("label", h("span", label), input);
  };
  const fromInput = h("input", { type: "datetime-local", step: 1 });
  const toInput = h("input", { type: "datetime-local", step: 1 });
  const filters = h(
    "form.filters",
    { "aria-label": "filters" },
    field("endpoint", "Endpoint", h("input", { list: "endpoints", placeholder: "any", size: 28 })),
    h("datalist", { id: "endpoints" }),
    field("status", "Status", h("select", h("option", { value: "" }, "any"), STATUSES.map((s) => h("option", { value: s }, s)))),
    field("key", "Idempotency-Key", h("input", { placeholder: "any", size: 16 })),
    h("label", h("span", "Started from"), fromInput),
    h("label", h("span", "to"), toInput),
    h("button.quiet", { type: "button", onclick: () => clearFilters(), "data-testid": "clear-filters" }, "Clear"),
  );
  for (const [input, name] of [[fromInput, "from"], [toInput, "to"]] as const) {
    input.dataset.testid = `filter-${name}`;
    const value = params.get(name);
    if (value) input.value = toLocalInput(value);
  }
  filters.addEventListener("change", () => applyFilters());
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    applyFilters();
  });

  const searchInput = h("input", { name: "run", placeholder: "run id", size: 26, "aria-label": "run id", "data-testid": "search-run" });
  const searchError = h("span.error-text", { "data-testid": "search-error" });
  const search = h("form.search", searchInput, h("button", { type: "submit" }, "Open"), searchError);
  search.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = searchInput.value.trim();
    if (!id) return;
    try {
      await getJson(`/api/runs/${encodeURIComponent(id)}`);
      navigate(`/runs/${encodeURIComponent(id)}`);
    } catch (error) {
      searchError.textContent = (error as Error).message;
    }
  });

  const body = h("tbody");
  const table = h(
    "table.runs",
    { "data-testid": "runs" },
    h("thead", h("tr", ["Status", "Run", "Endpoint", "Started", "Updated", "Steps", "State", "Wakes"].map((c) => h("th", c)))),
    body,
  );
  const empty = h("p.empty", { "data-testid": "runs-empty" });
  const more = h("button.more", { type: "button", onclick: () => void loadOlder(), "data-testid": "older" }, "Older runs");
  fill(app, h("section.list", h("div.toolbar", search, filters), table, empty, more));

  function query(): URLSearchParams {
    const q = new URLSearchParams();
    for (const name of FILTERS) {
      const value = params.get(name);
      if (value) q.set(name, value);
    }
    return q;
  }

  function applyFilters(): void {
    const form = new FormData(filters);
    for (const name of ["endpoint", "status", "key"]) setParam(name, String(form.get(name) ?? "").trim());
    setParam("from", fromInput.value ? new Date(fromInput.value).toISOString() : "");
    setParam("to", toInput.value ? new Date(toInput.value).toISOString() : "");
    history.replaceState(null, "", `/${params.size ? `?${params}` : ""}`);
    connect();
  }

  function clearFilters(): void {
    filters.reset();
    for (const input of filters.querySelectorAll<HTMLInputElement | HTMLSelectElement>("input, select")) input.value = "";
    applyFilters();
  }

  const setParam = (name: string, value: string) => (value ? params.set(name, value) : params.delete(name));

  function connect(): void {
    close();
    first = [];
    older = [];
    exhausted = false;
    seen = new Map();
    empty.textContent = "loading…";
    close = subscribe(`/api/runs/live?${query()}`, { runs: (page) => render((page as RunPage).runs) });
  }

  function render(runs: RunSummary[]): void {
    const initial = seen.size === 0 && first.length === 0;
    first = runs;
    const ids = new Set(runs.map((r) => r.id));
    older = older.filter((r) => !ids.has(r.id));
    const all = [...first, ...older];
    fill(body, ...all.map((run) => row(run, !initial && seen.get(run.id) !== run.updatedAt)));
    seen = new Map(all.map((r) => [r.id, r.updatedAt]));
    for (const run of all) endpoints.add(run.endpoint);
    fill(filters.querySelector("datalist")!, ...[...endpoints].sort().map((e) => h("option", { value: e })));
    empty.textContent = all.length ? "" : params.size ? "No runs match these filters." : "No runs in this store yet.";
    more.hidden = older.length ? exhausted : first.length < PAGE_SIZE;
  }

  async function loadOlder(): Promise<void> {
    const last = older.at(-1) ?? first.at(-1);
    if (!last) return;
    const q = query();
    q.set("after", last.id);
    const page = await getJson<RunPage>(`/api/runs?${q}`);
    exhausted = page.runs.length < PAGE_SIZE;
    older.push(...page.runs);
    render(first);
  }

  function row(run: RunSummary, changed: boolean): HTMLTableRowElement {
    const link = h("a.mono", { href: `/runs/${encodeURIComponent(run.id)}`, "data-nav": true }, run.id);
    return h(
      `tr.${changed ? "changed" : "steady"}`,
      { "data-run-id": run.id, "data-status": run.status },
      h("td", h(`span.badge.status-${run.status}`, run.status)),
      h("td", link, run.idempotencyKey ? h("div.muted.small", `key ${run.idempotencyKey}`) : null),
      h("td.mono", run.endpoint),
      h("td", { title: iso(run.createdAt) }, clock(run.createdAt)),
      h("td", h("span", { title: iso(run.updatedAt), "data-rel": run.updatedAt }, relative(run.updatedAt))),
      h("td.num", run.stepsDone),
      h("td.num", run.state),
      h("td", run.status === "waiting" && run.wakeAt !== null ? h("span", { title: iso(run.wakeAt), "data-rel": run.wakeAt }, relative(run.wakeAt)) : ""),
    );
  }

  connect();
  return () => close();
}

/** ISO time → the local "YYYY-MM-DDTHH:MM:SS" a datetime-local input shows. */
function toLocalInput(value: string): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return "";
  const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}
