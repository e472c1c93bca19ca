// Preloaded (`node --import`) into an app process whose clock is off, as on a machine whose clock
// drifted: Date.now() — the runtime's clock, so its leases, wake-up times, waits' `since` and events'
// `ts` — reads the machine's clock plus FAULT_CLOCK_SKEW_MS (ahead when positive, behind when negative).
// The true clock stays reachable for the run's ledger (fault-app.mjs), which every checker reads.
const skew = Number(process.env.FAULT_CLOCK_SKEW_MS ?? 0);
const trueNow = Date.now;
globalThis[Symbol.for("durable-faults.trueNow")] = trueNow;
Date.now = () => trueNow() + skew;
