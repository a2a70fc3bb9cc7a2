import { describe, expect, it } from "vitest";
import { base64url, base64urlDecode, decodeJwt, pkceChallenge, randomString } from "./encoding";

describe("PKCE", () => {
  it("derives the S256 challenge of RFC 7636 appendix B", async () => {
    expect(await pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("makes verifiers of the allowed alphabet and length, never twice the same", () => {
    const a = randomString(48);
    const b = randomString(48);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(a).not.toBe(b);
  });
});

describe("base64url", () => {
  it("round-trips bytes without padding or +/ characters", () => {
    const bytes = new Uint8Array([251, 255, 191, 0, 1]);
    const text = base64url(bytes);
    expect(text).toBe("-_-_AAE");
    expect([...base64urlDecode(text)]).toEqual([...bytes]);
  });
});

describe("decodeJwt", () => {
  it("reads header and claims, and refuses what is not three parts", () => {
    const token = `${base64url(new TextEncoder().encode('{"alg":"ES256","kid":"k1"}'))}.${base64url(
      new TextEncoder().encode('{"sub":"u1","name":"Nguyễn Văn A"}'),
    )}.c2ln`;
    const jwt = decodeJwt(token);
    expect(jwt.header).toEqual({ alg: "ES256", kid: "k1" });
    expect(jwt.claims.name).toBe("Nguyễn Văn A");
    expect(() => decodeJwt("a.b")).toThrow();
  });
});
