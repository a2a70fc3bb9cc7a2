// The generated clients (one per service, from contracts/openapi) wired to the session: each
// request carries the access token, a 401 triggers one refresh and a retry, and every error
// answer becomes an ApiError.

import { accessToken, refresh } from "../auth/session";
import { client as accessClient } from "../client/access/client.gen";
import { client as evidenceClient } from "../client/evidence/client.gen";
import { client as incidentsClient } from "../client/incidents/client.gen";
import { client as registryClient } from "../client/registry/client.gen";
import { client as riskClient } from "../client/risk/client.gen";
import { ApiError, problemFrom } from "./problem";

/** fetch with the bearer token; one refresh and retry on 401. */
export async function authorizedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const retry = request.clone();
  const token = await accessToken();
  if (!token) throw new ApiError({ status: 401, title: "Unauthorized" });
  request.headers.set("Authorization", `Bearer ${token}`);
  const response = await fetch(request);
  if (response.status !== 401 || !(await refresh())) return response;
  const fresh = await accessToken();
  if (fresh) retry.headers.set("Authorization", `Bearer ${fresh}`);
  return fetch(retry);
}

let configured = false;

/** Configure every generated client once, at start-up. */
export function configureClients(): void {
  if (configured) return;
  configured = true;
  for (const client of [accessClient, registryClient, incidentsClient, riskClient, evidenceClient]) {
    client.setConfig({ fetch: authorizedFetch, throwOnError: true });
    client.interceptors.error.use((error, response) =>
      error instanceof ApiError ? error : problemFrom(response, error),
    );
  }
}
