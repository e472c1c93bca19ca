/**
 * The page's actions: send an event (prefilled from a wait), wake, cancel and retry a run. POSTs with a
 * JSON body; the server only changes the store, so what they lead to arrives through the live view.
 */
import type { RunControlAnswer, RunDetail, SendEventAnswer, WaitDetail } from "../../src/ui/api.js";
import { retriedMessage } from "../../src/run-control.js";
import { h } from "./dom.js";

/** Shows what an action did (or why it could not), next to the run's actions. */
export type Say = (text: string) => void;

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
export function wakeButton(runId: string, say: Say): HTMLElement {
  const button = h("button", { type: "button", "data-testid": "wake", title: "End its sleeps and retry backoffs now; the app resumes it" }, "Wake now");
  return act(button, say, async () => {
    await post(runPath(runId, "wake"), {});
    return "woken: the app resumes it";
  });
}

/** "Cancel…" opens a small form (an optional reason, then a second click): a cancelled run cannot be resumed. */
export function cancelControl(runId: string, say: Say): HTMLElement {
  const open = h("button.quiet.danger", { type: "button", "data-testid": "cancel" }, "Cancel…");
  const reason = h("input.cancel-reason", { placeholder: "reason (optional)", "aria-label": "reason for cancelling", "data-testid": "cancel-reason", maxlength: 1000, size: 26 });
  const confirm = h("button.danger", { type: "submit", "data-testid": "confirm-cancel" }, "Cancel run");
  const keep = h("button.quiet", { type: "button", "data-testid": "keep-run" }, "Keep it");
  const form = h("form.cancel-run", { hidden: true }, reason, confirm, keep);
  const toggle = (asking: boolean) => {
    form.hidden = !asking;
    open.hidden = asking;
    if (asking) reason.focus();
  };
  open.addEventListener("click", () => toggle(true));
  keep.addEventListener("click", () => toggle(false));
  form.addEventListener("submit", (event) => event.preventDefault());
  act(confirm, say, async () => {
    const why = reason.value.trim();
    const answer = await post<RunControlAnswer>(runPath(runId, "cancel"), why ? { reason: why } : {});
    return answer.changed ? "cancelled: a process executing it stops at its next checkpoint; polls get 409" : "it was already cancelled";
  });
  return h("span.control", open, form);
}

/** "Retry": the run is marked due; a process serving its endpoint runs it again from where it failed. */
export function retryButton(run: Pick<RunDetail, "id" | "status" | "endpoint">, say: Say): HTMLElement {
  const button = h("button", { type: "button", "data-testid": "retry", title: "Run it again from where it failed: completed steps are not run again" }, "Retry");
  return act(button, say, async () => {
    await post(runPath(run.id, "retry"), {});
    return retriedMessage(run);
  });
}

const runPath = (runId: string, action: string) => `/api/runs/${encodeURIComponent(runId)}/${action}`;

/** Runs `action` on click, the button disabled meanwhile (and after a success: the live view replaces it). */
function act(button: HTMLButtonElement, say: Say, action: () => Promise<string>): HTMLButtonElement {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      say(await action());
    } catch (error) {
      say((error as Error).message);
      button.disabled = false;
    }
  });
  return button;
}
