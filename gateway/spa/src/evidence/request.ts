// The evidence pages' own logic: a request form's values as the API's body (Vietnam times to
// instants), upload progress summed over the files the EPE reports, which states are open.

import { vietnamInstant } from "../format";

export interface RangeForm {
  start: string;
  end: string;
}

export interface RequestForm {
  epeId: string;
  cameras: string[];
  ranges: RangeForm[];
  reason: string;
  dueWorkingDays: string;
}

export const EMPTY_REQUEST: RequestForm = { epeId: "", cameras: [], ranges: [{ start: "", end: "" }], reason: "", dueWorkingDays: "" };

/** The body of `POST /requests`: datetime-local values read as Vietnam time. */
export function requestBody(form: RequestForm) {
  const due = form.dueWorkingDays.trim();
  return {
    epe_id: form.epeId,
    cameras: form.cameras,
    time_ranges: form.ranges.map((range) => ({ start: vietnamInstant(range.start), end: vietnamInstant(range.end) })),
    reason: form.reason,
    due_working_days: due ? Number(due) : null,
  };
}

export interface FileLike {
  size: number;
  received: number;
  state: string;
}

/** Bytes received of bytes announced over every file, and the share done (0..1). */
export function uploadProgress(files: FileLike[]): { received: number; size: number; ratio: number; complete: number } {
  const size = files.reduce((sum, file) => sum + file.size, 0);
  const received = files.reduce((sum, file) => sum + Math.min(file.received, file.size), 0);
  return { received, size, ratio: size ? received / size : 0, complete: files.filter((file) => file.state === "uploaded").length };
}

/** A request still owed by the EPE (and so cancellable). */
export function isOpen(state: string): boolean {
  return state === "requested" || state === "uploading" || state === "overdue";
}

/** A byte count in the locale: B, KB, MB, GB (powers of 1024). */
export function formatBytes(bytes: number, locale: string): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: unit ? 1 : 0 }).format(value)} ${units[unit]}`;
}

/**
 * One EPE's requests (the API does not filter by EPE): overdue first, then the others still
 * open, then the rest; newest first within each.
 */
export function requestsOfEpe<T extends { epe_id: string; state: string; requested_at: string }>(requests: T[], epeId: string): T[] {
  const rank = (request: T) => (request.state === "overdue" ? 0 : isOpen(request.state) ? 1 : 2);
  return requests
    .filter((request) => request.epe_id === epeId)
    .sort((a, b) => rank(a) - rank(b) || b.requested_at.localeCompare(a.requested_at));
}
