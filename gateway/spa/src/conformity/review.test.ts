import { describe, expect, it } from "vitest";
import { reasonLines, reviewDecisions } from "./review";

const officer = ["supervisory_officer"];
const declared = { status: "declared", declaration: { id: "d1" }, review: null, cameras: [{ failed: 0 }] };

describe("conformity review decisions", () => {
  it("offers confirm and reject on an unreviewed, passing declaration", () => {
    expect(reviewDecisions(declared, officer)).toEqual(["confirmed", "rejected"]);
    expect(reviewDecisions(declared, ["head_of_subdepartment"])).toEqual(["confirmed", "rejected"]);
  });
  it("offers only rejection when a camera fails a line or the declaration is outdated", () => {
    expect(reviewDecisions({ ...declared, cameras: [{ failed: 2 }] }, officer)).toEqual(["rejected"]);
    expect(reviewDecisions({ ...declared, status: "outdated" }, officer)).toEqual(["rejected"]);
  });
  it("offers nothing once reviewed, without a declaration, when exempt or to other roles", () => {
    expect(reviewDecisions({ ...declared, status: "confirmed", review: { declaration_id: "d1" } }, officer)).toEqual([]);
    expect(reviewDecisions({ ...declared, status: "not_declared", declaration: null }, officer)).toEqual([]);
    expect(reviewDecisions({ ...declared, status: "exempt" }, officer)).toEqual([]);
    expect(reviewDecisions(declared, ["auditor"])).toEqual([]);
  });
  it("reads one reason a line", () => {
    expect(reasonLines(" line 3 fails \r\n\n camera C2 IP65 \n")).toEqual(["line 3 fails", "camera C2 IP65"]);
  });
});
