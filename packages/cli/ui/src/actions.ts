/** The page's two actions: send an event (prefilled from a wait) and wake a run. POSTs with a JSON body. */
import type { SendEventAnswer, WaitDetail } from "../../src/ui/api.js";
import { h } from "./dom.js";

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const answer = (await res.json()) as T | { error: string };
  if (!res.ok) throw new Error((answer as { error: string }).error ?? `${res.status}`);
  return answer as T;
}

/** A form to send the event a wait is waiting for, prefilled so that it matches. */
export function sendEventForm(wait: WaitDetail): HTMLElement {
  const name = h("input.event-name", { value: wait.event, "aria-label": "event name", "data-testid": "event-name", size: 22 });
  const data = h("textarea.event-data", { rows: 3, "aria-label": "event data (JSON)", "data-testid": "event-data", spellcheck: "false" });
  data.value = JSON.stringify(wait.exampleData, null, 2);
  const outcome = h("span.outcome", { "data-testid": "send-outcome" });
  const form = h(
    "form.send-event",
    { "data-testid": `send-event-${wait.stepId}` },
    h("div.row", name, h("button", { type: "submit", "data-testid": "send-event" }, "Send event")),
    data,
    outcome,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.value || "{}");
    } catch {
      outcome.textContent = "data must be JSON";
      return;
    }
    try {
      const sent = await post<SendEventAnswer>("/api/events", { name: name.value.trim(), data: parsed });
      outcome.textContent = sent.woken.length ? `sent; it resolved ${sent.woken.length} wait${sent.woken.length === 1 ? "" : "s"}` : "sent; no wait matched it";
    } catch (error) {
      outcome.textContent = (error as Error).message;
    }
  });
  return form;
}

/** "Wake now": cuts the run's sleeps and retry backoffs short. */
export function wakeButton(runId: string): HTMLElement {
  const outcome = h("span.outcome", { "data-testid": "wake-outcome" });
  const button = h("button", { type: "button", "data-testid": "wake", title: "End its sleeps and retry backoffs now; the app resumes it" }, "Wake now");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await post(`/api/runs/${encodeURIComponent(runId)}/wake`, {});
      outcome.textContent = "woken: the app resumes it";
    } catch (error) {
      outcome.textContent = (error as Error).message;
      button.disabled = false;
    }
  });
  return h("span.wake", button, outcome);
}
