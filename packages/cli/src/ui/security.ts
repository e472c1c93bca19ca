/**
 * Who may talk to the inspector.
 *
 * - Bound to loopback (the default), only Host headers naming loopback are
 *   accepted: a DNS-rebinding page (evil.example resolving to 127.0.0.1) is
 *   turned away even though its requests reach our socket.
 * - With a token (required when bound elsewhere), every request carries it:
 *   `Authorization: Bearer <token>`, or the cookie set when the printed
 *   `/?token=…` URL is opened (HttpOnly, SameSite=Strict).
 * - Actions are POSTs with a JSON body from this very origin: a cross-site
 *   form cannot send `application/json`, and a cross-site fetch that could is
 *   preflighted, which we never allow — and its Origin would not match anyway.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export interface Access {
  /** the host the server is bound to */
  host: string;
  port: number;
  token: string | null;
}

export type Verdict = { ok: true } | { ok: false; status: number; message: string } | { ok: "login"; location: string; cookie: string };

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export const isLoopback = (host: string): boolean => LOOPBACK_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

export const cookieName = (port: number): string => `durable_ui_${port}`;

export function checkRequest(req: IncomingMessage, access: Access): Verdict {
  if (isLoopback(access.host) && !loopbackHostHeader(req.headers.host, access.port)) {
    return { ok: false, status: 421, message: "this inspector only answers requests addressed to localhost" };
  }
  if (access.token === null) return { ok: true };
  if (sameToken(bearer(req) ?? cookie(req, cookieName(access.port)), access.token)) return { ok: true };
  const url = new URL(req.url ?? "/", "http://inspector");
  const offered = url.searchParams.get("token");
  if (req.method === "GET" && offered !== null && sameToken(offered, access.token)) {
    url.searchParams.delete("token");
    return {
      ok: "login",
      location: url.pathname + url.search,
      cookie: `${cookieName(access.port)}=${encodeURIComponent(access.token)}; HttpOnly; SameSite=Strict; Path=/`,
    };
  }
  return { ok: false, status: 401, message: "a token is required: open the URL `durable ui` printed (it carries ?token=…), or send Authorization: Bearer <token>" };
}

/** An action (POST) must come from the inspector's own page; null when it may proceed. */
export function checkAction(req: IncomingMessage): { status: number; message: string } | null {
  const site = req.headers["sec-fetch-site"];
  const origin = req.headers.origin;
  if ((site !== undefined && site !== "same-origin" && site !== "none") || (origin !== undefined && origin !== `http://${req.headers.host}`)) {
    return { status: 403, message: "actions are only accepted from the inspector's own page" };
  }
  const type = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") return { status: 415, message: "actions take a JSON body (Content-Type: application/json)" };
  return null;
}

/** Headers on every answer: no framing, no sniffing, no inline scripts, no referrer leaking run ids. */
export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Resource-Policy": "same-origin",
};

function loopbackHostHeader(header: string | undefined, port: number): boolean {
  if (!header) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header.toLowerCase());
  if (!match) return false;
  return isLoopback(match[1]!) && (match[2] === undefined ? port === 80 : Number(match[2]) === port);
}

function bearer(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  return match?.[1];
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function sameToken(offered: string | undefined, token: string): boolean {
  if (offered === undefined) return false;
  const a = Buffer.from(offered);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
