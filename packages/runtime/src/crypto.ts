/**
 * Random ids, hashes and poll-token signatures. HMAC and SHA-256 use
 * `node:crypto` where the runtime has it (Node, Bun, Deno): synchronous, a few
 * µs. WebCrypto (edge runtimes, browsers) runs each call as a job on another
 * thread — a thread hop per poll on a busy machine costs more than the rest
 * of a resume.
 */

const encoder = new TextEncoder();

interface NodeCrypto {
  createSecretKey(key: Uint8Array): object;
  createHmac(algorithm: "sha256", key: object): { update(data: string): { digest(encoding: "base64url"): string } };
  createHash(algorithm: "sha256"): { update(data: Uint8Array): { digest(encoding: "base64url"): string } };
}

const native = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule?.("node:crypto") as
  | NodeCrypto
  | undefined;

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Compares in time independent of where the texts differ (a MAC must not leak its prefix). */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Random bytes drawn in bulk: one getRandomValues call costs several µs, a run needs 16 bytes. */
const pool = new Uint8Array(4096);
let poolUsed = pool.length;

function randomBytes(bytes: number): Uint8Array {
  if (bytes > pool.length) return crypto.getRandomValues(new Uint8Array(bytes));
  if (poolUsed + bytes > pool.length) {
    crypto.getRandomValues(pool);
    poolUsed = 0;
  }
  const out = pool.slice(poolUsed, poolUsed + bytes);
  pool.fill(0, poolUsed, (poolUsed += bytes)); // handed out bytes do not stay in memory
  return out;
}

/** `bytes` random bytes as base64url (16 bytes = 128 bits → 22 characters). */
export const randomId = (bytes = 16): string => base64url(randomBytes(bytes));

/** 64 URL-safe characters in ASCII order: ids written with them sort as their bits do. */
const SORTABLE = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

/**
 * A run id: 22 URL-safe characters, the first 8 the creation time `now` in ms
 * (48 bits), the other 14 random (84 bits). A later run's id sorts after: a
 * store's indexes by run id take new runs at their end, so the writes of
 * concurrent requests share pages instead of each landing on a random one.
 */
export function runId(now: number): string {
  let id = "";
  for (let shift = 42; shift >= 0; shift -= 6) id += SORTABLE[Math.floor(now / 2 ** shift) % 64];
  for (const byte of randomBytes(14)) id += SORTABLE[byte & 63];
  return id;
}

export async function sha256(text: string | Uint8Array): Promise<string> {
  const data = typeof text === "string" ? encoder.encode(text) : text;
  if (native) return native.createHash("sha256").update(data).digest("base64url");
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>)));
}

/** HMAC-SHA256 of a message under `secret`, as base64url. */
type Mac = (message: string) => string | Promise<string>;

/** A secret's MAC, and the same remembering the MACs of the last MAX_MEMOS poll tokens. */
interface Macs {
  mac: Mac;
  token: Mac;
}

/**
 * MACs by secret, shared by the clients of this process (a serverless
 * invocation's fresh client, a test's many): the key is prepared once per
 * secret — a WebCrypto import is a job on another thread — and a poll token
 * this process signed or verified lately is checked by a map lookup, not an
 * HMAC. Only tokens are remembered: an idempotency scope holds credentials.
 */
const macs = new Map<string, Macs>();
const MAX_SECRETS = 16;
const MAX_MEMOS = 1024;

function macFor(secret: string): Macs {
  let found = macs.get(secret);
  if (!found) {
    if (macs.size >= MAX_SECRETS) macs.clear();
    const mac = hmac(secret);
    macs.set(secret, (found = { mac, token: memoized(mac) }));
  }
  return found;
}

function hmac(secret: string): Mac {
  if (native) {
    const key = native.createSecretKey(encoder.encode(secret));
    return (message) => native.createHmac("sha256", key).update(message).digest("base64url");
  }
  const key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  // a failed import must not stick: the next client over this secret tries again
  key.catch(() => macs.delete(secret));
  return async (message) => base64url(new Uint8Array(await crypto.subtle.sign("HMAC", await key, encoder.encode(message))));
}

/** `mac` remembering its last MAX_MEMOS results (a failed WebCrypto call is not kept). */
function memoized(mac: Mac): Mac {
  const memo = new Map<string, string>();
  const keep = (message: string, value: string) => {
    if (memo.size >= MAX_MEMOS) memo.delete(memo.keys().next().value!);
    memo.set(message, value);
    return value;
  };
  return (message) => {
    const known = memo.get(message);
    if (known !== undefined) return known;
    const value = mac(message);
    return typeof value === "string" ? keep(message, value) : value.then((v) => keep(message, v));
  };
}

/** Signs and verifies poll tokens `<runId>.<HMAC-SHA256(endpoint, runId)>`. */
export class TokenSigner {
  private readonly mac: Promise<Macs>;

  constructor(secret: Promise<string>) {
    this.mac = secret.then(macFor);
    this.mac.catch(() => {}); // surfaced by sign/verify
  }

  async sign(endpoint: string, runId: string): Promise<string> {
    const { token } = await this.mac;
    return `${runId}.${await token(`${endpoint}\n${runId}`)}`;
  }

  /**
   * A keyed hash of `text` for `purpose` (base64url HMAC-SHA256). The NUL
   * before `purpose` keeps it apart from a token's MAC, whose message starts
   * with an endpoint id.
   */
  async digest(purpose: string, text: string): Promise<string> {
    const { mac } = await this.mac;
    return mac(`\0${purpose}\0${text}`);
  }

  /** The run id inside a token signed for `endpoint`, or null (malformed, tampered, other endpoint). */
  async verify(endpoint: string, token: string): Promise<string | null> {
    const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return null;
    const [, runId, given] = match;
    const macs = await this.mac;
    return sameText(await macs.token(`${endpoint}\n${runId}`), given!) ? runId! : null;
  }
}
