/** Renders one Run column: header, "what re-ran" summary, and the timeline of the run. */
import { h } from "../dom.js";
import type { RunSession, TimelineEntry } from "../run/session.js";

const TITLES = {
  compiled: ["Compiled", "state machine: a resumed run jumps to its saved state"],
  replay: ["Replay", "uncompiled handler: a resumed run re-executes from the top"],
} as const;

const ICONS: Record<TimelineEntry["kind"], string> = {
  request: "→",
  step: "✓",
  retry: "↻",
  failed: "✗",
  sleep: "☾",
  wait: "…",
  event: "✉",
  crash: "⚡",
  takeover: "⇢",
  response: "←",
  stream: "⇠",
  suspend: "↪",
  error: "⚠",
};

export function renderRunColumn(host: HTMLElement, mode: keyof typeof TITLES, session: RunSession | undefined): void {
  const [title, subtitle] = TITLES[mode];
  host.replaceChildren(
    h("header", { class: "run-header" }, h("strong", {}, title), " ", h("span", { class: "muted" }, subtitle), session && h("span", { class: `badge status-${session.status}`, "data-testid": `${mode}-status` }, session.status)),
  );
  if (!session) {
    host.append(h("p", { class: "muted empty" }, "Press Run, or “crash here” on a step of the state table."));
    return;
  }
  const summary = rerunSummary(session);
  if (summary) host.append(summary);
  host.append(h("ol", { class: "timeline", "data-testid": `${mode}-timeline` }, ...session.entries.map(renderEntry)));
}

function rerunSummary(session: RunSession): HTMLElement | null {
  if (!session.traces.has("B")) return null;
  const rerun = session.rerunLines();
  const lines = [...new Set(rerun)].sort((a, b) => a - b);
  return h(
    "p",
    { class: `rerun ${rerun.length ? "some" : "none"}`, "data-testid": `${session.mode}-rerun`, "data-count": rerun.length },
    rerun.length
      ? `After resume, ${rerun.length} statement${rerun.length > 1 ? "s" : ""} from before the checkpoint ran again (line${lines.length > 1 ? "s" : ""} ${lines.join(", ")}).`
      : "After resume, no code from before the checkpoint ran again.",
  );
}

function renderEntry(entry: TimelineEntry): HTMLLIElement {
  return h(
    "li",
    { class: `entry kind-${entry.kind}` },
    h("span", { class: "at" }, `${(entry.at / 1000).toFixed(2)}s`),
    h("span", { class: `proc proc-${entry.process}` }, entry.process),
    h("span", { class: "icon" }, ICONS[entry.kind]),
    h("span", { class: "text" }, entry.text, entry.detail !== undefined && h("code", { class: "detail" }, truncate(entry.detail))),
  );
}

function truncate(text: string): string {
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}
