/**
 * Watches each execution of the endpoint without touching the user's code: a
 * compiled machine gets a `$` that passes everything through to the runtime's
 * and records the state it starts at and every state it enters; a plain
 * handler is wrapped to record that it ran (from the top, as replay does).
 * The run an execution belongs to is found by its request's Idempotency-Key,
 * which the test kit sets on every request.
 */

import type { EndpointHandler, MachineContext, MachineDefinition } from "@durable-endpoints/runtime";
import type { ExecutionEntry, Journal } from "./journal.js";

export function instrumentMachine(machine: MachineDefinition, journal: Journal, processNumber: number): MachineDefinition {
  return {
    ...machine,
    resume($, req) {
      const execution = begin(journal, processNumber, req, $.state);
      const watched: MachineContext = {
        get state() {
          return $.state;
        },
        set state(next: number) {
          execution.states.push(next);
          $.state = next;
        },
        get locals() {
          return $.locals;
        },
        get step() {
          return $.step;
        },
      };
      return machine.resume(watched, req);
    },
  };
}

export function instrumentHandler(handler: EndpointHandler, journal: Journal, processNumber: number): EndpointHandler {
  return (req) => {
    begin(journal, processNumber, req, 0);
    return handler(req);
  };
}

function begin(journal: Journal, processNumber: number, req: Request, startState: number): ExecutionEntry {
  const runId = journal.runOfKey(req.headers.get("idempotency-key")) ?? "(a run without Idempotency-Key)";
  const execution: ExecutionEntry = { kind: "execution", process: processNumber, runId, startState, states: [] };
  journal.record(execution);
  return execution;
}
