// Calling the camwatch API through the gateway: the bearer token is added here, and every
// error answer (RFC 9457 problem+json) becomes an ApiError the pages show to the officer.

import { accessToken, refresh } from "./auth.js";

export class ApiError extends Error {
  constructor({ status, title, detail, errors, type, instance, retryAfter }) {
    super(detail || title || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.title = title || "";
    this.detail = detail || "";
    this.errors = Array.isArray(errors) ? errors : [];
    this.type = type || "";
    this.instance = instance || "";
    this.retryAfter = retryAfter || null;
  }
}

async function problemFrom(response) {
  let body = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) body = await response.json().catch(() => null);
  return new ApiError({
    status: response.status,
    title: body?.title || response.statusText,
    detail: body?.detail,
    errors: body?.errors,
    type: body?.type,
    instance: body?.instance,
    retryAfter: response.headers.get("Retry-After"),
  });
}

async function send(path, { method, body, headers, token }) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(path, init);
  } catch (error) {
    throw new ApiError({ status: 0, title: "network", detail: String(error) });
  }
}

/**
 * Call `path` (e.g. `/api/access/assignments/me`) and return the parsed JSON (null for 204).
 * With `auth` (the default) the access token is sent; a 401 triggers one refresh and retry.
 */
export async function api(path, { method = "GET", body, headers = {}, auth = true } = {}) {
  let token = auth ? await accessToken() : null;
  if (auth && !token) throw new ApiError({ status: 401, title: "Unauthorized" });
  let response = await send(path, { method, body, headers, token });
  if (auth && response.status === 401 && (await refresh())) {
    token = await accessToken();
    response = await send(path, { method, body, headers, token });
  }
  if (!response.ok) throw await problemFrom(response);
  if (response.status === 204) return null;
  return response.json();
}

/** Every item of a cursor-paginated list (`{data, next_cursor}`), following the cursors. */
export async function listAll(path, { limit = 100, maxPages = 50 } = {}) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page += 1) {
    const url = new URL(path, window.location.origin);
    url.searchParams.set("limit", String(limit));
    if (cursor) url.searchParams.set("cursor", cursor);
    const body = await api(url.pathname + url.search);
    items.push(...(body?.data || []));
    cursor = body?.next_cursor;
    if (!cursor) break;
  }
  return items;
}
