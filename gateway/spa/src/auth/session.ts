// Signing in with OpenID Connect: authorization code + PKCE (S256), against the access service.
//
// Officers prove who they are to the access service in two steps (password, then a TOTP code);
// the SPA then sends the browser to the authorization endpoint with that sign-in transaction,
// a PKCE challenge, `state` and `nonce`. The access service redirects back to /callback with a
// one-time code, which the SPA exchanges (with the PKCE verifier) for tokens. The ID token's
// signature (JWKS, crypto.subtle), issuer, audience, expiry and nonce are checked.
//
// The access token lives only in this module's memory. The refresh token is kept in
// sessionStorage (this tab only, gone when the tab closes) so a reload does not need a new
// sign-in; each refresh rotates it, and the access service revokes the whole family if an
// old one is ever presented again.

import { decodeJwt, pkceChallenge, randomString, type DecodedJwt } from "./encoding";

export const CLIENT_ID = "camwatch-spa";
export const DISCOVERY_URL = "/api/access/.well-known/openid-configuration";
export const SIGNIN_URL = "/api/access/signin";
export const SIGNIN_TOTP_URL = "/api/access/signin/totp";
export const PENDING_KEY = "camwatch.pending-authorization";
export const REFRESH_KEY = "camwatch.refresh-token";
const SCOPE = "openid profile";
const REFRESH_ATTEMPTS = 3;
const EXPIRY_MARGIN_SECONDS = 30;
const CLOCK_SKEW_SECONDS = 60;

type Claims = Record<string, unknown>;

export class AuthError extends Error {
  /** `code` is a message key of the SPA (`auth.error.*`); `detail` is for the console. */
  code: string;
  detail: string;
  status?: number;
  problem?: { errors?: { field?: string; message?: string }[] } | null;
  retryAfter?: string | null;
  oauthError?: string;

  constructor(code: string, detail?: string) {
    super(detail || code);
    this.name = "AuthError";
    this.code = code;
    this.detail = detail || "";
  }
}

export interface OidcConfig {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  revocation_endpoint?: string;
}

interface Session {
  accessToken: string;
  expiresAt: number; // epoch seconds
  claims: Claims;
  idClaims: Claims | null;
  profile: Claims | null;
}

export interface User {
  subject: string;
  username: string | null;
  name: string;
  unit: string | null;
  unitName: string | null;
  roles: string[];
  authTime: number | null;
}

let discovered: OidcConfig | null = null;
let session: Session | null = null;
let refreshing: Promise<boolean> | null = null;
const sessionListeners = new Set<(user: User | null) => void>();

/** Forget everything held in memory (tests start each case from nothing). */
export function resetForTests(): void {
  discovered = null;
  session = null;
  refreshing = null;
  sessionListeners.clear();
}

async function fetchJson(url: string, init?: RequestInit) {
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      headers: { Accept: "application/json", ...(init?.headers || {}) },
    });
  } catch (error) {
    throw new AuthError("auth.error.network", String(error));
  }
  const body = await response.json().catch(() => null);
  return { response, body };
}

/** The access service's OpenID configuration (fetched once). */
export async function discovery(): Promise<OidcConfig> {
  if (discovered) return discovered;
  if (!globalThis.crypto?.subtle) {
    throw new AuthError("auth.error.insecure", "crypto.subtle is missing");
  }
  const { response, body } = await fetchJson(DISCOVERY_URL);
  if (!response.ok || !body?.authorization_endpoint || !body?.token_endpoint) {
    throw new AuthError("auth.error.discovery", `discovery answered ${response.status}`);
  }
  discovered = body as OidcConfig;
  return discovered;
}

const ALGORITHMS: Record<
  string,
  { import: EcKeyImportParams | RsaHashedImportParams; verify: AlgorithmIdentifier | EcdsaParams; fields: string[] }
