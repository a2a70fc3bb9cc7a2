import { describe, expect, it } from "vitest";
import { actionsFor } from "./WarningPage";

describe("warning workflow actions", () => {
  it("offers each state's next steps; only a head decides an escalated warning", () => {
    expect(actionsFor("new", false)).toEqual(["acknowledge"]);
    expect(actionsFor("acknowledged", false)).toEqual(["analyse", "escalate"]);
    expect(actionsFor("action_proposed", false)).toEqual(["close", "escalate"]);
    expect(actionsFor("escalated", false)).toEqual([]);
    expect(actionsFor("escalated", true)).toEqual(["inspect", "return"]);
    expect(actionsFor("closed", true)).toEqual([]);
  });
});
