/** What `durable cancel` / `durable retry` and the inspector's Cancel / Retry say about a run they changed or could not. */
import type { RunRecord } from "@durable-endpoints/runtime";

type Run = Pick<RunRecord, "id" | "status" | "endpoint">;

/** A retried run is only marked due: a process serving its endpoint executes it. */
export const retriedMessage = (run: Run): string =>
  `run ${run.id} will run again from where it failed: a process serving ${run.endpoint} picks it up`;

export const cancelRefusal = (run: Run): string => `run ${run.id} already ${run.status}; there is nothing to cancel`;

export const retryRefusal = (run: Run): string => `run ${run.id} is ${run.status}; only a failed run can be retried`;