> = {
  ES256: {
    import: { name: "ECDSA", namedCurve: "P-256" },
    verify: { name: "ECDSA", hash: "SHA-256" },
    fields: ["kty", "crv", "x", "y"],
  },
  RS256: {
    import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    verify: { name: "RSASSA-PKCS1-v1_5" },
    fields: ["kty", "n", "e"],
  },
};

async function verifySignature(jwt: DecodedJwt, config: OidcConfig): Promise<void> {
  const algorithm = ALGORITHMS[String(jwt.header.alg)];
  if (!algorithm) throw new AuthError("auth.error.token", `unsupported alg ${jwt.header.alg}`);
  const { response, body } = await fetchJson(config.jwks_uri);
  if (!response.ok || !Array.isArray(body?.keys)) {
    throw new AuthError("auth.error.token", "the key set cannot be read");
  }
  const jwk = body.keys.find((key: { kid?: string }) => key.kid === jwt.header.kid);
  if (!jwk) throw new AuthError("auth.error.token", `no key ${jwt.header.kid}`);
  const bare = Object.fromEntries(algorithm.fields.map((name) => [name, jwk[name]]));
  const key = await crypto.subtle.importKey("jwk", bare, algorithm.import, false, ["verify"]);
  const valid = await crypto.subtle.verify(algorithm.verify, key, jwt.signature, jwt.signingInput);
  if (!valid) throw new AuthError("auth.error.token", "ID token signature is not valid");
}

/** Check an ID token as OIDC Core 3.1.3.7 asks; returns its claims. */
export async function validateIdToken(
  idToken: string,
  config: OidcConfig,
  expectedNonce?: string,
): Promise<Claims> {
  let jwt: DecodedJwt;
  try {
    jwt = decodeJwt(idToken);
  } catch {
    throw new AuthError("auth.error.token", "not a JWT");
  }
  await verifySignature(jwt, config);
  const claims = jwt.claims;
  const now = Date.now() / 1000;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== config.issuer) throw new AuthError("auth.error.token", "wrong issuer");
  if (!audiences.includes(CLIENT_ID)) throw new AuthError("auth.error.token", "wrong audience");
  if (typeof claims.exp !== "number" || claims.exp + CLOCK_SKEW_SECONDS < now) {
    throw new AuthError("auth.error.token", "ID token expired");
  }
  if (expectedNonce !== undefined && claims.nonce !== expectedNonce) {
    throw new AuthError("auth.error.nonce", "nonce does not match");
  }
  return claims;
}

// -- the officer's two sign-in steps ----------------------------------------------------------

export interface SigninTransaction {
  transaction: string;
  stage?: string;
  expires_at?: string;
}

async function postSignin(url: string, payload: object, errorCode: string) {
  const { response, body } = await fetchJson(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
    credentials: "same-origin",
  });
  if (!response.ok) {
    const error = new AuthError(errorCode, body?.detail || body?.title || `HTTP ${response.status}`);
    error.status = response.status;
    error.problem = body;
    error.retryAfter = response.headers.get("Retry-After");
    throw error;
  }
  return body as SigninTransaction;
}

/** Step 1: username and password; returns the sign-in transaction (`stage`, `next`...). */
export function startSignin(username: string, password: string) {
  return postSignin(SIGNIN_URL, { username, password }, "auth.error.signin");
}

/** Step 2: the TOTP code for the transaction; returns it authenticated. */
export function verifyTotp(transaction: string, code: string) {
  return postSignin(SIGNIN_TOTP_URL, { transaction, code }, "auth.error.totp");
}

// -- authorization code + PKCE ----------------------------------------------------------------

/** Where the access service sends the browser back with the code. */
export function redirectUri(): string {
  return `${window.location.origin}/callback`;
}

