// The vault's reveal-once flow without React: a fresh TOTP step-up when the last one is about
// to lapse, a single-use handle, its opening; and how long the secret stays on screen. The
// secret is returned to the caller's memory only: nothing here caches or stores it.

import type { RevealedSecret } from "./client/access/types.gen";

/** Seconds the revealed secret stays on screen before it is cleared. */
export const SHOW_SECONDS = 60;

/** A step-up closer than this to its end is redone rather than risked (the server decides). */
export const STEP_UP_MARGIN_MS = 15_000;

/** Whether the step-up done at `validUntil` (ISO) still counts at `now` (ms). */
export function stepUpFresh(validUntil: string | null, now: number): boolean {
  if (!validUntil) return false;
  const until = Date.parse(validUntil);
  return Number.isFinite(until) && until - STEP_UP_MARGIN_MS > now;
}

/** Whole seconds left until `until` (ms), never below zero. */
export function secondsLeft(until: number, now: number): number {
  return Math.max(0, Math.ceil((until - now) / 1000));
}

/** The three calls of a reveal (the generated client's, or a test's). */
export interface RevealSteps {
  stepUp(code: string): Promise<{ valid_until: string }>;
  request(entryId: string, reason: string): Promise<{ handle: string }>;
  open(handle: string): Promise<RevealedSecret>;
}

export interface RevealInput {
  entryId: string;
  reason: string;
  /** The TOTP code typed, when the step-up is not fresh (else empty). */
  code: string;
  stepUpValidUntil: string | null;
}

export interface Revealed {
  secret: RevealedSecret;
  stepUpValidUntil: string | null;
}

/**
 * Step up (when a code is given or the last step-up lapsed), ask for a handle and open it at
 * once: the handle is single-use and never leaves this function.
 */
export async function revealOnce(steps: RevealSteps, input: RevealInput, now: number = Date.now()): Promise<Revealed> {
  let validUntil = input.stepUpValidUntil;
  if (input.code.trim() || !stepUpFresh(validUntil, now)) {
    validUntil = (await steps.stepUp(input.code.trim())).valid_until;
  }
  const { handle } = await steps.request(input.entryId, input.reason);
  const secret = await steps.open(handle);
  return { secret, stepUpValidUntil: validUntil };
}
