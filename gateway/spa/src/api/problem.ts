// Error answers (RFC 9457 problem+json) as one error type the pages show with the failing
// fields; network failures become status 0.

export interface FieldProblem {
  field?: string;
  message?: string;
}

export class ApiError extends Error {
  status: number;
  title: string;
  detail: string;
  errors: FieldProblem[];
  retryAfter: string | null;

  constructor(init: {
    status: number;
    title?: string;
    detail?: string;
    errors?: unknown;
    retryAfter?: string | null;
  }) {
    super(init.detail || init.title || `HTTP ${init.status}`);
    this.name = "ApiError";
    this.status = init.status;
    this.title = init.title || "";
    this.detail = init.detail || "";
    this.errors = Array.isArray(init.errors) ? (init.errors as FieldProblem[]) : [];
    this.retryAfter = init.retryAfter ?? null;
  }

  /**
   * The server's message for `field` (the last segment of a dotted path matches too, and
   * `body.time_ranges[0].start` matches `time_ranges.0.start`).
   */
  fieldMessage(field: string): string | null {
    const plain = (path: string) => path.replace(/\[(\d+)\]/g, ".$1").replace(/^(body|query|path|header)\./, "");
    const hit = this.errors.find(
      (item) => item.field === field || item.field?.split(".").pop() === field || (!!item.field && plain(item.field) === plain(field)),
    );
    return hit ? hit.message || "" : null;
  }
}

/** An ApiError from an error answer and its parsed body (any shape). */
export function problemFrom(response: Response | undefined, body: unknown): ApiError {
  if (!response) return new ApiError({ status: 0, title: "network", detail: String(body) });
  const problem = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  return new ApiError({
    status: response.status,
    title: typeof problem.title === "string" ? problem.title : response.statusText,
    detail: typeof problem.detail === "string" ? problem.detail : "",
    errors: problem.errors,
    retryAfter: response.headers.get("Retry-After"),
  });
}
