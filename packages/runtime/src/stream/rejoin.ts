/**
 * The HTTP answer for a streamed response: its head (status, headers) and a
 * followed body, from where the client asks to resume.
 *
 * - `text/event-stream`: `Last-Event-ID` resumes after that event. An id of
 *   the runtime's own (`<generation>-<offset>`) is found directly; an id the
 *   handler chose is looked up by reading the stream from its start. An id of
 *   a replaced stream, or one not found, gets a `durable-restart` event and
 *   the whole current stream.
 * - Other bytes: `Accept-Ranges: bytes` and an `ETag` naming the stream's
 *   generation (unless the handler set one). `Range: bytes=N-` (or `N-M`) on a
 *   `200` stream is answered `206`: `Content-Range: bytes N-M/size` once the
 *   stream is complete, `bytes N-9007199254740991/*` while it is still produced
 *   (its size is not known yet; the body follows the stream to its end). An
 *   `If-Range` that is not the current ETag gets the whole body (`200`); a
 *   start past the end of a complete stream is `416`.
 */

import { HttpError } from "../errors.js";
import { deserialize } from "../serialize.js";
import { followBody, type FollowContext, type FollowFrom } from "./follow.js";
import { isEventStream, parseEventId } from "./sse.js";

/** The last byte position of a range on a stream whose end is not known yet (the largest safe integer). */
const OPEN_END = Number.MAX_SAFE_INTEGER;

export interface StreamState {
  head: string;
  generation: number;
  /** bytes so far; the final size when `complete` */
  size: number;
  complete: boolean;
}

/** The Response for a client following the stream (`req` null: the inline client, from the start). */
export function streamResponse(ctx: FollowContext, state: StreamState, req: Request | null): Response {
  const head = deserialize<Response>(state.head);
  const headers = new Headers(head.headers);
  // it carries the poll URL, a capability: no shared cache keeps it unless the handler said so
  if (!headers.has("cache-control")) headers.set("cache-control", "no-store");
  const sse = isEventStream(headers);
  const from: FollowFrom = { generation: state.generation, offset: 0, sse, size: state.complete ? state.size : undefined };
  const get = req?.method === "GET";
  let status = head.status;
  let statusText = head.statusText;
  if (sse) {
    const lastId = get ? req.headers.get("last-event-id") : null;
    if (lastId) {
      const ours = parseEventId(lastId);
      if (ours && ours.generation !== state.generation) from.restart = true;
      else {
        from.afterEvent = lastId;
        from.offset = ours?.offset ?? 0;
      }
    }
  } else {
    if (!headers.has("etag")) headers.set("etag", `"${ctx.runId}.${state.generation}"`);
    headers.set("accept-ranges", "bytes");
    const range = get && status === 200 ? requestedRange(req, headers.get("etag")!) : null;
    if (range) {
      if (state.complete && range.first >= state.size) {
        throw new HttpError(416, `The stream is ${state.size} bytes long`, { name: "RangeNotSatisfiable", headers: { "Content-Range": `bytes */${state.size}` } });
      }
      from.offset = range.first;
      headers.delete("content-length");
      if (state.complete) {
        const last = Math.min(range.last ?? Infinity, state.size - 1);
        from.until = last + 1;
        headers.set("content-range", `bytes ${range.first}-${last}/${state.size}`);
        headers.set("content-length", String(last + 1 - range.first));
      } else {
        if (range.last !== undefined) from.until = range.last + 1;
        headers.set("content-range", `bytes ${range.first}-${range.last ?? OPEN_END}/*`);
      }
      status = 206;
      statusText = "Partial Content";
    }
  }
  const body = req?.method === "HEAD" ? null : followBody(ctx, from);
  return new Response(body, { status, statusText, headers });
}

/** `Range: bytes=first-[last]` when it applies (one range, `If-Range` matching); null means the whole body. */
function requestedRange(req: Request, etag: string): { first: number; last?: number } | null {
  const match = /^\s*bytes\s*=\s*(\d{1,15})\s*-\s*(\d{0,15})\s*$/i.exec(req.headers.get("range") ?? "");
  if (!match) return null;
  const ifRange = req.headers.get("if-range");
  // only a strong ETag can match (a date cannot: the stream has no Last-Modified)
  if (ifRange !== null && (ifRange.trim() !== etag || etag.startsWith("W/"))) return null;
  const first = Number(match[1]);
  const last = match[2] === "" ? undefined : Number(match[2]);
  if (last !== undefined && last < first) return null; // invalid: ignored
  return { first, last };
}
