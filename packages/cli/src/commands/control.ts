/**
 * `durable cancel <id> [--reason TEXT]` and `durable retry <id>`: run control on
 * a store, from any machine that reaches it — no endpoint needs to be loaded.
 * A process executing the run notices a cancellation at its next checkpoint or
 * lease renewal; a retried run is picked up by whichever process serves its
 * endpoint (its scheduler, a poll, an Idempotency-Key re-attach).
 */
import { cancelRun, retryRun, type RunChange, type Store } from "@durable-endpoints/runtime";
import type { Command, CommandContext } from "../command.js";
import { CliError } from "../errors.js";
import { cancelRefusal, retriedMessage, retryRefusal } from "../run-control.js";
import { resolveStoreUrl, withStore } from "../store.js";

interface Control {
  verb: string;
  act(store: Store, runId: string, ctx: CommandContext): Promise<RunChange | null>;
  /** what to print; null = the run cannot be controlled so (exit 1, with `refusal`) */
  message(change: RunChange): string | null;
  refusal(change: RunChange): string;
}

const cancel: Control = {
  verb: "cancel",
  act: (store, runId, { args }) => cancelRun(store, runId, { reason: args.options.get("reason") }),
  message: ({ run, changed }) => (changed ? `cancelled run ${run.id}` : run.status === "cancelled" ? `run ${run.id} was already cancelled` : null),
  refusal: ({ run }) => cancelRefusal(run),
};

const retry: Control = {
  verb: "retry",
  act: (store, runId) => retryRun(store, runId),
  message: ({ run, changed }) => (changed ? retriedMessage(run) : null),
  refusal: ({ run }) => retryRefusal(run),
};

export const cancelCommand: Command = (ctx) => control(ctx, cancel);
export const retryCommand: Command = (ctx) => control(ctx, retry);

async function control(ctx: CommandContext, { verb, act, message, refusal }: Control): Promise<number> {
  const { args, io, env } = ctx;
  const runId = args.positionals[0];
  if (!runId) throw new CliError(`missing <run id>: durable ${verb} <run id> (list them with: durable runs)`);
  const url = resolveStoreUrl(args.options.get("store"), env);
  const change = await withStore(url, (store) => act(store, runId, ctx));
  if (!change) throw new CliError(`run not found: ${runId} (in ${url})`);
  const text = message(change);
  if (args.flags.has("json")) {
    io.out(JSON.stringify({ runId: change.run.id, status: change.run.status, changed: change.changed }, null, 2));
    return text === null ? 1 : 0;
  }
  if (text === null) throw new CliError(refusal(change));
  io.out(text);
  return 0;
}
