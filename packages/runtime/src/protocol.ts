/**
 * The HTTP protocol of a durable endpoint (docs/protocol.md), on web-standard
 * Request/Response only:
 * - a request runs the handler inline: its Response, or 303 to the poll URL
 *   when the run suspends;
 * - GET/HEAD on `?__durable=<token>` long-polls: the final Response the
 *   moment the run finishes, else 202 + Retry-After; the poll also drives due
 *   work (serverless deployments have no scheduler between requests);
 * - `Idempotency-Key` re-attaches to (or takes over) the run of the same key;
 * - a streamed response is followed live, inline and on the poll URL, and
 *   resumed where the client asks (stream/rejoin.ts).
 */

import { runConcurrency } from "./concurrency.js";
import { runId, type TokenSigner } from "./crypto.js";
import type { Engine } from "./engine.js";
import { HttpError } from "./errors.js";
import type { Outcome } from "./execution.js";
import { checkRequestShape, idempotencyKey, persistedRequest, readBody, rebuildRequest, requestHash, triggerData } from "./request.js";
import { MAX_CANCEL_REASON } from "./run-control.js";
import { deserialize, streamedResponse } from "./serialize.js";
import type { EndpointDef, Services } from "./services.js";
import { isFinished, type RunRecord, type Store } from "./store.js";
import type { FollowContext } from "./stream/follow.js";
import { streamResponse, type StreamState } from "./stream/rejoin.js";

const TOKEN_PARAM = "__durable";
const RUN_ID_HEADER = "X-Durable-Run-Id";
const POLL_URL_HEADER = "X-Durable-Poll-Url";


/** Whether a store error says "unavailable, try again later" (see Store): answered 503, not 500. */
const isUnavailable = (error: unknown) => (error as { retriable?: unknown } | null)?.retriable === true;

const closing = () => HttpError.unavailable("This server is shutting down; try again");

/**
 * `pathname` as a Location no browser reads as another host: a path starting
 * with "//" (or "/\" before URL parsing turned it into "//") would be
 * protocol-relative. "/.//x" resolves to the path "//x" on this origin.
 */
const pathReference = (pathname: string) => (pathname.startsWith("//") ? `/.${pathname}` : pathname);

const notFound = () => new HttpError(404, "Unknown or expired poll URL", { name: "NotFound", headers: { "Cache-Control": "no-store" } });

