// An EPE's Appendix I conformity (I.1.3.b): the status, each camera's result per line with the
// declared value, the EPE's latest declaration and customs' review of it, and, for an officer or
// head who may, the review form (confirm, or reject with reasons). A failed save keeps the input.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useUser } from "../auth/useUser";
import { conformityReport, reviewConformity } from "../client/registry/sdk.gen";
import type { ConformityReport, DeclarationPublic } from "../client/registry/types.gen";
import { reasonLines, reviewDecisions, type Decision } from "../conformity/review";
import { useI18n } from "../i18n/context";
import { TextArea } from "./Field";
import { Problem } from "./Problem";
import { Badge, Loading, When } from "./Status";

function ReviewForm({ epeId, declaration, decisions }: { epeId: string; declaration: DeclarationPublic; decisions: Decision[] }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [decision, setDecision] = useState<Decision>(decisions[0]);
  const [reasons, setReasons] = useState("");
  const save = useMutation({
    mutationFn: () =>
      reviewConformity({
        path: { epe_id: epeId },
        body: { declaration_id: declaration.id, decision, reasons: reasonLines(reasons) },
      }).then((r) => r.data),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ["conformity", epeId] }),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  return (
    <form className="card" onSubmit={submit} aria-labelledby="conformity-review-heading">
      <h3 id="conformity-review-heading">{t("conformity.review.title")}</h3>
      {save.isError ? <Problem error={save.error} /> : null}
      <fieldset>
        <legend>{t("conformity.review.decision")}</legend>
        {decisions.map((option) => (
          <label key={option} className="choice">
            <input type="radio" name="decision" value={option} checked={decision === option} onChange={() => setDecision(option)} /> {t(`conformity.decision.${option}`)}
          </label>
        ))}
        {decisions.length === 1 ? <p className="field-hint">{t("conformity.review.onlyReject")}</p> : null}
      </fieldset>
      <TextArea
        label={t("conformity.review.reasons")}
        name="reasons"
        hint={t("conformity.review.reasonsHint")}
        required={decision === "rejected"}
        rows={3}
        value={reasons}
        onChange={(e) => setReasons(e.target.value)}
        error={save.error}
      />
      <button type="submit" className="button-primary" disabled={save.isPending}>
        {save.isPending ? t("form.saving") : t("conformity.review.save")}
      </button>
    </form>
  );
}

function CameraLines({ report }: { report: ConformityReport }) {
  const { t } = useI18n();
  return (
    <>
      {report.cameras.map((camera) => (
        <details key={camera.camera_id} className="conformity-camera">
          <summary>
            {t("conformity.cameraSummary", {
              camera: camera.camera_number,
              passed: String(camera.passed),
              failed: String(camera.failed),
              notDeclared: String(camera.not_declared),
            })}
          </summary>
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">{t("conformity.linesOf", { camera: camera.camera_number })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("conformity.line")}</th>
                  <th scope="col">{t("conformity.specification")}</th>
                  <th scope="col">{t("conformity.requirement")}</th>
                  <th scope="col">{t("conformity.declared")}</th>
                  <th scope="col">{t("conformity.result")}</th>
                </tr>
              </thead>
              <tbody>
                {camera.lines.map((line) => (
                  <tr key={line.line}>
                    <th scope="row">{line.line}</th>
                    <td>{line.specification}</td>
                    <td>{line.requirement}</td>
                    <td>{line.declared ?? "—"}</td>
                    <td className={line.result === "fail" ? "cell-alert" : undefined}>{t(`conformity.result.${line.result}`)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      ))}
    </>
  );
}

export function ConformitySection({ epeId }: { epeId: string }) {
  const { t } = useI18n();
  const user = useUser();
  const conformity = useQuery({ queryKey: ["conformity", epeId], queryFn: () => conformityReport({ path: { epe_id: epeId } }).then((r) => r.data) });
  if (conformity.isPending) return <Loading />;
  if (conformity.isError) return <Problem error={conformity.error} />;
  const report = conformity.data;
  const decisions = reviewDecisions(report, user?.roles || []);
  return (
    <>
      <p data-testid="conformity-status">
        <Badge prefix="conformity.status" value={report.status} />
      </p>
      {report.status === "exempt" ? <p>{t("conformity.exempt", { reason: report.exemption_reason })}</p> : null}
      <CameraLines report={report} />
      <h3>{t("conformity.declaration")}</h3>
      {report.declaration ? (
        <dl className="facts">
          <dt>{t("conformity.declaredAt")}</dt>
          <dd>
            <When value={report.declaration.declared_at} />
          </dd>
          <dt>{t("conformity.signedBy")}</dt>
          <dd>{report.declaration.signed_by}</dd>
          <dt>{t("conformity.statement")}</dt>
          <dd className="prewrap">{report.declaration.statement}</dd>
          <dt>{t("conformity.documents")}</dt>
          <dd>{report.declaration.documents.map((doc) => doc.title + (doc.reference ? ` (${doc.reference})` : "")).join("; ") || "—"}</dd>
        </dl>
      ) : (
        <p className="empty">{t("conformity.noDeclaration")}</p>
      )}
      <h3>{t("conformity.review")}</h3>
      {report.review ? (
        <dl className="facts" data-testid="conformity-review">
          <dt>{t("conformity.review.decision")}</dt>
          <dd>
            <Badge prefix="conformity.decision" value={report.review.decision} />
          </dd>
          <dt>{t("conformity.review.by")}</dt>
          <dd>
            {report.review.reviewed_by} · {t(`role.${report.review.reviewer_role}`)}
          </dd>
          <dt>{t("conformity.review.at")}</dt>
          <dd>
            <When value={report.review.reviewed_at} />
          </dd>
          <dt>{t("conformity.review.reasons")}</dt>
          <dd>{report.review.reasons.length ? report.review.reasons.join("; ") : "—"}</dd>
        </dl>
      ) : (
        <p className="empty">{t("conformity.noReview")}</p>
      )}
      {decisions.length && report.declaration ? <ReviewForm key={report.declaration.id} epeId={epeId} declaration={report.declaration} decisions={decisions} /> : null}
    </>
  );
}
