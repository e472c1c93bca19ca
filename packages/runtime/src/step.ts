/** The ambient `step` export: the step tools of the run executing in the current async context. */

import { ambient } from "./execution.js";
import type { StepTools } from "./types.js";

function current(method: string): StepTools {
  const execution = ambient.current();
  if (!execution) {
    throw new Error(`step.${method}() was called outside a durable endpoint run (call it inside the handler given to inngest.endpoint())`);
  }
  return execution.tools;
}

export const step: StepTools = {
  run: (id, fn) => current("run").run(id, fn),
  sleep: (id, duration) => current("sleep").sleep(id, duration),
  sleepUntil: (id, until) => current("sleepUntil").sleepUntil(id, until),
  waitForEvent: (id, options) => current("waitForEvent").waitForEvent(id, options),
};
