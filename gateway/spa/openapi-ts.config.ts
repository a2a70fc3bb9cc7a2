// One typed client per service, generated from the committed contracts (contracts/openapi),
// so a contract change that breaks the SPA fails its type check.
import { defineConfig } from "@hey-api/openapi-ts";

const SERVICES = ["access", "registry", "incidents", "risk", "evidence"];

export default defineConfig(
  SERVICES.map((service) => ({
    input: `../../contracts/openapi/${service}.json`,
    output: { path: `./src/client/${service}`, clean: true },
    logs: { level: "silent" as const },
    plugins: [
      { name: "@hey-api/client-fetch", baseUrl: `/api/${service}`, throwOnError: true },
      "@hey-api/typescript",
      "@hey-api/sdk",
    ],
  })),
);
