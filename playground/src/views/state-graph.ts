/**
 * The state graph as SVG: states top to bottom, transitions to the next state as straight
 * arrows, jumps forward as arcs on the left, jumps back (loops) as arcs on the right.
 */
import type { EndpointView } from "../compile.js";

const SVG = "http://www.w3.org/2000/svg";
const NODE_W = 270;
const NODE_H = 30;
const GAP = 18;
const LEFT = 70;

export interface StateGraphEvents {
  hover(state: number | null): void;
  pin(state: number): void;
}

export function renderStateGraph(host: HTMLElement, endpoint: EndpointView | undefined, events: StateGraphEvents): void {
  host.replaceChildren();
  if (!endpoint || endpoint.stateDescriptions.length === 0) return;
  const states = endpoint.stateDescriptions;
  const order = [...states.map((s) => s.state as number | "end"), "end" as const];
  const y = new Map(order.map((state, i) => [state, 10 + i * (NODE_H + GAP)]));
  const height = 10 + order.length * (NODE_H + GAP);
  const svg = el("svg", { viewBox: `0 0 ${LEFT + NODE_W + 120} ${height}`, width: "100%", role: "img", "aria-label": "state graph" });
  svg.append(arrowMarker());

  for (const { state: from, next } of states) {
    for (const to of next) {
      const y1 = y.get(from);
      const y2 = y.get(to);
      if (y1 === undefined || y2 === undefined || from === to) continue;
      svg.append(edge(y1, y2));
    }
  }

  // one node per state: the steps a `Promise.all` starts together share it
  for (const { state, steps } of states) {
    const top = y.get(state)!;
    const kind = steps[0]?.kind ?? (state === 0 ? "start" : "control");
    const ids = steps.flatMap((s) => (s.id === null ? [] : [`“${s.id}”`]));
    const label = ids.length ? `${state} · ${kind} ${ids.join(" ")}` : state === 0 ? "0 · entry" : `${state} · ${kind}`;
    const g = el("g", { class: `node kind-${kind}`, "data-state": String(state) });
    g.append(el("rect", { x: String(LEFT), y: String(top), width: String(NODE_W), height: String(NODE_H), rx: "7" }), text(label, top));
    g.addEventListener("mouseenter", () => events.hover(state));
    g.addEventListener("mouseleave", () => events.hover(null));
    g.addEventListener("click", () => events.pin(state));
    svg.append(g);
  }
  const endTop = y.get("end")!;
  const end = el("g", { class: "node end" });
  end.append(el("rect", { x: String(LEFT), y: String(endTop), width: String(NODE_W), height: String(NODE_H), rx: "15" }), text("return / throw", endTop));
  svg.append(end);
  host.append(svg);
}

export function markGraphNode(host: HTMLElement, state: number | null): void {
  for (const g of host.querySelectorAll<SVGGElement>("g.node")) g.classList.toggle("active", state !== null && g.dataset.state === String(state));
}

function edge(y1: number, y2: number): SVGPathElement {
  const adjacent = y2 - y1 === NODE_H + GAP;
  if (adjacent) {
    const x = LEFT + 24;
    return el("path", { d: `M ${x} ${y1 + NODE_H} L ${x} ${y2}`, class: "edge", "marker-end": "url(#arrow)" }) as SVGPathElement;
  }
  // Jumps forward bulge to the left, jumps back (loops) to the right.
  const forward = y2 > y1;
  const x = forward ? LEFT : LEFT + NODE_W;
  const bulge = (forward ? -1 : 1) * (22 + Math.min(60, Math.abs(y1 - y2) / 5));
  return el("path", {
    d: `M ${x} ${y1 + NODE_H / 2} C ${x + bulge} ${y1 + NODE_H / 2}, ${x + bulge} ${y2 + NODE_H / 2}, ${x + (forward ? -2 : 2)} ${y2 + NODE_H / 2}`,
    class: forward ? "edge skip" : "edge back",
    "marker-end": "url(#arrow)",
  }) as SVGPathElement;
}

function text(label: string, top: number): SVGTextElement {
  const t = el("text", { x: String(LEFT + 12), y: String(top + NODE_H / 2 + 4) }) as SVGTextElement;
  t.textContent = label.length > 38 ? `${label.slice(0, 37)}…` : label;
  return t;
}

function arrowMarker(): SVGDefsElement {
  const defs = el("defs", {}) as SVGDefsElement;
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
  marker.append(el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }));
  defs.append(marker);
  return defs;
}

function el(tag: string, attrs: Record<string, string>): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
