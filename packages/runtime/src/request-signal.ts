/**
 * Requests whose signal the runtime itself aborts: those `toNodeHandler`
 * builds, by their signal's controller. An execution that starts on one
 * cancels the run through it (its handler gets the very Request) instead of
 * wrapping it in another Request whose signal also follows the cancellation —
 * a Request and two AbortSignals less per request.
 */
const controllers = new WeakMap<Request, AbortController>();

/** `req`'s signal is `controller`'s: whoever executes it may abort it (a client gone, a run cancelled). */
export function abortableRequest(req: Request, controller: AbortController): Request {
  controllers.set(req, controller);
  return req;
}

/** The controller of `req`'s signal, if the runtime made it. */
export const requestController = (req: Request): AbortController | undefined => controllers.get(req);
