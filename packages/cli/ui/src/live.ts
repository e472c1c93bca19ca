/** Server-sent events from the inspector, with the connection state shown in the top bar. */
type Handlers = Record<string, (data: unknown) => void>;

const indicator = () => document.getElementById("connection")!;

function show(state: "live" | "down" | "problem", text: string, title = ""): void {
  const el = indicator();
  el.className = `connection ${state}`;
  el.textContent = text;
  el.title = title;
}

/** Opens `url` as an EventSource; returns the function that closes it. */
export function subscribe(url: string, handlers: Handlers): () => void {
  const source = new EventSource(url);
  source.onopen = () => show("live", "live");
  source.onerror = () => show("down", source.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting…");
  source.addEventListener("problem", (event) => {
    const problem = JSON.parse((event as MessageEvent<string>).data) as string | null;
    if (problem) show("problem", "store unreachable", problem);
    else show("live", "live");
  });
  for (const [name, handle] of Object.entries(handlers)) {
    source.addEventListener(name, (event) => handle(JSON.parse((event as MessageEvent<string>).data)));
  }
  return () => source.close();
}

/** GET a JSON API path; throws the server's `{ error }` message. */
export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { Accept: "application/json" } });
  const body = (await res.json()) as T | { error: string };
  if (!res.ok) throw new Error((body as { error: string }).error ?? `${res.status}`);
  return body as T;
}

/** Keeps every `[data-rel]` element's "3s ago" / "in 2m" text current. */
export function startClock(render: (ms: number) => string): void {
  setInterval(() => {
    for (const el of document.querySelectorAll<HTMLElement>("[data-rel]")) el.textContent = render(Number(el.dataset.rel));
  }, 1000);
}
