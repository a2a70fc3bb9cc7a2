// A warning's gate camera at the warning's time window (Decision II.2.2.c): the live view while
// the window reaches now, otherwise a shortcut to request the footage of that camera and
// window from the EPE as evidence (the evidence service's request, prefilled).

import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { authorizedFetch } from "../api/clients";
import { problemFrom } from "../api/problem";
import { useCameras } from "../api/queries";
import { cameraLabel } from "../cameras/labels";
import { warningWindow } from "../cameras/wall";
import type { WarningPublic } from "../client/risk/types.gen";
import { TextArea } from "./Field";
import { LiveView } from "./CameraView";
import { Problem } from "./Problem";
import { Loading, When } from "./Status";
import { useI18n } from "../i18n/context";

/** Gate positions, the one a warning's movement crossed first. */
const GATES = ["epe_gate", "storage_area_gate"];

interface EvidenceRequest {
  id: string;
  due_at: string;
}

async function requestEvidence(body: Record<string, unknown>): Promise<EvidenceRequest> {
  const response = await authorizedFetch("/api/evidence/requests", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer: unknown = await response.json().catch(() => null);
  if (!response.ok) throw problemFrom(response, answer);
  return answer as EvidenceRequest;
}

export function WarningCamera({ warning }: { warning: WarningPublic }) {
  const { t } = useI18n();
  const cameras = useCameras(warning.epe_id);
  const [span] = useState(() => warningWindow(warning.occurred_at));
  const [reason, setReason] = useState(() => t("warningCamera.reasonDefault", { subject: warning.subject }));
  const gate = (cameras.data || [])
    .filter((camera) => GATES.includes(camera.position_kind))
    .sort((a, b) => GATES.indexOf(a.position_kind) - GATES.indexOf(b.position_kind) || a.number.localeCompare(b.number))[0];
  const request = useMutation({
    mutationFn: () =>
      requestEvidence({
        epe_id: warning.epe_id,
        cameras: [gate!.id],
        time_ranges: [{ start: span.start, end: span.end }],
        reason,
        warning_ids: [warning.id],
      }),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    request.mutate();
  }

  let body;
  if (cameras.isPending) body = <Loading />;
  else if (cameras.isError) body = <Problem error={cameras.error} />;
  else if (!gate) body = <p className="empty">{t("warningCamera.noGate")}</p>;
  else {
    const label = cameraLabel(t, { epe_name: warning.epe_id, camera_number: gate.number, position_kind: gate.position_kind });
    const base = `/api/access/camera-views/cameras/${encodeURIComponent(gate.id)}`;
    body = span.live ? (
      <>
        <p>{t("warningCamera.liveLead", { camera: label })}</p>
        <LiveView liveUrl={`${base}/live`} snapshotUrl={`${base}/snapshot`} label={label} />
        <p className="muted">{t("cameras.audited")}</p>
      </>
    ) : request.isSuccess ? (
      <p className="notice" role="status" data-testid="evidence-requested">
        {t("warningCamera.requested", { id: request.data.id })} <When value={request.data.due_at} />
      </p>
    ) : (
      <form className="card" onSubmit={submit}>
        <p>{t("warningCamera.pastLead", { camera: label })}</p>
        <p>
          <When value={span.start} /> – <When value={span.end} />
        </p>
        <TextArea label={t("warningCamera.reason")} name="reason" required maxLength={4000} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} error={request.error} />
        {request.isError ? <Problem error={request.error} /> : null}
        <button type="submit" className="button-primary" disabled={request.isPending}>
          {request.isPending ? t("form.saving") : t("warningCamera.request")}
        </button>
      </form>
    );
  }
  return (
    <section aria-labelledby="warning-camera">
      <h2 id="warning-camera">{t("warningCamera.title")}</h2>
      {body}
    </section>
  );
}
