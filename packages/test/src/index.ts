/**
 * `@durable-endpoints/test`: test a durable endpoint in process, on virtual
 * time — requests, sleeps and retries without waiting, events, crashes after
 * any checkpoint with a resume in a fresh process, and the check that nothing
 * before a resume point ran again.
 */

export { testEndpoint, EndpointTest, SimulatedCrash, type TestEndpointOptions, type CrashOptions, type LogLine } from "./endpoint-test.js";
export type { CrashPoint } from "./store-view.js";
export type { RunView, StepView, Mode } from "./inspect.js";
export type { CheckpointEntry, ExecutionEntry } from "./journal.js";
export { NoReplayError, type NoReplaySummary } from "./no-replay.js";
