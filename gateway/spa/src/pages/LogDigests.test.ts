import { describe, expect, it } from "vitest";
import type { DigestCounts } from "../client/access/types.gen";
import { countRows } from "./LogDigests";

describe("log digests", () => {
  it("shows every count, a dead-letter count not read as null", () => {
    const counts: DigestCounts = { signins: 5, signin_failures: 1, lockouts: 0, reveals: 2, reveal_refusals: 0, authority_changes: 1, dead_letters: null, server_errors: 3 };
    const rows = countRows({ counts });
    expect(rows.map(([key]) => key)).toEqual(["signins", "signinFailures", "lockouts", "reveals", "revealRefusals", "authorityChanges", "deadLetters", "serverErrors"]);
    expect(Object.fromEntries(rows)).toMatchObject({ deadLetters: null, serverErrors: 3, signins: 5 });
  });
});
