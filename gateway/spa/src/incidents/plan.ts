// Whether the signed-in officer may record (or revise) an incident's surveillance plan: the
// incidents API lets a supervisory officer or a head do it while the incident is notified
// (agree) or already plan_agreed (revise); a detected, restored or closed incident refuses it.

export type PlanAction = "agree" | "revise";

const FOLLOWERS = ["supervisory_officer", "head_of_subdepartment"];

export function planAction(state: string, roles: readonly string[]): PlanAction | null {
  if (!roles.some((role) => FOLLOWERS.includes(role))) return null;
  if (state === "notified") return "agree";
  if (state === "plan_agreed") return "revise";
  return null;
}
