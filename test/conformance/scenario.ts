/**
 * What a corpus module declares next to its handlers (`export const scenario`):
 * which requests to send and which events to deliver while runs wait.
 */

/** One request, sent to one exported endpoint of the module. */
export interface RequestSpec {
  /** export name of the endpoint; default "handler" */
  endpoint?: string;
  /** path + query, resolved against http://127.0.0.1 */
  url?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** An event the harness sends once a `waitForEvent` step with this id is waiting. */
export interface ScriptedEvent {
  name: string;
  data?: Record<string, unknown>;
}

export interface Scenario {
  requests: RequestSpec[];
  /** wait step id → events sent (in order) once that wait is registered; absent = the wait times out */
  events?: Record<string, ScriptedEvent[]>;
  /** CEL `if` is evaluated by the oracle too; nothing else to configure */
  note?: string;
}