/** The authorization URL for a sign-in transaction; the PKCE verifier and state stay in the tab. */
export async function authorizationUrl({
  signin,
  returnTo = "/",
  uiLocale,
}: { signin?: string; returnTo?: string; uiLocale?: string } = {}): Promise<string> {
  const config = await discovery();
  const verifier = randomString(48);
  const pending = { state: randomString(), nonce: randomString(), verifier, returnTo, at: Date.now() };
  window.sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(config.authorization_endpoint, window.location.origin);
  const params: Record<string, string> = {
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: redirectUri(),
    scope: SCOPE,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await pkceChallenge(verifier),
    code_challenge_method: "S256",
  };
  if (signin) params.signin = signin;
  if (uiLocale) params.ui_locales = uiLocale;
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

/** Send the browser to the authorization endpoint. */
export async function authorize(options: { signin?: string; returnTo?: string; uiLocale?: string }) {
  window.location.assign(await authorizationUrl(options));
}

/** A same-origin SPA path, or "/" for anything else (no open redirect). */
export function safeReturnPath(value: string | null | undefined): string {
  return value && value.startsWith("/") && !value.startsWith("//") ? value : "/";
}

/**
 * Finish the flow on /callback: check `state`, exchange the code with the PKCE verifier, check
 * the ID token. Returns the path to open next.
 */
export async function completeAuthorization(search: string): Promise<string> {
  const params = new URLSearchParams(search);
  const raw = window.sessionStorage.getItem(PENDING_KEY);
  window.sessionStorage.removeItem(PENDING_KEY); // one use, whatever happens next
  const pending = raw ? JSON.parse(raw) : null;
  if (!pending || !params.get("state") || params.get("state") !== pending.state) {
    throw new AuthError("auth.error.state", "state does not match the request");
  }
  if (params.get("error")) {
    throw new AuthError("auth.error.denied", params.get("error_description") || params.get("error") || "");
  }
  const code = params.get("code");
  if (!code) throw new AuthError("auth.error.state", "no code in the callback");
  const config = await discovery();
  const body = await tokenRequest(config, {
    grant_type: "authorization_code",
    code,
    redirect_uri: redirectUri(),
    client_id: CLIENT_ID,
    code_verifier: pending.verifier,
  });
  if (!body.id_token) throw new AuthError("auth.error.token", "no ID token");
  const idClaims = await validateIdToken(body.id_token, config, pending.nonce);
  acceptTokens(body, idClaims);
  return safeReturnPath(String(pending.returnTo || "/"));
}

interface TokenAnswer {
  access_token: string;
  expires_in?: number;
  refresh_token?: string;
  id_token?: string;
}

async function tokenRequest(config: OidcConfig, form: Record<string, string>): Promise<TokenAnswer> {
  const { response, body } = await fetchJson(config.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  if (!response.ok || !body?.access_token) {
    const error = new AuthError(
      "auth.error.token",
      body?.error_description || body?.detail || body?.error || `HTTP ${response.status}`,
    );
    error.status = response.status;
    error.oauthError = body?.error;
    throw error;
  }
  return body as TokenAnswer;
}

function acceptTokens(body: TokenAnswer, idClaims: Claims | null): void {
  const claims = decodeJwt(body.access_token).claims;
  const lifetime =
    Number(body.expires_in) || Math.max(0, Number(claims.exp) - Date.now() / 1000);
  session = {
    accessToken: body.access_token,
    expiresAt: Date.now() / 1000 + lifetime,
    claims,
    idClaims: idClaims || session?.idClaims || null,
    profile: session?.profile || null,
  };
  if (body.refresh_token) window.sessionStorage.setItem(REFRESH_KEY, body.refresh_token);
  notify();
}

// -- the session ------------------------------------------------------------------------------

/** Call `listener(user|null)` whenever the signed-in user changes. */
export function onSessionChange(listener: (user: User | null) => void): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

function notify(): void {
  const user = currentUser();
  for (const listener of sessionListeners) listener(user);
}

function text(value: unknown): string | null {
  return typeof value === "string" && value ? value : null;
}

/** Who is signed in (from the ID and access tokens' claims), or null. */
export function currentUser(): User | null {
  if (!session) return null;
  const id: Claims = { ...(session.idClaims || {}), ...(session.profile || {}) };
  const access = session.claims;
  const roles = access.roles || id.roles || [];
  return {
    subject: String(access.sub || id.sub),
    username: text(id.preferred_username) || text(access.preferred_username),
    name:
      text(id.name) || text(access.name) || text(id.preferred_username) || String(access.sub),
    unit: text(access.unit) || text(id.unit),
    unitName: text(id.unit_name) || text(access.unit_name),
    roles: Array.isArray(roles) ? roles.map(String) : String(roles).split(" "),
    authTime: Number(id.auth_time || access.auth_time) || null,
  };
}

export function isSignedIn(): boolean {
  return session !== null;
}

/** Trade the refresh token for new tokens (one request at a time: a refresh token is single-use). */
export function refresh(): Promise<boolean> {
  if (!refreshing) {
    refreshing = doRefresh().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function doRefresh(): Promise<boolean> {
  const refreshToken = window.sessionStorage.getItem(REFRESH_KEY);
  if (!refreshToken) {
    forget();
    return false;
  }
  // A 4xx answer is final (expired, revoked or reused: a new sign-in is needed); a network
  // error or a 5xx is transient, so try again briefly before giving up with the token kept.
  for (let attempt = 1; ; attempt += 1) {
    try {
      const config = await discovery();
      const body = await tokenRequest(config, {
        grant_type: "refresh_token",
        refresh_token: refreshToken,
        client_id: CLIENT_ID,
      });
      const idClaims = body.id_token ? await validateIdToken(body.id_token, config) : null;
      acceptTokens(body, idClaims);
      if (!session!.idClaims && !session!.profile) await loadProfile(config);
      return true;
    } catch (error) {
      const status = error instanceof AuthError ? error.status : undefined;
      if (status !== undefined && status >= 400 && status < 500) {
        forget();
        return false;
      }
      if (attempt >= REFRESH_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

/**
 * The officer's OIDC profile from the userinfo endpoint, for a session resumed with a refresh
 * token whose answer carried no ID token. Without it the header shows the access token's
 * claims (no unit name), so a failure here is only logged.
 */
async function loadProfile(config: OidcConfig): Promise<void> {
  if (!config.userinfo_endpoint || !session) return;
  const { response, body } = await fetchJson(config.userinfo_endpoint, {
    headers: { Authorization: `Bearer ${session.accessToken}` },
  });
  if (response.ok && body?.sub === session.claims.sub) {
    session.profile = body;
    notify();
  } else {
    console.warn("camwatch: userinfo answered", response.status);
  }
}

/** Whether this tab holds a refresh token to resume a session with. */
export function canResume(): boolean {
  return window.sessionStorage.getItem(REFRESH_KEY) !== null;
}

/** On start-up: resume the tab's session from its refresh token, if it has one. */
export async function restore(): Promise<boolean> {
  if (session) return true;
  if (!window.sessionStorage.getItem(REFRESH_KEY)) return false;
  return refresh();
}

/** A current access token, refreshed first when it expires within a few seconds; or null. */
export async function accessToken(): Promise<string | null> {
  if (session && session.expiresAt - EXPIRY_MARGIN_SECONDS > Date.now() / 1000) {
    return session.accessToken;
  }
  if (!(await refresh())) return null;
  return session ? (session as Session).accessToken : null;
}

function forget(): void {
  const had = session !== null;
  session = null;
  window.sessionStorage.removeItem(REFRESH_KEY);
  if (had) notify();
}

/** Sign out: revoke the refresh token (RFC 7009) and forget every token. */
export async function signOut(): Promise<void> {
  const refreshToken = window.sessionStorage.getItem(REFRESH_KEY);
  try {
    const config = await discovery();
    if (refreshToken && config.revocation_endpoint) {
      await fetch(config.revocation_endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          token: refreshToken,
          token_type_hint: "refresh_token",
          client_id: CLIENT_ID,
        }).toString(),
      });
    }
  } catch {
    // the tokens are forgotten locally all the same
  } finally {
    session = null;
    window.sessionStorage.removeItem(REFRESH_KEY);
    notify();
  }
}
