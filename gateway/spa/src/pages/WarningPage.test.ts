import { describe, expect, it } from "vitest";
import { actionsFor, stepNotes } from "./WarningPage";

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

describe("timeline step notes", () => {
  it("shows why a warning was escalated and what the head decided, codes to translate", () => {
    expect(stepNotes("escalate", { reason: "Nghi gian lận" })).toEqual([{ field: "reason", value: "Nghi gian lận", coded: null }]);
    expect(stepNotes("decide", { decision: "return", note: "Bổ sung hồ sơ" })).toEqual([
      { field: "decision", value: "return", coded: "warning.decision" },
      { field: "note", value: "Bổ sung hồ sơ", coded: null },
    ]);
    expect(stepNotes("propose", { action: "documentary_check", reason: null })).toEqual([{ field: "action", value: "documentary_check", coded: "warning.proposal" }]);
  });

  it("adds nothing for the matcher's entries or empty details", () => {
    expect(stepNotes("raised", { rule: "container_exit_uncleared" })).toEqual([]);
    expect(stepNotes("close", { note: null })).toEqual([]);
    expect(stepNotes("acknowledge", {})).toEqual([]);
  });
});
