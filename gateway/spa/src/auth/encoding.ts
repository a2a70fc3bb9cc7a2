// The byte encodings OAuth needs: base64url (RFC 4648 section 5), PKCE S256 challenges
// (RFC 7636 section 4.2) and reading a JWT's parts (nothing checked here).

export function base64url(bytes: ArrayBuffer | Uint8Array): string {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function base64urlDecode(text: string): Uint8Array<ArrayBuffer> {
  const padded = text
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(text.length / 4) * 4, "=");
  const binary = atob(padded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** `byteCount` random bytes, base64url: state, nonce and PKCE verifiers. */
export function randomString(byteCount = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** The S256 PKCE challenge of a verifier. */
export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(digest);
}

export interface DecodedJwt {
  header: { alg?: string; kid?: string; [name: string]: unknown };
  claims: Record<string, unknown>;
  signingInput: Uint8Array<ArrayBuffer>;
  signature: Uint8Array<ArrayBuffer>;
}

/** A JWT's header and claims, without checking anything; throws on anything but three parts. */
export function decodeJwt(token: string): DecodedJwt {
  const parts = String(token).split(".");
  if (parts.length !== 3) throw new Error("not a JWT");
  const decoder = new TextDecoder();
  return {
    header: JSON.parse(decoder.decode(base64urlDecode(parts[0]))),
    claims: JSON.parse(decoder.decode(base64urlDecode(parts[1]))),
    signingInput: new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
    signature: base64urlDecode(parts[2]),
  };
}
