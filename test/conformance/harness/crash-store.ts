/**
 * A Store proxy that plays one process's view of a shared store. It logs
 * every committed checkpoint into the world (so probe sequences show where
 * checkpoints fell) and can "freeze": from then on no call it forwards ever
 * settles, results already in flight are swallowed, and change/due
 * notifications are dropped — the client above it is dead in the water,
 * exactly like a killed process, while the underlying store lives on.
 */
import type { Store } from "@durable-endpoints/runtime";
import type { World } from "./world.js";

const never = new Promise<never>(() => {});

type Checkpoint = Parameters<Store["checkpoint"]>[0];

export interface ProcessStore {
  readonly store: Store;
  readonly frozen: boolean;
  /** successful checkpoints through this proxy */
  readonly checkpoints: number;
  freeze(): void;
  /** resolves when the proxy freezes */
  readonly crashed: Promise<void>;
}

export function processStore(
  inner: Store,
  world: World,
  incarnation: number,
  crashAfterCheckpoint?: number,
): ProcessStore {
  let frozen = false;
  let checkpoints = 0;
  let onCrash!: () => void;
  const crashed = new Promise<void>((resolve) => (onCrash = resolve));
  const freeze = () => {
    if (frozen) return;
    frozen = true;
    world.kill(incarnation);
    onCrash();
  };

  const forward =
    (name: keyof Store) =>
    async (...args: unknown[]): Promise<unknown> => {
      if (frozen) return never;
      const result = await (inner[name] as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
      return frozen ? never : result;
    };

  const store = new Proxy(inner, {
    get(target, name: string | symbol) {
      switch (name) {
        case "kind":
          return target.kind;
        case "checkpoint":
          return async (cp: Checkpoint): Promise<boolean> => {
            if (frozen) return never;
            const ok = await target.checkpoint(cp);
            if (frozen) return never;
            if (ok) {
              checkpoints++;
              world.log.push({
                kind: "checkpoint",
                incarnation,
                stepId: cp.step?.id,
                stepStatus: cp.step?.status,
                runStatus: cp.run.status,
                state: cp.run.state,
              });
              if (checkpoints === crashAfterCheckpoint) {
                freeze();
                return never;
              }
            }
            return ok;
          };
        case "onDue":
          return (listener: () => void) => target.onDue(() => frozen || listener());
        case "close":
          // the underlying store is shared with the next incarnation: the harness closes it
          return async () => {};
        default: {
          const value = (target as unknown as Record<string | symbol, unknown>)[name];
          return typeof value === "function" ? forward(name as keyof Store) : value;
        }
      }
    },
  });

  return {
    store,
    get frozen() {
      return frozen;
    },
    get checkpoints() {
      return checkpoints;
    },
    freeze,
    crashed,
  };
}
