/**
 * P5 checkpoint size: bytes each checkpoint hands to the store vs the JSON size
 * of what must survive it — the live locals and the step's result. Fixture
 * `cartTotal`: after step "price" the handler still needs `cart`, `total`,
 * `lines` and the loop index `i`, plus the result; `scratch` is dead.
 * Also shown: SQLite's physical cost — file bytes (database + WAL) appended per
 * checkpoint, and the main database's growth per checkpoint once the WAL has
 * been checkpointed into it (what stays on disk).
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { metric } from "../lib/harness.mjs";
import { loadEndpoints } from "../lib/fixtures.mjs";
import { recordingStore } from "../lib/recording-store.mjs";
import { printTable } from "../lib/report.mjs";
import { median } from "../lib/stats.mjs";
import { call, finalJson, openStore, withClient } from "../contenders/ours.mjs";

const ITEMS = 20;
/** Cart runs measured on SQLite: the main file grows in 4 KiB pages, so one run is too few checkpoints to see it. */
const SQLITE_RUNS = 20;

/** The live set at each "price" checkpoint, rebuilt from the handler's own logic. */
function liveSetBytes() {
  const cart = {
    owner: "ada@example.com",
    items: Array.from({ length: ITEMS }, (_, i) => ({ sku: `sku-${i}`, qty: 1 + (i % 3), cents: 100 + i })),
  };
  const lines = cart.items.map((item) => JSON.stringify(item)).join("\n").length;
  const sizes = [];
  let total = 0;
  for (let i = 0; i < ITEMS; i++) {
    const cents = cart.items[i].cents * cart.items[i].qty;
    sizes.push(Buffer.byteLength(JSON.stringify({ cart, total, lines, i })) + Buffer.byteLength(JSON.stringify(cents)));
    total += cents;
  }
  return sizes;
}

const fileSize = (file) => (existsSync(file) ? statSync(file).size : 0);

/** Moves the WAL into the main database file and empties it (another connection, as any tool would). */
function checkpointWal(file) {
  const db = new Database(file);
  try {
    const [result] = db.pragma("wal_checkpoint(TRUNCATE)");
    if (result.busy) throw new Error(`${file}: WAL checkpoint blocked by a reader`);
  } finally {
    db.close();
  }
}

export async function run({ tmp }) {
  const compiled = await loadEndpoints("compiled");
  const recorder = recordingStore(openStore("memory", tmp, "p5"));
  await withClient(compiled, recorder.store, async (ep) => finalJson(await call(ep.cartTotal, `/cart?items=${ITEMS}`), "cart"));
  // checkpoint 0 is step "load"; then one per "price"
  const written = recorder.log.bytes.slice(1, 1 + ITEMS);
  const live = liveSetBytes();
  const ratios = written.map((bytes, i) => bytes / live[i]);

  const dbFile = join(tmp, "p5.db");
  const sqlite = recordingStore(openStore("sqlite", tmp, "p5"));
  const { walPerCheckpoint, mainPerCheckpoint } = await withClient(compiled, sqlite.store, async (ep) => {
    await finalJson(await call(ep.cartTotal, `/cart?items=1`), "cart warm-up"); // opens the file, creates tables
    checkpointWal(dbFile);
    const mainBefore = fileSize(dbFile);
    const before = mainBefore + fileSize(`${dbFile}-wal`);
    const checkpointsBefore = sqlite.log.count;
    await finalJson(await call(ep.cartTotal, `/cart?items=${ITEMS}`), "cart on sqlite");
    const appended = fileSize(dbFile) + fileSize(`${dbFile}-wal`) - before;
    const firstRun = sqlite.log.count - checkpointsBefore;
    for (let i = 1; i < SQLITE_RUNS; i++) await finalJson(await call(ep.cartTotal, `/cart?items=${ITEMS}`), "cart on sqlite");
    checkpointWal(dbFile);
    return { walPerCheckpoint: appended / firstRun, mainPerCheckpoint: (fileSize(dbFile) - mainBefore) / (sqlite.log.count - checkpointsBefore) };
  });
  await sqlite.store.close();
  const extra = written.map((bytes, i) => bytes - live[i]);

  printTable(
    `P5 checkpoint size (cart of ${ITEMS} items, "price" checkpoints)`,
    ["figure", "bytes (median)"],
    [
      ["handed to the store per checkpoint", median(written)],
      ["live locals + result (JSON)", median(live)],
      ["over the live set (handed − live)", median(extra)],
      ["SQLite file growth per checkpoint (database + WAL)", walPerCheckpoint],
      [`SQLite main database growth per checkpoint (after a WAL checkpoint, ${SQLITE_RUNS} runs)`, mainPerCheckpoint],
    ],
  );
  return [
    metric("P5.bytes_over_live_set", median(ratios), "x", {
      written_bytes: median(written),
      live_set_bytes: median(live),
      sqlite_file_bytes_per_checkpoint: walPerCheckpoint,
      sqlite_main_db_bytes_per_checkpoint: mainPerCheckpoint,
    }, "bytes handed to the store per checkpoint ÷ JSON of live locals + step result"),
    metric("P5.extra_bytes_per_checkpoint", median(extra), "B", {
      written_bytes: median(written),
      live_set_bytes: median(live),
    }, "bytes handed to the store per checkpoint − JSON of live locals + step result"),
    metric("P5.main_db_bytes_per_checkpoint", mainPerCheckpoint, "B", {
      sqlite_file_bytes_per_checkpoint: walPerCheckpoint,
    }, `growth of the SQLite main database per checkpoint after a WAL checkpoint (${SQLITE_RUNS} cart runs)`),
  ];
}
