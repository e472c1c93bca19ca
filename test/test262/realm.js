/**
 * Runs inside every fresh realm (one per simulated process): the handler's world. `host` is
 * the runner's side: the run record (what a store keeps), whether to save, a timer, and
 * `onCheckpoint`, told the lines printed so far at each checkpoint. Defines `print`, `$DONE`,
 * `inngest.endpoint` (identity), the step tools — memoized by id, with a runtime-like checkpoint
 * (the values of `live[state]` noted when a state is entered, serialized when a step settles, a local the
 * machine re-creates left out when it cannot be: the runtime's `snapshotLocals`) — and
 * `__t262.run()`, which runs the plain handler or the machine (from the record's checkpoint) and
 * reports a realm-independent outcome. `__serializer` is the runtime's own serialize.ts.
 */
(function (host) {
  "use strict";
  // only a saving run loads the serializer (it costs more than the realm)
  const { serialize, snapshotLocals, finish, deserialize } = host.save ? globalThis.__serializer : {};
  const prints = [];
  let finished;
  const done = new Promise((resolve) => (finished = resolve));
  const describe = (error) => {
    try {
      if ((typeof error === "object" && error !== null) || typeof error === "function") {
        const name = error.constructor?.name ?? Object.prototype.toString.call(error);
        return `${name}: ${error.message}`;
      }
      return `thrown ${typeof error}: ${String(error)}`;
    } catch {
      return "an error that cannot be described";
    }
  };
  globalThis.print = (...args) => void prints.push(args.map(String).join(" "));
  // the outcome of the first `$DONE` call (null: passed), carried from a crashed process like its printed lines
  let doneOutcome = host.doneBefore;
  if (doneOutcome !== undefined) finished(doneOutcome);
  globalThis.$DONE = (error) => {
    if (doneOutcome !== undefined) return;
    doneOutcome = error === undefined ? null : describe(error);
    finished(doneOutcome);
  };
  globalThis.inngest = { endpoint: (handler) => handler };

  const record = host.record;
  const save = host.save;
  let state = record.checkpoint?.state ?? 0;
  let stateValues = {};
  let stateInputs = {};
  const locals = record.checkpoint ? deserialize(record.checkpoint.locals) : {};
  let machine = null;

  const checkpoint = () => {
    let text;
    try {
      text = finish(snapshotLocals(stateValues, stateInputs, machine.recreate));
    } catch (error) {
      const unsaveable = new Error(`Cannot checkpoint state ${state}: ${error.path ? `local ${error.path} holds ` : ""}${error.message}`);
      unsaveable.unsaveable = true;
      throw unsaveable;
    }
    record.checkpoint = { state, locals: text };
    record.checkpoints++;
    host.onCheckpoint(prints.slice(), doneOutcome);
  };
  // every path takes the same two promise jobs (a saving run's serialize is one of them), so the plain run, the
  // compiled run and the saving run interleave with the body's un-awaited promise jobs alike
  const run = async (id, fn) => {
    if (save && record.memo.has(id)) {
      await null;
      await null;
      return deserialize(record.memo.get(id));
    }
    const value = await fn();
    if (!save) {
      await null;
      return value;
    }
    record.memo.set(id, await serialize(value));
    checkpoint();
    return value;
  };
  const tools = { run, sleep: (id) => run(id, () => undefined), waitForEvent: (id) => run(id, () => null) };
  globalThis.__t262step = tools;

  const $ = {
    get state() {
      return state;
    },
    set state(next) {
      state = next;
      if (!save) return;
      stateValues = {};
      stateInputs = {};
      for (const name of machine.live[next] ?? []) {
        if (name in locals) stateValues[name] = locals[name];
        // a local the machine re-creates: what its initializer reads is saved when it cannot be
        if (machine.recreate && Object.hasOwn(machine.recreate, name)) for (const input of machine.recreate[name]) if (input in locals) stateInputs[input] = locals[input];
      }
    },
    locals,
    step: tools,
  };

  globalThis.__t262 = {
    async run(compiled, isAsync) {
      const request = new host.Request("http://localhost/t262");
      const handler = globalThis.__handler;
      let settled;
      try {
        if (compiled) machine = handler;
        const result = compiled ? handler.resume($, request) : handler(request);
        settled = await result.then(
          () => ({ kind: "ok" }),
          (error) => (error?.unsaveable ? { kind: "unsaveable", error: error.message } : { kind: "throw", error: describe(error) }),
        );
      } catch (error) {
        settled = { kind: "throw", error: describe(error) };
      }
      if (settled.kind === "ok" && isAsync) {
        const outcome = await Promise.race([done, host.timeout()]);
        if (outcome === host.TIMEOUT) return { kind: "timeout", prints };
        if (outcome !== null) return { kind: "throw", error: `$DONE: ${outcome}`, prints };
      }
      return { ...settled, prints };
    },
  };
})(__host);
