// One warning with its explanation, timeline and the workflow actions its state allows
// (Decision II.2.2.b, II.2.3): acknowledge, analyse, propose, close, escalate; a head decides.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useUser, hasRole } from "../auth/useUser";
import { acknowledgeWarning, analyseWarning, closeWarning, decideWarning, escalateWarning, getWarning, proposeAction } from "../client/risk/sdk.gen";
import { ApiError } from "../api/problem";
import { TextArea } from "../components/Field";
import { Problem } from "../components/Problem";
import { Badge, Loading, When } from "../components/Status";
import { WarningCamera } from "../components/WarningCamera";
import { useI18n } from "../i18n/context";
import { hasMessage } from "../i18n/messages";

/** The risk service's default list of actions (RISK_WARNING_ACTIONS). */
const PROPOSALS = ["direct_screen_supervision", "request_camera_evidence", "documentary_check", "physical_inspection", "no_action"];

type Action = "acknowledge" | "analyse" | "propose" | "close" | "escalate" | "inspect" | "return";

/** The actions open in a state, for an officer or a head. */
export function actionsFor(state: string, head: boolean): Action[] {
  switch (state) {
    case "new":
      return ["acknowledge"];
    case "acknowledged":
      return ["analyse", "escalate"];
    case "analysed":
      return ["propose", "escalate"];
    case "action_proposed":
      return ["close", "escalate"];
    case "escalated":
      return head ? ["inspect", "return"] : [];
    default:
      return [];
  }
}

/** The details each workflow step records, in the order the timeline shows them. */
const STEP_FIELDS: Record<string, string[]> = {
  analyse: ["findings"],
  propose: ["action", "reason"],
  close: ["note"],
  escalate: ["reason"],
  decide: ["decision", "note"],
};

/** Details whose value is a code the SPA translates (`warning.proposal.*`, `warning.decision.*`). */
const CODED: Record<string, string> = { action: "warning.proposal", decision: "warning.decision" };

export interface StepNote {
  field: string;
  value: string;
  /** The message prefix when `value` is a code, else null (free text shown as typed). */
  coded: string | null;
}

/**
 * What a timeline entry's workflow step recorded (the escalation's reason, the head's decision,
 * ...), so the head decides knowing why it was escalated. The matcher's own entries add nothing
 * to the explanation shown above: none.
 */
export function stepNotes(action: string, details: Record<string, unknown>): StepNote[] {
  return (STEP_FIELDS[action] || []).flatMap((field) => {
    const value = details[field];
    return typeof value === "string" && value ? [{ field, value, coded: CODED[field] ?? null }] : [];
  });
}

