/** Random ids, hashes and poll-token signatures, on WebCrypto only (works in Node, Bun, edge, browsers). */

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
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

export async function sha256(text: string | Uint8Array): Promise<string> {
  const data = typeof text === "string" ? encoder.encode(text) : text;
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>)));
}

/** Signs and verifies poll tokens `<runId>.<HMAC-SHA256(endpoint, runId)>`. */
export class TokenSigner {
  private key: Promise<CryptoKey>;

  constructor(secret: Promise<string>) {
    this.key = secret.then((s) =>
      crypto.subtle.importKey("raw", encoder.encode(s), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]),
    );
    this.key.catch(() => {}); // surfaced by sign/verify
  }

  async sign(endpoint: string, runId: string): Promise<string> {
    const mac = await crypto.subtle.sign("HMAC", await this.key, encoder.encode(`${endpoint}\n${runId}`));
    return `${runId}.${base64url(new Uint8Array(mac))}`;
  }

  /**
   * A keyed hash of `text` for `purpose` (base64url HMAC-SHA256). The NUL
   * before `purpose` keeps it apart from a token's MAC, whose message starts
   * with an endpoint id.
   */
  async digest(purpose: string, text: string): Promise<string> {
    const mac = await crypto.subtle.sign("HMAC", await this.key, encoder.encode(`\0${purpose}\0${text}`));
    return base64url(new Uint8Array(mac));
  }

  /** The run id inside a token signed for `endpoint`, or null (malformed, tampered, other endpoint). */
  async verify(endpoint: string, token: string): Promise<string | null> {
    const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return null;
    const [, runId, mac] = match;
    const signature = fromBase64url(mac!);
    if (!signature) return null;
    const ok = await crypto.subtle.verify("HMAC", await this.key, signature as Uint8Array<ArrayBuffer>, encoder.encode(`${endpoint}\n${runId}`));
    return ok ? runId! : null;
  }
}
