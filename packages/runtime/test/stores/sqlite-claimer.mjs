// Child process for sqlite.test.ts: opens the shared SQLite file, says "ready", waits for "go" on stdin
// (so all claimers race), claims due runs until none are left, then prints the ids it got.
// argv: <bundled sqlite store module> <db path> <owner>
const [storeModule, path, owner] = process.argv.slice(2);
const { sqliteStore } = await import(storeModule);
const store = sqliteStore({ path });
await store.getRun("warm-up");
process.stdout.write("ready\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
const claimed = [];
for (;;) {
  const runs = await store.claimDue(["app:/checkout"], owner, 60_000, Date.now(), 2);
  if (runs.length === 0) break;
  claimed.push(...runs.map((r) => r.id));
  // Yield between claims, as a scheduler would, so the processes' claims interleave even on a loaded machine.
  await new Promise((resolve) => setTimeout(resolve, 1));
}
await store.close();
process.stdout.write(JSON.stringify(claimed));
process.stdin.destroy();
