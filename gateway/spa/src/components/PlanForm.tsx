// The surveillance plan customs agrees with the EPE pending repair (Decision I.2.3.a): the
// current plan and when it was agreed, and, for an officer or head while the incident is
// notified or plan_agreed, the form that agrees (or revises) it. A failed save keeps the text.

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { hasRole, useUser } from "../auth/useUser";
import { agreePlan } from "../client/incidents/sdk.gen";
import type { IncidentPublic } from "../client/incidents/types.gen";
import { useI18n } from "../i18n/context";
import { planAction } from "../incidents/plan";
import { TextArea } from "./Field";
import { Problem } from "./Problem";
import { When } from "./Status";

export function PlanSection({ incident }: { incident: IncidentPublic }) {
  const { t } = useI18n();
  const user = useUser();
  const queries = useQueryClient();
  const action = planAction(incident.state, user?.roles || []);
  const [plan, setPlan] = useState(incident.plan || "");
  const save = useMutation({
    mutationFn: () => agreePlan({ path: { incident_id: incident.id }, body: { plan } }).then((r) => r.data),
    onSuccess: (updated) => {
      queries.setQueryData(["incident", incident.id], updated);
      void queries.invalidateQueries({ queryKey: ["timeline", incident.id] });
      void queries.invalidateQueries({ queryKey: ["incidents"] });
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  return (
    <section aria-labelledby="incident-plan">
      <h2 id="incident-plan">{t("incident.plan")}</h2>
      <dl className="facts" data-testid="plan-state">
        <dt>{t("incident.plan.state")}</dt>
        <dd>{incident.plan_agreed_at ? t("incident.plan.agreed") : t("incident.plan.notAgreed")}</dd>
        <dt>{t("incident.plan.agreedAt")}</dt>
        <dd>
          <When value={incident.plan_agreed_at} />
        </dd>
        <dt>{t("incident.plan.text")}</dt>
        <dd className="prewrap">{incident.plan || "—"}</dd>
      </dl>
      {action ? (
        <form className="card" onSubmit={submit} aria-labelledby="plan-form-heading">
          <h3 id="plan-form-heading">{t(action === "agree" ? "incident.plan.agreeTitle" : "incident.plan.reviseTitle")}</h3>
          {save.isError ? <Problem error={save.error} /> : null}
          {save.isSuccess ? (
            <p className="notice" role="status">
              {t("incident.plan.saved")}
            </p>
          ) : null}
          <TextArea label={t("incident.plan.text")} name="plan" hint={t("incident.plan.hint")} required maxLength={4000} rows={4} value={plan} onChange={(e) => setPlan(e.target.value)} error={save.error} />
          <button type="submit" className="button-primary" disabled={save.isPending}>
            {save.isPending ? t("form.saving") : t(action === "agree" ? "incident.plan.agree" : "incident.plan.revise")}
          </button>
        </form>
      ) : hasRole(user, "supervisory_officer", "head_of_subdepartment") && !incident.plan_agreed_at ? (
        <p className="empty">{t("incident.plan.notOpen")}</p>
      ) : null}
    </section>
  );
}
