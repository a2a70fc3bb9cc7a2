import { describe, expect, it } from "vitest";
import { formatUserCode, isCompleteUserCode } from "./Device";

describe("device sign-in: the code as typed", () => {
  it("shows the code as the tool prints it, however it was typed", () => {
    expect(formatUserCode("bdfghjkl")).toBe("BDFG-HJKL");
    expect(formatUserCode("BDFG-HJKL")).toBe("BDFG-HJKL");
    expect(formatUserCode(" bdfg hjkl ")).toBe("BDFG-HJKL");
    expect(formatUserCode("bdf")).toBe("BDF");
    expect(formatUserCode("bdfgh")).toBe("BDFG-H");
    expect(formatUserCode("BDFG-HJKLMN")).toBe("BDFG-HJKL"); // no more than 8 letters
    expect(formatUserCode("12-ab")).toBe("AB");
  });

  it("asks the server only with a whole code", () => {
    expect(isCompleteUserCode("BDFG-HJKL")).toBe(true);
    expect(isCompleteUserCode("BDFG-HJK")).toBe(false);
    expect(isCompleteUserCode("")).toBe(false);
  });
});
