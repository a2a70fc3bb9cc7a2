import { describe, expect, it } from "vitest";
import { canDecide, parseScalar, planBody, showScalar } from "./Corrections";

const head = { subject: "head-1", roles: ["head_of_subdepartment"], unit: "HQ-KCX" };

describe("corrections: values as typed", () => {
  it("reads numbers, booleans and null as such, quoted text as text, the rest as typed", () => {
    expect(parseScalar("42")).toBe(42);
    expect(parseScalar("-1.5")).toBe(-1.5);
    expect(parseScalar("true")).toBe(true);
    expect(parseScalar("null")).toBe(null);
    expect(parseScalar('"42"')).toBe("42");
    expect(parseScalar("Mô tả nhập sai")).toBe("Mô tả nhập sai");
    expect(parseScalar(" padded ")).toBe(" padded "); // text is kept exactly
    expect(parseScalar("")).toBe("");
  });

  it("shows text as it is and other values in JSON notation", () => {
    expect(showScalar("abc")).toBe("abc");
    expect(showScalar(42)).toBe("42");
    expect(showScalar(null)).toBe("null");
  });

  it("builds the plan the API takes from the form", () => {
    const body = planBody({
      service: "access",
      table: " maintenance_notices ",
      keyColumn: "id",
      keyValue: "0193-abc",
      changes: [{ column: "description", from: "sai", to: "đúng" }],
      reason: "Nhập sai mô tả",
      supervisors: [{ name: "Lê Văn Giám", position: "Đại diện Cục CNTT" }],
    });
    expect(body).toEqual({
      service: "access",
      table: "maintenance_notices",
      primary_key: { id: "0193-abc" },
      changes: { description: { from: "sai", to: "đúng" } },
      reason: "Nhập sai mô tả",
      supervisors: [{ name: "Lê Văn Giám", position: "Đại diện Cục CNTT" }],
    });
  });
});

describe("corrections: maker-checker", () => {
  it("lets the head of the unit decide a pending plan someone else prepared", () => {
    expect(canDecide({ status: "pending", prepared_by: "op-1", unit: "HQ-KCX" }, head)).toBe(true);
  });

  it("never their own plan, another unit's, a decided one, or anyone but a head", () => {
    expect(canDecide({ status: "pending", prepared_by: "head-1", unit: "HQ-KCX" }, head)).toBe(false);
    expect(canDecide({ status: "pending", prepared_by: "op-1", unit: "OTHER" }, head)).toBe(false);
    expect(canDecide({ status: "approved", prepared_by: "op-1", unit: "HQ-KCX" }, head)).toBe(false);
    expect(canDecide({ status: "pending", prepared_by: "op-1", unit: "HQ-KCX" }, { ...head, roles: ["auditor"] })).toBe(false);
  });
});
