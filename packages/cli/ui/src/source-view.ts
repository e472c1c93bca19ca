/**
 * The endpoint's module with the run's current state highlighted: the await
 * that starts that state, the rest of its code, and a mark on every step's line.
 */
import type { RunDetail, SourceDetail } from "../../src/ui/api.js";
import { h } from "./dom.js";

/** Keywords, strings, comments and numbers: enough colour to read by, in one regular expression. */
const TOKEN =
  /(\/\/[^\n]*|\/\*[\s\S]*?\*\/)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\[\s\S])*`)|\b(await|async|const|let|var|function|return|if|else|for|while|do|of|in|new|try|catch|finally|throw|import|export|from|default|switch|case|break|continue|typeof|instanceof|null|undefined|true|false)\b|\b(\d[\d_.]*)\b/g;
const CLASSES = ["", "tok-comment", "tok-string", "tok-keyword", "tok-number"];

export function sourceView(source: SourceDetail, run: RunDetail): HTMLElement {
  const current = new Set(source.states[run.state]?.steps.map((s) => s.line) ?? []);
  const inState = new Set(source.states[run.state]?.lines ?? []);
  const stepLines = new Map<number, string>();
  for (const state of source.states) {
    for (const step of state.steps) stepLines.set(step.line, stepMark(run, step.id));
  }
  const lines = highlight(source.lines.join("\n"));
  const code = h(
    "ol.code",
    lines.map((spans, i) => {
      const line = i + 1;
      const mark = stepLines.get(line);
      return h(
        `li${current.has(line) ? ".current" : inState.has(line) ? ".in-state" : ""}`,
        { "data-line": line, ...(mark ? { "data-mark": mark } : {}) },
        h("span.gutter", mark ? h(`span.mark.mark-${mark}`, { title: mark }) : null, String(line)),
        h("code", spans),
      );
    }),
  );
  return h("div.source", { "data-testid": "source" }, code);
}

/** Scrolls the source pane (not the page) so the current state's first line is in view. */
export function revealCurrent(container: HTMLElement): void {
  const line = container.querySelector<HTMLElement>("li.current");
  const pane = container.querySelector<HTMLElement>(".source");
  if (line && pane) pane.scrollTop = Math.max(0, line.offsetTop - pane.clientHeight / 3);
}

/** The status of the run's step with this id (repeats are "id:N": the latest one counts). */
function stepMark(run: RunDetail, id: string): string {
  const steps = run.steps.filter((s) => s.id === id || s.id.startsWith(`${id}:`));
  const last = steps.at(-1);
  if (!last) return "pending";
  return last.status === "elapsed" ? "completed" : last.status;
}

/** Source → per line, its spans (a token spanning lines is split at each newline). */
function highlight(text: string): HTMLElement[][] {
  const lines: HTMLElement[][] = [[]];
  const push = (piece: string, cls: string) => {
    piece.split("\n").forEach((part, i) => {
      if (i > 0) lines.push([]);
      if (part) lines.at(-1)!.push(cls ? h("span", { class: cls }, part) : h("span", part));
    });
  };
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    push(text.slice(last, match.index), "");
    const group = match.slice(1).findIndex((g) => g !== undefined) + 1;
    push(match[0], CLASSES[group]!);
    last = match.index! + match[0].length;
  }
  push(text.slice(last), "");
  return lines;
}
