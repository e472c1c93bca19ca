/**
 * The one place that knows about AsyncLocalStorage: it carries the current run
 * into the ambient `step` export. Found without a static `node:async_hooks`
 * import so this file also bundles for browsers (the playground); where no
 * AsyncLocalStorage exists, the current value is the most recently started
 * run that has not ended (right when runs execute one at a time).
 */

/** Carries a value through async calls started inside `run`. */
export interface Ambient<T> {
  run<R>(value: T, fn: () => R): R;
  current(): T | undefined;
  /** `current()` is the value of this async context (AsyncLocalStorage), not only the latest one started */
  readonly exact: boolean;
  /** The value's work is over (it may have left promises pending forever). */
  end(value: T): void;
}

interface AsyncLocalStorageLike<T> {
  run<R>(value: T, fn: () => R): R;
  getStore(): T | undefined;
}

type StorageClass = new <T>() => AsyncLocalStorageLike<T>;

function findAsyncLocalStorage(): StorageClass | undefined {
  const g = globalThis as { AsyncLocalStorage?: StorageClass; process?: { getBuiltinModule?(id: string): unknown } };
  if (g.AsyncLocalStorage) return g.AsyncLocalStorage;
  const hooks = g.process?.getBuiltinModule?.("node:async_hooks") as { AsyncLocalStorage?: StorageClass } | undefined;
  return hooks?.AsyncLocalStorage;
}

const Native = findAsyncLocalStorage();

/** Creates a context carrier: AsyncLocalStorage where available. */
export function createAmbient<T>(): Ambient<T> {
  if (Native) {
    const storage = new Native<T>();
    return { run: (value, fn) => storage.run(value, fn), current: () => storage.getStore(), exact: true, end: () => {} };
  }
  // Without AsyncLocalStorage: the most recently entered value that has not ended.
  const active: T[] = [];
  return {
    run: (value, fn) => (active.push(value), fn()),
    current: () => active[active.length - 1],
    exact: false,
    end: (value) => {
      const i = active.lastIndexOf(value);
      if (i >= 0) active.splice(i, 1);
    },
  };
}
