// What the officer may do with an EPE's Appendix I declaration, following the registry's rules:
// only the latest declaration is reviewed, once; a confirmation is refused while a camera fails
// a line or the cameras changed since (outdated); a rejection states its reasons, one a line.

export type Decision = "confirmed" | "rejected";

const REVIEWERS = ["supervisory_officer", "head_of_subdepartment"];

export interface ReportFacts {
  status: string;
  declaration: { id: string } | null;
  review: { declaration_id: string } | null;
  cameras: { failed: number }[];
}

/** The decisions open to the caller (empty: no form). */
export function reviewDecisions(report: ReportFacts, roles: readonly string[]): Decision[] {
  if (!roles.some((role) => REVIEWERS.includes(role))) return [];
  if (report.status === "exempt" || !report.declaration) return [];
  if (report.review && report.review.declaration_id === report.declaration.id) return [];
  const failing = report.cameras.some((camera) => camera.failed > 0);
  return report.status === "outdated" || failing ? ["rejected"] : ["confirmed", "rejected"];
}

/** The reasons typed one a line, blank lines dropped. */
export function reasonLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}
