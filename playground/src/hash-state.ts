/**
 * The URL hash holds the selected example and, once edited, the code itself
 * (UTF-8, base64url), so a copied link reproduces exactly what is on screen.
 */
export interface HashState {
  example?: string;
  code?: string;
}

export function readHash(hash = location.hash): HashState {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const code = params.get("code");
  return {
    example: params.get("example") ?? undefined,
    code: code === null ? undefined : decodeBase64Url(code),
  };
}

export function writeHash(state: HashState): void {
  const params = new URLSearchParams();
  if (state.example) params.set("example", state.example);
  if (state.code !== undefined) params.set("code", encodeBase64Url(state.code));
  history.replaceState(null, "", `#${params}`);
}

function encodeBase64Url(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeBase64Url(encoded: string): string | undefined {
  try {
    const binary = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined; // a mangled link falls back to the example
  }
}
