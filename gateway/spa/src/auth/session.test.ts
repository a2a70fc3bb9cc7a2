// The session logic against a small OIDC provider in the test (fetch answered in-process):
// the code exchange with state, nonce and ID token checks; tokens kept in memory, the refresh
// token rotated in sessionStorage; one refresh at a time; a refused refresh ends the session.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { base64url } from "./encoding";
import * as auth from "./session";

const ISSUER = "http://localhost/api/access";
const enc = (value: object) => base64url(new TextEncoder().encode(JSON.stringify(value)));

class Provider {
  keys!: CryptoKeyPair;
  publicJwk!: JsonWebKey;
  refreshTokens = new Set<string>();
  tokenCalls: URLSearchParams[] = [];
  serial = 0;
  audience = auth.CLIENT_ID;
  nonce: string | null = null;
  refuseRefresh = false;

  async init() {
    this.keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    this.publicJwk = await crypto.subtle.exportKey("jwk", this.keys.publicKey);
  }

  async sign(claims: object): Promise<string> {
    const input = `${enc({ alg: "ES256", kid: "k1", typ: "JWT" })}.${enc(claims)}`;
    const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, this.keys.privateKey, new TextEncoder().encode(input));
    return `${input}.${base64url(signature)}`;
  }

  async tokens(withId: boolean) {
    this.serial += 1;
    const now = Math.floor(Date.now() / 1000);
    const refresh = `refresh-${this.serial}`;
    this.refreshTokens.add(refresh);
    const body: Record<string, unknown> = {
      access_token: await this.sign({ sub: "u1", roles: ["supervisory_officer"], unit: "HQ", exp: now + 300, n: this.serial }),
      expires_in: 300,
      refresh_token: refresh,
    };
    if (withId) {
      body.id_token = await this.sign({ iss: ISSUER, aud: this.audience, sub: "u1", name: "Nguyễn Văn A", exp: now + 300, nonce: this.nonce });
    }
    return body;
  }

  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
    if (url.endsWith("/.well-known/openid-configuration")) {
      return json(200, {
        issuer: ISSUER,
        authorization_endpoint: `${ISSUER}/oauth/authorize`,
        token_endpoint: `${ISSUER}/oauth/token`,
        jwks_uri: `${ISSUER}/.well-known/jwks.json`,
        revocation_endpoint: `${ISSUER}/oauth/revoke`,
      });
    }
    if (url.endsWith("/jwks.json")) return json(200, { keys: [{ ...this.publicJwk, kid: "k1" }] });
    if (url.endsWith("/oauth/token")) {
      const form = new URLSearchParams(String(init?.body));
      this.tokenCalls.push(form);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (form.get("grant_type") === "authorization_code") return json(200, await this.tokens(true));
      const presented = form.get("refresh_token") || "";
      if (this.refuseRefresh || !this.refreshTokens.delete(presented)) return json(400, { error: "invalid_grant" });
      return json(200, await this.tokens(false));
    }
    if (url.endsWith("/oauth/revoke")) return new Response(null, { status: 200 });
    return json(404, {});
  };
}

let provider: Provider;

async function signIn(): Promise<void> {
  const url = new URL(await auth.authorizationUrl({ signin: "tx-1", returnTo: "/epes" }));
  provider.nonce = url.searchParams.get("nonce");
  expect(url.searchParams.get("code_challenge_method")).toBe("S256");
  const next = await auth.completeAuthorization(`?code=c1&state=${url.searchParams.get("state")}`);
  expect(next).toBe("/epes");
}

