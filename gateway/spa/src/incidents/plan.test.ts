import { describe, expect, it } from "vitest";
import { planAction } from "./plan";

describe("surveillance plan action", () => {
  it("lets an officer or head agree a notified incident's plan and revise an agreed one", () => {
    expect(planAction("notified", ["supervisory_officer"])).toBe("agree");
    expect(planAction("plan_agreed", ["head_of_subdepartment"])).toBe("revise");
  });
  it("offers nothing in other states or to other roles", () => {
    for (const state of ["detected", "restored", "closed"]) expect(planAction(state, ["supervisory_officer"])).toBeNull();
    expect(planAction("notified", ["auditor"])).toBeNull();
    expect(planAction("notified", [])).toBeNull();
  });
});
