/** Renders the server's ValueView trees: a Date, a Map, an Error shown as such, large values folded. */
import type { ValueView } from "../../src/ui/api.js";
import { h, type Child } from "./dom.js";

/** Containers with at most this many entries start unfolded (near the top). */
const OPEN_UP_TO = 6;

export function valueNode(value: ValueView, depth = 0): HTMLElement {
  switch (value.t) {
    case "string":
      return h("span.v-string", JSON.stringify(value.v), value.cut ? h("span.v-note", ` …${value.cut} more characters`) : null);
    case "number":
      return h("span.v-number", value.v);
    case "bigint":
      return h("span.v-number", `${value.v}n`);
    case "boolean":
      return h("span.v-keyword", String(value.v));
    case "null":
    case "undefined":
      return h("span.v-keyword", value.t);
    case "date":
      return tagged("Date", h("span.v-string", value.v));
    case "regexp":
      return h("span.v-string", value.v);
    case "url":
      return tagged("URL", h("span.v-string", value.v));
    case "cycle":
      return h("span.v-note", "[circular]");
    case "cut":
      return h("span.v-note", "…");
    case "bytes":
      return tagged(`${value.name}(${value.size})`, h("span.v-number", value.hex + (value.size > 64 ? " …" : "")));
    case "error":
      return folded(
        h("span.v-error", `${value.name}: ${value.message}`),
        value.cause ? [["cause", valueNode(value.cause, depth + 1)]] : [],
        depth,
      );
    case "headers":
      return folded(h("span.v-type", `Headers(${value.entries.length})`), value.entries.map(([k, v]) => [k, h("span.v-string", v)]), depth);
    case "request":
      return folded(h("span.v-type", `Request ${value.method} ${value.url}`), value.headers.map(([k, v]) => [k, h("span.v-string", v)]), depth);
    case "response":
      return folded(h("span.v-type", `Response ${value.status}`), value.headers.map(([k, v]) => [k, h("span.v-string", v)]), depth);
    case "array":
      return folded(h("span.v-type", `Array(${value.size})`), value.items.map((v, i) => [String(i), valueNode(v, depth + 1)]), depth, value.size);
    case "set":
      return folded(h("span.v-type", `Set(${value.size})`), value.items.map((v) => [null, valueNode(v, depth + 1)]), depth, value.size);
    case "map":
      return folded(
        h("span.v-type", `Map(${value.size})`),
        value.entries.map(([k, v]) => [h("span", valueNode(k, depth + 1), " =>"), valueNode(v, depth + 1)]),
        depth,
        value.size,
      );
    case "object":
      return folded(
        h("span.v-type", value.name ? `${value.name} {${value.size}}` : `{${value.size}}`),
        value.entries.map(([k, v]) => [k, valueNode(v, depth + 1)]),
        depth,
        value.size,
      );
  }
}

function tagged(type: string, body: HTMLElement): HTMLElement {
  return h("span", h("span.v-type", type), " ", body);
}

/** A foldable container: summary line, then one row per entry. */
function folded(summary: HTMLElement, entries: [Child, HTMLElement][], depth: number, size = entries.length): HTMLElement {
  if (entries.length === 0) return summary;
  const details = h(
    "details.v-tree",
    h("summary", summary),
    h("ul", entries.map(([key, node]) => h("li", key === null ? null : h("span.v-key", typeof key === "string" ? `${key}: ` : key, typeof key === "string" ? null : " "), node))),
    size > entries.length ? h("div.v-note", `… ${size - entries.length} more`) : null,
  );
  details.open = depth < 2 && entries.length <= OPEN_UP_TO;
  return details;
}