export default function WarningPage({ params }: { params: Record<string, string> }) {
  const { t } = useI18n();
  const user = useUser();
  const warningId = params.warningId;
  const path = { warning_id: warningId };
  const queries = useQueryClient();
  const warning = useQuery({ queryKey: ["warning", warningId], queryFn: () => getWarning({ path }).then((r) => r.data) });
  const [chosen, setChosen] = useState<Action | null>(null);
  const [text, setText] = useState("");
  const [action, setAction] = useState("");

  const run = useMutation({
    mutationFn: async (which: Action) => {
      switch (which) {
        case "acknowledge":
          return acknowledgeWarning({ path });
        case "analyse":
          return analyseWarning({ path, body: { findings: text } });
        case "propose":
          return proposeAction({ path, body: { action, reason: text || null } });
        case "close":
          return closeWarning({ path, body: { note: text || null } });
        case "escalate":
          return escalateWarning({ path, body: { reason: text } });
        case "inspect":
          return decideWarning({ path, body: { decision: "organise_inspection", note: text || null } });
        case "return":
          return decideWarning({ path, body: { decision: "return", note: text || null } });
      }
    },
    onSuccess: () => {
      setChosen(null);
      setText("");
      setAction("");
      void queries.invalidateQueries({ queryKey: ["warning", warningId] });
      void queries.invalidateQueries({ queryKey: ["warnings"] });
    },
  });

  if (warning.isPending) return <Loading />;
  if (warning.isError)
    return (
      <section className="page">
        <h1>{t("warning.title")}</h1>
        <Problem error={warning.error} />
      </section>
    );
  const item = warning.data;
  const actions = actionsFor(item.state, hasRole(user, "head_of_subdepartment"));

  function submit(event: FormEvent) {
    event.preventDefault();
    if (chosen) run.mutate(chosen);
  }

  const textField: Record<Action, { name: string; required: boolean } | null> = {
    acknowledge: null,
    analyse: { name: "findings", required: true },
    propose: { name: "reason", required: false },
    close: { name: "note", required: false },
    escalate: { name: "reason", required: true },
    inspect: { name: "note", required: false },
    return: { name: "note", required: false },
  };

  return (
    <section className="page" aria-labelledby="warning-heading">
      <div className="page-head">
        <div>
          <h1 id="warning-heading">{t("warning.heading", { subject: item.subject })}</h1>
          <p className="lead">
            <Badge prefix="warning.rule" value={item.rule} tone="rule" /> · {item.epe_id}
          </p>
        </div>
        <Badge prefix="warning.state" value={item.state} />
      </div>
      <dl className="facts">
        <dt>{t("warnings.col.severity")}</dt>
        <dd>
          <Badge prefix="warning.severity" value={item.severity} tone={`severity-${item.severity}`} />
        </dd>
        <dt>{t("warning.occurredAt")}</dt>
        <dd>
          <When value={item.occurred_at} />
        </dd>
        <dt>{t("warnings.col.raised")}</dt>
        <dd>
          <When value={item.raised_at} />
        </dd>
      </dl>
      <h2>{t("warning.explanation")}</h2>
      <dl className="facts explanation">
        {Object.entries(item.explanation || {}).map(([name, value]) => (
          <div key={name} className="fact">
            <dt>{name}</dt>
            <dd>{typeof value === "object" ? JSON.stringify(value) : String(value)}</dd>
          </div>
        ))}
      </dl>

      <WarningCamera warning={item} />

      {actions.length ? (
        <section aria-labelledby="warning-actions">
          <h2 id="warning-actions">{t("warning.actions")}</h2>
          <div className="form-actions" role="group" aria-label={t("warning.actions")}>
            {actions.map((name) => (
              <button key={name} type="button" className={chosen === name ? "button-primary" : "button-secondary"} aria-pressed={chosen === name} onClick={() => (name === "acknowledge" ? run.mutate(name) : setChosen(name))} disabled={run.isPending}>
                {t(`warning.action.${name}`)}
              </button>
            ))}
          </div>
          {run.isError ? <Problem error={run.error} /> : null}
          {chosen && chosen !== "acknowledge" ? (
            <form className="card" onSubmit={submit}>
              {chosen === "propose" ? (
                <div className="field">
                  <label htmlFor="warning-action">{t("warning.field.action")}</label>
                  <select id="warning-action" name="action" required value={action} onChange={(e) => setAction(e.target.value)}>
                    <option value="">{t("form.choose")}</option>
                    {PROPOSALS.map((code) => (
                      <option key={code} value={code}>
                        {t(`warning.proposal.${code}`)}
                      </option>
                    ))}
                  </select>
                  {run.error instanceof ApiError && run.error.fieldMessage("action") !== null ? <p className="field-error">{run.error.fieldMessage("action")}</p> : null}
                </div>
              ) : null}
              {textField[chosen] ? (
                <TextArea label={t(`warning.field.${textField[chosen]!.name}`)} name={textField[chosen]!.name} required={textField[chosen]!.required} maxLength={4000} rows={3} value={text} onChange={(e) => setText(e.target.value)} error={run.error} />
              ) : null}
              <button type="submit" className="button-primary" disabled={run.isPending}>
                {run.isPending ? t("form.saving") : t(`warning.action.${chosen}`)}
              </button>
            </form>
          ) : null}
        </section>
      ) : null}

      <h2>{t("warning.timeline")}</h2>
      <ol className="timeline">
        {item.timeline.map((entry, index) => (
          <li key={index} data-step={entry.action}>
            <When value={entry.at} /> · <strong>{hasMessage(`warning.step.${entry.action}`) ? t(`warning.step.${entry.action}`) : entry.action}</strong> · {entry.actor}
            {stepNotes(entry.action, entry.details).map((note) => (
              <span key={note.field} className="step-note">
                {" · "}
                {t(`warning.field.${note.field}`)}: {note.coded && hasMessage(`${note.coded}.${note.value}`) ? t(`${note.coded}.${note.value}`) : note.value}
              </span>
            ))}
          </li>
        ))}
      </ol>
    </section>
  );
}