export class Protocol {
  /** cancels of the long-polls waiting now (all ended when the client closes) */
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly services: Services,
    private readonly engine: Engine,
  ) {
    // one listener for every long-poll: one each would pile up on the shared signal
    services.closing.addEventListener("abort", () => this.waiting.forEach((cancel) => cancel()), { once: true });
  }

  async handle(req: Request, def: EndpointDef): Promise<Response> {
    // timers are unref'd, but a caller awaiting this Response must get it (e.g. a script's top-level await)
    const release = this.services.clock.hold();
    try {
      const url = new URL(req.url);
      const token = url.searchParams.get(TOKEN_PARAM);
      return token === null ? await this.start(req, url, def) : await this.poll(req, url, def, token);
    } catch (error) {
      if (error instanceof HttpError) return error.getResponse();
      if (error instanceof TypeError && /URL/i.test(error.message)) return new HttpError(400, "Invalid request URL", { name: "BadRequest" }).getResponse();
      // whatever failed while the client closes (its store is closing too) is part of closing
      if (this.services.closing.aborted) return closing().getResponse();
      if (isUnavailable(error)) {
        this.services.logger.warn(`[durable] request answered 503: ${(error as Error).message}`);
        return HttpError.unavailable("The durable endpoint could not reach its store; try again").getResponse();
      }
      this.services.logger.error("[durable] request failed", error);
      return HttpError.internal(error).getResponse();
    } finally {
      release();
      this.services.answered();
    }
  }

  /** A new request: create the run (or find the one of its Idempotency-Key) and execute it inline. */
  private async start(req: Request, url: URL, def: EndpointDef): Promise<Response> {
    const { services, engine } = this;
    // the headers, read once: checked, and those persisted kept
    const headers = checkRequestShape(req, services.persistHeaders);
    const body = req.body === null ? null : await readBody(req, services.limits.maxBodyBytes);
    const { store, signer } = await services.use(true);
    const key = idempotencyKey(req) === null ? null : await this.scopedKey(req, signer);
    const concurrency = def.concurrency === null ? null : await runConcurrency(def.id, def.concurrency, () => rebuildRequest(req, body));
    const now = services.clock.now();
    const run: RunRecord = {
      id: runId(now),
      endpoint: def.id,
      version: def.machine?.version ?? null,
      status: "running",
      state: 0,
      locals: null,
      counters: null,
      request: persistedRequest(req, body, headers),
      trigger: JSON.stringify(triggerData(url, body)),
      idempotencyKey: key,
      requestHash: key === null ? "" : await requestHash(req, url, body),
      result: null,
      wakeAt: null,
      leaseOwner: services.owner,
      leaseExpiresAt: now + services.leaseMs,
      fence: 1,
      stepsDone: 0,
      concurrency,
      createdAt: now,
      updatedAt: now,
    };
    const created = await store.createRun(run);
    if (!created.created) return this.attach(created.run, run.requestHash, url, def, req, signer);
    // no concurrency slot free: queued, it starts (on any instance) when its turn comes; the client polls meanwhile
    if (created.run.leaseOwner === null) return this.redirect(run.id, url, def, signer);
    engine.adopt(run);
    // the handler gets the original request, or a copy carrying the body already read from it
    const outcome = await engine.execute(def, run, body === null ? req : rebuildRequest(req, body), true);
    return this.answer(outcome, run.id, url, def, req.method, signer);
  }

  /**
   * The request's Idempotency-Key (null: none, or empty) within its caller's
   * scope: `<HMAC of the scope>:<key>`, so the same key from another caller
   * names another run, and the scope (credentials) is never stored.
   */
  private async scopedKey(req: Request, signer: TokenSigner): Promise<string | null> {
    const key = idempotencyKey(req);
    if (key === null) return null;
    return `${await signer.digest("idempotency-scope", await this.services.idempotencyScope(req))}:${key}`;
  }

  /** Same Idempotency-Key again: its result, its poll URL, or a takeover when its owner is gone. */
  private async attach(
    run: RunRecord,
    hash: string,
    url: URL,
    def: EndpointDef,
    req: Request,
    signer: TokenSigner,
  ): Promise<Response> {
    if (run.requestHash !== hash) {
      throw new HttpError(422, "This Idempotency-Key was already used with a different request", { name: "IdempotencyKeyReused" });
    }
    if (isFinished(run)) return this.replay(run, req, url, def, signer);
    const sleeping = run.status === "waiting" && run.wakeAt !== null && run.wakeAt > this.services.clock.now();
    const leased = sleeping ? null : await this.engine.acquire(run.id);
    if (!leased) return this.redirect(run.id, url, def, signer);
    return this.answer(await this.engine.resume(def, leased), run.id, url, def, req.method, signer);
  }

  private async answer(outcome: Outcome, runId: string, url: URL, def: EndpointDef, method: string, signer: TokenSigner) {
    if (outcome.kind === "streaming") {
      const { head, generation } = outcome;
      return this.follow(runId, null, method, url, def, signer, { head, generation, size: 0, complete: false });
    }
    if (outcome.kind !== "done") return this.redirect(runId, url, def, signer);
    return withRunId(outcome.response, runId, method);
  }

  private async redirect(runId: string, url: URL, def: EndpointDef, signer: TokenSigner): Promise<Response> {
    const location = await this.pollUrl(runId, url, def, signer);
    return new Response(null, { status: 303, headers: { Location: location, [RUN_ID_HEADER]: runId, "Cache-Control": "no-store" } });
  }

  private async pollUrl(runId: string, url: URL, def: EndpointDef, signer: TokenSigner): Promise<string> {
    return `${pathReference(url.pathname)}?${TOKEN_PARAM}=${await signer.sign(def.id, runId)}`;
  }

  /** The run's final Response; a streamed one is followed from the store, resumed where `req` asks. */
  private async replay(run: RunRecord, req: Request, url: URL, def: EndpointDef, signer: TokenSigner): Promise<Response> {
    const streamed = streamedResponse(run.result);
    if (!streamed) return withRunId(deserialize<Response>(run.result!), run.id, req.method);
    return this.follow(run.id, req, req.method, url, def, signer, { ...streamed, complete: true });
  }

  /**
   * A client following the run's streamed response (live while it is
   * produced; `req` null: the inline client, from the start). It names the
   * run's poll URL: a client that drops rejoins there.
   */
  private async follow(runId: string, req: Request | null, method: string, url: URL, def: EndpointDef, signer: TokenSigner, state: StreamState) {
    const { services } = this;
    const store = await services.store();
    const context: FollowContext = {
      store,
      clock: services.clock,
      runId,
      closing: services.closing,
      waitForChange: (ms, signal) => this.waitForChange(store, runId, ms, signal),
      idle: (run) => {
        const driven = this.drive(run, def);
        return driven instanceof Promise ? null : driven;
      },
      maxWaitMs: services.leaseMs,
    };
    const response = streamResponse(context, state, req);
    response.headers.set(POLL_URL_HEADER, await this.pollUrl(runId, url, def, signer));
    return withRunId(response, runId, method);
  }

  /** GET/HEAD on the poll URL: the final Response as soon as there is one, else 202 after `pollMs`. */
  private async poll(req: Request, url: URL, def: EndpointDef, token: string): Promise<Response> {
    if (req.method === "DELETE") return this.cancel(url, def, token);
    if (req.method !== "GET" && req.method !== "HEAD") {
      throw new HttpError(405, "A poll URL answers GET, HEAD and DELETE only", { name: "MethodNotAllowed", headers: { Allow: "GET, HEAD, DELETE" } });
    }
    const { clock } = this.services;
    const { store, signer } = await this.services.use(true);
    const runId = await signer.verify(def.id, token);
    let run = runId === null ? null : await store.getRun(runId);
    if (!run || run.endpoint !== def.id) throw notFound();
    const deadline = clock.now() + this.services.pollMs;
    for (;;) {
      if (isFinished(run)) return this.replay(run, req, url, def, signer);
      // a response streaming: followed live
      const stream = run.status === "running" ? await store.getStream(run.id) : null;
      if (stream) return this.follow(run.id, req, req.method, url, def, signer, { ...stream, complete: false });
      const driven = this.drive(run, def);
      if (driven instanceof Promise) {
        // resumed here: its Response, committed, is the answer (no wait for the store's signal, no re-read)
        const outcome = await this.within(driven, deadline - clock.now(), req.signal);
        if (outcome?.kind === "done") return withRunId(outcome.response, run.id, req.method);
      }
      const wakeAt = driven instanceof Promise ? null : driven;
      const now = clock.now();
      if (now >= deadline || req.signal?.aborted || this.services.closing.aborted) break;
      // subscribe first, then re-read: a change committed in between is not missed
      const wait = this.waitForChange(store, run.id, Math.min(deadline, wakeAt ?? deadline) - now, req.signal);
      const latest = await store.getRun(run.id);
      if (!latest) {
        wait.cancel();
        throw notFound();
      }
      if (fingerprint(latest) !== fingerprint(run)) wait.cancel();
      await wait.done;
      run = (await store.getRun(run.id)) ?? latest;
    }
    if (this.services.closing.aborted) throw closing();
    return this.pending(run, url, req.method);
  }

  /** DELETE on the poll URL (`?reason=` optional): cancels the run; `409` when it had already completed or failed. */
  private async cancel(url: URL, def: EndpointDef, token: string): Promise<Response> {
    const { store, signer } = await this.services.use(true);
    const runId = await signer.verify(def.id, token);
    const known = runId === null ? null : await store.getRun(runId);
    if (!known || known.endpoint !== def.id) throw notFound();
    const reason = url.searchParams.get("reason") ?? undefined;
    if (reason !== undefined && reason.length > MAX_CANCEL_REASON) {
      throw new HttpError(400, `The cancellation reason is ${reason.length} characters long; at most ${MAX_CANCEL_REASON} are allowed`);
    }
    const change = await this.engine.cancel(known.id, { reason });
    if (!change) throw notFound();
    const { run } = change;
    const headers = { [RUN_ID_HEADER]: run.id, "Cache-Control": "no-store" };
    if (run.status !== "cancelled") {
      throw new HttpError(409, `The run already ${run.status === "failed" ? "failed" : "completed"}; it cannot be cancelled`, {
        name: "RunFinished",
        headers,
        details: { runId: run.id, status: run.status },
      });
    }
    return Response.json({ runId: run.id, status: run.status }, { headers });
  }

  /**
   * Starts the run here if it is due and nobody holds it (serverless: the poll
   * is what makes progress): the outcome of that execution (null: someone else
   * had it, or it failed). Otherwise when the run will next be due, if known.
   */
  private drive(run: RunRecord, def: EndpointDef): Promise<Outcome | null> | number | null {
    const { services, engine } = this;
    const now = services.clock.now();
    const leaseFree = run.leaseOwner === null || (run.leaseExpiresAt ?? 0) <= now;
    const due = run.status === "running" || (run.wakeAt !== null && run.wakeAt <= now);
    if (!leaseFree) return run.leaseExpiresAt;
    if (!due) return run.wakeAt;
    return engine
      .acquire(run.id)
      .then((leased) => leased && engine.resume(def, leased))
      .catch((error) => {
        services.logger.error(`[durable] run ${run.id}: could not resume it`, error);
        return null;
      });
  }

  /** `work`'s result, or null once `ms` pass, the request aborts or the client closes (`work` goes on). */
  private async within<T>(work: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T | null> {
    const { clock } = this.services;
    let stop!: () => void;
    const stopped = new Promise<null>((resolve) => (stop = () => resolve(null)));
    const timer = clock.setTimeout(stop, Math.max(0, ms));
    signal?.addEventListener("abort", stop, { once: true });
    this.waiting.add(stop);
    if (signal?.aborted || this.services.closing.aborted) stop();
    try {
      return await Promise.race([work, stopped]);
    } finally {
      clock.clearTimer(timer);
      signal?.removeEventListener("abort", stop);
      this.waiting.delete(stop);
    }
  }

  /** Subscribes now; `done` resolves when the run changes, `ms` pass, the request aborts, the client closes or `cancel()` is called. */
  private waitForChange(store: Store, runId: string, ms: number, signal: AbortSignal | undefined) {
    const { clock } = this.services;
    const controller = new AbortController();
    const cancel = () => controller.abort();
    const timer = clock.setTimeout(cancel, Math.max(0, ms));
    signal?.addEventListener("abort", cancel, { once: true });
    this.waiting.add(cancel);
    const done = store.waitForChange(runId, controller.signal).finally(() => {
      clock.clearTimer(timer);
      signal?.removeEventListener("abort", cancel);
      this.waiting.delete(cancel);
    });
    return { done, cancel };
  }

  private pending(run: RunRecord, url: URL, method: string): Response {
    const body = {
      runId: run.id,
      status: run.status,
      wakeAt: run.wakeAt === null ? null : new Date(run.wakeAt).toISOString(),
    };
    const headers = { "Retry-After": "1", Location: `${pathReference(url.pathname)}${url.search}`, [RUN_ID_HEADER]: run.id, "Cache-Control": "no-store" };
    if (method === "HEAD") return new Response(null, { status: 202, headers });
    return Response.json(body, { status: 202, headers });
  }
}

/** `response` is a fresh deserialized copy: its headers are ours to set. */
function withRunId(response: Response, runId: string, method: string): Response {
  response.headers.set(RUN_ID_HEADER, runId);
  if (method !== "HEAD") return response;
  return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers });
}

const fingerprint = (run: RunRecord) => `${run.status}|${run.updatedAt}|${run.fence}|${run.leaseOwner}|${run.wakeAt}`;
