/** Element building without a framework: `h("span.badge.ok", { title: "…" }, "text", child)`. */
export type Child = Node | string | number | null | undefined | false;
type Attrs = { [name: string]: string | number | boolean | undefined | ((event: Event) => void) };

export function h<K extends keyof HTMLElementTagNameMap>(spec: K | `${K}.${string}`, ...parts: (Attrs | Child | Child[])[]): HTMLElementTagNameMap[K] {
  const [tag, ...classes] = spec.split(".") as [K, ...string[]];
  const el = document.createElement(tag);
  if (classes.length) el.className = classes.join(" ");
  for (const part of parts) {
    if (Array.isArray(part)) part.forEach((child) => add(el, child));
    else if (isAttrs(part)) setAttrs(el, part);
    else add(el, part);
  }
  return el;
}

function isAttrs(part: Attrs | Child): part is Attrs {
  return typeof part === "object" && part !== null && !(part instanceof Node);
}

function setAttrs(el: HTMLElement, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.slice(2).toLowerCase(), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
}

function add(el: HTMLElement, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  el.append(typeof child === "object" ? child : String(child));
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (typeof c === "number" ? String(c) : c)));
}
