import { describe, expect, it } from "vitest";
import type { UserPublic } from "../client/access/types.gen";
import { assignable, canDecide } from "./Authority";

const head = { subject: "head-1", roles: ["head_of_subdepartment"] };

describe("authority: maker-checker", () => {
  it("lets a head decide a pending request another user prepared about someone else", () => {
    expect(canDecide({ status: "pending", prepared_by: "admin-1", user_id: "officer-1" }, head)).toBe(true);
  });

  it("never lets anyone decide their own request, one about themselves, or a decided one", () => {
    expect(canDecide({ status: "pending", prepared_by: "head-1", user_id: "officer-1" }, head)).toBe(false);
    expect(canDecide({ status: "pending", prepared_by: "admin-1", user_id: "head-1" }, head)).toBe(false);
    expect(canDecide({ status: "approved", prepared_by: "admin-1", user_id: "officer-1" }, head)).toBe(false);
    expect(canDecide({ status: "pending", prepared_by: "admin-2", user_id: "officer-1" }, { subject: "admin-1", roles: ["user_administrator"] })).toBe(false);
  });

  it("offers active officers and heads for assignments", () => {
    const user = (id: string, roles: string[], active = true) => ({ id, roles, active }) as UserPublic;
    const people = [user("a", ["supervisory_officer"]), user("b", ["auditor"]), user("c", ["head_of_subdepartment"]), user("d", ["supervisory_officer"], false)];
    expect(assignable(people).map((u) => u.id)).toEqual(["a", "c"]);
  });
});
