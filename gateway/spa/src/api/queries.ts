// The reads pages share, as TanStack Query hooks over the generated clients.

import { useQuery } from "@tanstack/react-query";
import type { User } from "../auth/session";
import { myAssignments } from "../client/access/sdk.gen";
import type { AssignmentPublic } from "../client/access/types.gen";
import { listIncidents } from "../client/incidents/sdk.gen";
import type { IncidentPublic } from "../client/incidents/types.gen";
import { getEpe, listCameras, listEpes } from "../client/registry/sdk.gen";
import type { CameraPublic, EpePublic } from "../client/registry/types.gen";
import { getLevel, getMonthlyPlan, levelHistory, listLevels, listPlans, listWarnings } from "../client/risk/sdk.gen";
import type { LevelPublic, SlotPublic, WarningPublic } from "../client/risk/types.gen";
import { slotsOn } from "../cameras/wall";
import { vietnamToday } from "../format";
import { listAll } from "./paging";

export interface MyEpe {
  epeId: string;
  epe: EpePublic | null;
  assignment: AssignmentPublic | null;
  error: unknown;
}

/**
 * The EPEs this user supervises: an officer's current assignments (each EPE read from the
 * registry; one the registry cannot show still appears by its id), a head's whole unit.
 */
export function useMyEpes(user: User | null) {
  const head = !!user?.roles.includes("head_of_subdepartment");
  return useQuery({
    queryKey: ["my-epes", user?.subject, head],
    enabled: !!user,
    queryFn: async (): Promise<MyEpe[]> => {
      if (head) {
        const epes = await listAll((cursor) => listEpes({ query: { cursor, limit: 100 } }).then((r) => r.data));
        return epes.map((epe) => ({ epeId: epe.id, epe, assignment: null, error: null }));
      }
      const assignments = await listAll((cursor) =>
        myAssignments({ query: { cursor, limit: 100 } }).then((r) => r.data),
      );
      return Promise.all(
        assignments
          .filter((assignment) => !assignment.ended_at)
          .map(async (assignment) => {
            try {
              const epe = (await getEpe({ path: { epe_id: assignment.epe_id } })).data;
              return { epeId: assignment.epe_id, epe, assignment, error: null };
            } catch (error) {
              return { epeId: assignment.epe_id, epe: null, assignment, error };
            }
          }),
      );
    },
  });
}

export function useCameras(epeId: string) {
  return useQuery({
    queryKey: ["cameras", epeId],
    queryFn: (): Promise<CameraPublic[]> =>
      listAll((cursor) => listCameras({ path: { epe_id: epeId }, query: { cursor, limit: 200 } }).then((r) => r.data)),
  });
}

/** Open (not closed) incidents, optionally of one EPE. */
export function useOpenIncidents(epeId?: string, refetchInterval?: number) {
  return useQuery({
    refetchInterval,
    queryKey: ["incidents", "open", epeId ?? null],
    queryFn: async (): Promise<IncidentPublic[]> => {
      const all = await listAll((cursor) =>
        listIncidents({ query: { cursor, limit: 200, epe_id: epeId } }).then((r) => r.data),
      );
      return all.filter((incident) => incident.state !== "closed");
    },
  });
}

/** Warnings in a state (default: new), optionally of one EPE. */
export function useWarnings({
  epeId,
  state,
  refetchInterval,
}: { epeId?: string; state?: WarningPublic["state"] | null; refetchInterval?: number } = {}) {
  return useQuery({
    refetchInterval,
    queryKey: ["warnings", epeId ?? null, state ?? null],
    queryFn: () =>
      listWarnings({ query: { limit: 100, epe_id: epeId, state: state as never } }).then((r) => r.data.data),
  });
}

/**
 * Risk levels of the EPEs the caller may see; none when the risk service cannot answer (the
 * pages still show everything else). Under `["risk"]`, so a `risk.level.*` event reads again.
 */
export function useRiskLevels(refetchInterval?: number) {
  return useQuery({
    queryKey: ["risk", "levels"],
    refetchInterval,
    queryFn: async (): Promise<LevelPublic[]> => {
      try {
        return await listAll((cursor) => listLevels({ query: { cursor, limit: 1000 } }).then((r) => r.data));
      } catch {
        return [];
      }
    },
  });
}

/** One EPE's current level with the explanation of its score. */
export function useRiskLevel(epeId: string) {
  return useQuery({ queryKey: ["risk", "level", epeId], queryFn: () => getLevel({ path: { epe_id: epeId } }).then((r) => r.data) });
}

/** One EPE's latest scores (newest first, as the API pages them). */
export function useRiskHistory(epeId: string, limit = 200) {
  return useQuery({
    queryKey: ["risk", "history", epeId, limit],
    queryFn: () => levelHistory({ path: { epe_id: epeId }, query: { limit } }).then((r) => r.data.data),
  });
}

/**
 * Today's slots (Vietnam day) of the approved monitoring plans of this month; `mine`: only
 * the caller's. None when the risk service cannot answer.
 */
export function useTodaysSlots({ mine = false, refetchInterval }: { mine?: boolean; refetchInterval?: number } = {}) {
  const today = vietnamToday();
  return useQuery({
    queryKey: ["plan-slots", today, mine],
    refetchInterval,
    queryFn: async (): Promise<SlotPublic[]> => {
      try {
        const plans = (await listPlans({ query: { month: today.slice(0, 7) } })).data.filter((plan) => plan.state === "approved");
        const details = await Promise.all(
          plans.map((plan) => getMonthlyPlan({ path: { plan_id: plan.id }, query: { mine } }).then((r) => r.data)),
        );
        return slotsOn(
          details.flatMap((plan) => plan.slots),
          today,
        );
      } catch {
        return [];
      }
    },
  });
}
