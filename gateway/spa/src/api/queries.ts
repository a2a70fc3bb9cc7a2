// The reads pages share, as TanStack Query hooks over the generated clients.

import { useQuery } from "@tanstack/react-query";
import type { User } from "../auth/session";
import { myAssignments } from "../client/access/sdk.gen";
import type { AssignmentPublic } from "../client/access/types.gen";
import { listIncidents } from "../client/incidents/sdk.gen";
import type { IncidentPublic } from "../client/incidents/types.gen";
import { getEpe, listCameras, listEpes } from "../client/registry/sdk.gen";
import type { CameraPublic, EpePublic } from "../client/registry/types.gen";
import { listWarnings } from "../client/risk/sdk.gen";
import type { WarningPublic } from "../client/risk/types.gen";
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
