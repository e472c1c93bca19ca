// Drives one run end to end over HTTP the way a client would, through whichever instance is alive:
// POST with an Idempotency-Key (retried on another instance when one dies), then long-polls the 303
// Location on random instances, sending an approval event through an instance other than the one
// just polled, until the final Response arrives: a new id, or (1 in 3) the run's previous id again; 1 in 3
// with a ts 1–3 s ahead (a wait begun before it counts it; one begun after the run received it never may).
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function driveRun({ cluster, path, key, index, stats, deadline }) {
  const outcome = await drive({ cluster, path, key, index, stats, deadline });
  return { key, index, path, ...outcome };
}

/** The request that starts run `key` — or, sent again, re-attaches to it (same Idempotency-Key). */
export function startRequest(key, index) {
  return {
    method: "POST",
    headers: { "idempotency-key": key, "content-type": "application/json" },
    body: JSON.stringify({ n: index }),
  };
}

async function drive({ cluster, path, key, index, stats, deadline }) {
  let location = null;
  const sent = { ids: 0 };
  let last = null;
  while (location === null) {
    if (Date.now() > deadline) return { error: "timed out starting", last };
    const response = await request(cluster.pick(), `${path}?id=${key}`, startRequest(key, index), stats);
    last = response?.status ?? "connection error";
    if (response?.status === 201) return { location, final: response };
    if (response?.status === 303) location = response.location;
    else await sleep(50);
  }
  for (;;) {
    if (Date.now() > deadline) return { location, error: "timed out polling", last };
    const worker = cluster.pick();
    const response = await request(worker, location, { method: "GET" }, stats);
    last = response?.status ?? "connection error";
    if (response?.status === 201) return { location, final: response };
    if (response?.status === 202) await sendApproval(cluster, worker, key, stats, sent);
    else if (response?.status !== 303) await sleep(50); // instance down or store unavailable: try elsewhere
  }
}

async function sendApproval(cluster, except, key, stats, sent) {
  const resend = sent.ids > 0 && Math.random() < 1 / 3;
  if (!resend) sent.ids++;
  const event = { name: "chaos/approved", id: `${key}.e${sent.ids}`, data: { id: key, by: "driver" } };
  if (Math.random() < 1 / 3) event.ts = Date.now() + 1000 + Math.floor(Math.random() * 2000);
  const response = await request(cluster.pick(except), "/send", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(event),
  }, stats);
  if (response?.status === 200) {
    stats.events++;
    if (resend) stats.resends = (stats.resends ?? 0) + 1;
  }
}

/** One HTTP exchange; null when the instance died under it. */
export async function request(worker, pathAndQuery, init, stats) {
  if (!worker) {
    await sleep(50);
    return null;
  }
  stats.requests++;
  try {
    const response = await fetch(worker.url + pathAndQuery, { ...init, redirect: "manual", signal: AbortSignal.timeout(30_000) });
    const body = await response.text();
    stats.statuses[response.status] = (stats.statuses[response.status] ?? 0) + 1;
    return {
      status: response.status,
      location: response.headers.get("location"),
      runId: response.headers.get("x-durable-run-id"),
      runHeader: response.headers.get("x-chaos-run"),
      body,
    };
  } catch (error) {
    stats.connectionErrors++;
    if (process.env.CHAOS_VERBOSE) console.error(`[chaos] ${worker.pid} ${pathAndQuery}: ${error.cause?.code ?? error.name} ${error.cause?.message ?? error.message}`);
    return null;
  }
}