beforeEach(async () => {
  auth.resetForTests();
  window.sessionStorage.clear();
  provider = new Provider();
  await provider.init();
  vi.stubGlobal("fetch", provider.fetch);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the authorization code flow", () => {
  it("signs in, keeps the access token in memory and only the refresh token in the tab", async () => {
    await signIn();
    expect(auth.currentUser()?.name).toBe("Nguyễn Văn A");
    expect(auth.currentUser()?.roles).toEqual(["supervisory_officer"]);
    const verifier = provider.tokenCalls[0].get("code_verifier");
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    const stored = JSON.stringify({ ...window.sessionStorage, ...window.localStorage });
    expect(stored).toContain("refresh-1");
    expect(stored).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
    expect(window.sessionStorage.getItem(auth.PENDING_KEY)).toBeNull();
  });

  it("refuses a callback whose state it did not send, without exchanging the code", async () => {
    await auth.authorizationUrl({ signin: "tx-1" });
    await expect(auth.completeAuthorization("?code=stolen&state=forged")).rejects.toMatchObject({ code: "auth.error.state" });
    expect(provider.tokenCalls).toHaveLength(0);
  });

  it("refuses an ID token with another nonce", async () => {
    const url = new URL(await auth.authorizationUrl({ signin: "tx-1" }));
    provider.nonce = "someone-else";
    await expect(auth.completeAuthorization(`?code=c1&state=${url.searchParams.get("state")}`)).rejects.toMatchObject({ code: "auth.error.nonce" });
    expect(auth.isSignedIn()).toBe(false);
  });

  it("refuses an ID token for another audience", async () => {
    provider.audience = "another-client";
    await expect(signIn()).rejects.toMatchObject({ code: "auth.error.token" });
  });

  it("refuses an ID token signed by another key", async () => {
    const url = new URL(await auth.authorizationUrl({ signin: "tx-1" }));
    provider.nonce = url.searchParams.get("nonce");
    const other = new Provider();
    await other.init();
    provider.publicJwk = other.publicJwk;
    await expect(auth.completeAuthorization(`?code=c1&state=${url.searchParams.get("state")}`)).rejects.toThrow(/signature/);
  });

  it("never returns to another origin", () => {
    expect(auth.safeReturnPath("//evil.example/x")).toBe("/");
    expect(auth.safeReturnPath("https://evil.example")).toBe("/");
    expect(auth.safeReturnPath("/incidents/1")).toBe("/incidents/1");
  });
});

describe("token refresh", () => {
  it("rotates the refresh token, one request at a time", async () => {
    await signIn();
    const [a, b, c] = await Promise.all([auth.refresh(), auth.refresh(), auth.refresh()]);
    expect([a, b, c]).toEqual([true, true, true]);
    const refreshes = provider.tokenCalls.filter((form) => form.get("grant_type") === "refresh_token");
    expect(refreshes.map((form) => form.get("refresh_token"))).toEqual(["refresh-1"]);
    expect(window.sessionStorage.getItem(auth.REFRESH_KEY)).toBe("refresh-2");
    await auth.refresh();
    expect(window.sessionStorage.getItem(auth.REFRESH_KEY)).toBe("refresh-3");
  });

  it("resumes a reloaded tab from its refresh token", async () => {
    await signIn();
    const token = window.sessionStorage.getItem(auth.REFRESH_KEY)!;
    auth.resetForTests(); // the reload: memory gone, sessionStorage kept
    window.sessionStorage.setItem(auth.REFRESH_KEY, token);
    expect(await auth.restore()).toBe(true);
    expect(await auth.accessToken()).toMatch(/^eyJ/);
  });

  it("ends the session when the provider refuses the refresh token", async () => {
    await signIn();
    const seen: (auth.User | null)[] = [];
    auth.onSessionChange((user) => seen.push(user));
    provider.refuseRefresh = true;
    expect(await auth.refresh()).toBe(false);
    expect(auth.isSignedIn()).toBe(false);
    expect(window.sessionStorage.getItem(auth.REFRESH_KEY)).toBeNull();
    expect(seen).toEqual([null]);
  });

  it("signs out by revoking the refresh token", async () => {
    await signIn();
    const revoked: string[] = [];
    const original = provider.fetch;
    vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
      if (String(input).endsWith("/oauth/revoke")) revoked.push(new URLSearchParams(String(init?.body)).get("token") || "");
      return original(input, init);
    });
    await auth.signOut();
    expect(revoked).toEqual(["refresh-1"]);
    expect(auth.isSignedIn()).toBe(false);
    expect(window.sessionStorage.getItem(auth.REFRESH_KEY)).toBeNull();
  });
});
