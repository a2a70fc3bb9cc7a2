import { describe, expect, it } from "vitest";
import { ApiError } from "../api/problem";
import { canDecide, parseScalar, planBody, planErrors, showScalar } from "./Corrections";

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

describe("corrections: the API's field errors under the form's fields", () => {
  const plan = {
    service: "access",
    table: "maintenance_notices",
    keyColumn: "id",
    keyValue: "x",
    changes: [
      { column: "title", from: "a", to: "b" },
      { column: "description", from: "a", to: "b" },
    ],
    reason: "Nhập sai",
    supervisors: [{ name: "L", position: "Đại diện" }],
  };
  // The pointers the access service answers with (pydantic's, and its own checks').
  const answer = new ApiError({
    status: 422,
    errors: [
      { field: "body.service", message: "service?" },
      { field: "body.table", message: "table?" },
      { field: "body.primary_key.Bad-Key.[key]", message: "key column?" },
      { field: "body.primary_key.id.str", message: "key value?" },
      { field: "body.changes", message: "at most 20" },
      { field: "body.changes.description", message: "from and to are the same" },
      { field: "body.changes.title.from.str", message: "from?" },
      { field: "body.changes.title.to.int", message: "to?" },
      { field: "body.reason", message: "reason?" },
      { field: "body.supervisors", message: "at least 1" },
      { field: "body.supervisors.0.name", message: "name?" },
      { field: "body.supervisors.0.position", message: "position?" },
    ],
  });

  it("names every field of the form the API can name", () => {
    const mapped = planErrors(answer, plan) as ApiError;
    const expected = {
      service: "service?",
      table: "table?",
      primary_key: "key column?",
      key_value: "key value?",
      changes: "at most 20",
      "changes.1.column": "from and to are the same",
      "changes.0.from": "from?",
      "changes.0.to": "to?",
      reason: "reason?",
      supervisors: "at least 1",
      "supervisors.0.name": "name?",
      "supervisors.0.position": "position?",
    };
    for (const [field, message] of Object.entries(expected)) expect(mapped.fieldMessage(field), field).toBe(message);
    expect(mapped.fieldMessage("changes.0.column")).toBeNull();
    expect(mapped.fieldMessage("changes.1.from")).toBeNull();
    expect(mapped.status).toBe(422);
  });

  it("leaves a column the form no longer holds, and errors that are not the API's, as they are", () => {
    const gone = new ApiError({ status: 422, errors: [{ field: "body.changes.removed", message: "?" }] });
    expect((planErrors(gone, plan) as ApiError).errors).toEqual(gone.errors);
    const network = new Error("offline");
    expect(planErrors(network, plan)).toBe(network);
    expect(planErrors(null, plan)).toBeNull();
  });
});
