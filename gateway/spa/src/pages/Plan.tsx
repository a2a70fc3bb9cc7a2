// The unit's monthly monitoring plan as a calendar: the head drafts it, approves or returns
// it with a reason and amends it once approved (each change recorded); the slot's officer
// records the inspection's result; overdue slots come first.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useMyEpes } from "../api/queries";
import { hasRole, useUser } from "../auth/useUser";
import {
  amendMonthlyPlan,
  decideMonthlyPlan,
  draftMonthlyPlan,
  getMonthlyPlan,
  listAmendments,
  listPlans,
  recordInspectionResult,
} from "../client/risk/sdk.gen";
import type { AmendmentKind, OutcomeInput as Outcome, PlanDetail, SlotPublic } from "../client/risk/types.gen";
import { TextArea, TextField } from "../components/Field";
import { Problem } from "../components/Problem";
import { SelectField } from "../components/SelectField";
import { Badge, Loading, When } from "../components/Status";
import { formatDay, vietnamInstant } from "../format";
import { useI18n } from "../i18n/context";
import { Link, navigate, useLocation } from "../router";
import {
  calendarWeeks,
  canRecordResult,
  currentPlan,
  overdueSlots,
  shiftMonth,
  slotsByDay,
  vietnamMonth,
  vietnamTime,
  workingDayFromBasis,
} from "../plan/calendar";

const MONTH = /^20\d{2}-(0[1-9]|1[0-2])$/;

type Names = Map<string, string>;

function useEpeNames(): Names {
  const epes = useMyEpes(useUser());
  return new Map((epes.data || []).map((item) => [item.epeId, item.epe?.name || item.epeId]));
}

function weekdayNames(locale: string): string[] {
  // 2024-01-01 was a Monday.
  const format = new Intl.DateTimeFormat(locale, { weekday: "short", timeZone: "UTC" });
  return Array.from({ length: 7 }, (_, i) => format.format(new Date(Date.UTC(2024, 0, 1 + i))));
}

function useInvalidatePlan(planId: string) {
  const queries = useQueryClient();
  return () => {
    void queries.invalidateQueries({ queryKey: ["plan", planId] });
    void queries.invalidateQueries({ queryKey: ["plans"] });
    void queries.invalidateQueries({ queryKey: ["amendments", planId] });
  };
}

function SlotLabel({ slot, names }: { slot: SlotPublic; names: Names }) {
  const { t } = useI18n();
  const me = useUser()?.subject;
  return (
    <>
      {vietnamTime(slot.starts_at)}–{vietnamTime(slot.ends_at)} · {names.get(slot.epe_id) || slot.epe_id} ·{" "}
      {slot.officer_id ? (slot.officer_id === me ? t("plan.me") : slot.officer_id) : t("plan.unassigned")}
    </>
  );
}

function DraftButton({ month }: { month: string }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const draft = useMutation({
    mutationFn: () => draftMonthlyPlan({ body: { month } }).then((r) => r.data),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ["plans"] }),
  });
  return (
    <div>
      {draft.isError ? <Problem error={draft.error} /> : null}
      <button type="button" className="button-primary" onClick={() => draft.mutate()} disabled={draft.isPending}>
        {draft.isPending ? t("form.saving") : t("plan.draft")}
      </button>
    </div>
  );
}

function DecisionForm({ plan }: { plan: PlanDetail }) {
  const { t } = useI18n();
  const [reason, setReason] = useState("");
  const done = useInvalidatePlan(plan.id);
  const decide = useMutation({
    mutationFn: (approve: boolean) =>
      decideMonthlyPlan({ path: { plan_id: plan.id }, body: approve ? { approve } : { approve, reason: reason || null } }).then((r) => r.data),
    onSuccess: done,
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    decide.mutate(false);
  }
  return (
    <form className="card" onSubmit={submit} aria-labelledby="plan-decision-heading">
      <h2 id="plan-decision-heading">{t("plan.decision.title")}</h2>
      {decide.isError ? <Problem error={decide.error} /> : null}
      <p>
        <button type="button" className="button-primary" onClick={() => decide.mutate(true)} disabled={decide.isPending}>
          {t("plan.decision.approve")}
        </button>
      </p>
      <TextArea label={t("plan.decision.reason")} name="reason" hint={t("plan.decision.reasonHint")} required maxLength={2000} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} error={decide.error} />
      <button type="submit" className="button-secondary" disabled={decide.isPending}>
        {t("plan.decision.return")}
      </button>
    </form>
  );
}

const OUTCOMES: Outcome[] = ["done", "findings", "not_done"];

function ResultForm({ planId, slot }: { planId: string; slot: SlotPublic }) {
  const { t } = useI18n();
  const [outcome, setOutcome] = useState<Outcome>("done");
  const [note, setNote] = useState("");
  const done = useInvalidatePlan(planId);
  const save = useMutation({
    mutationFn: () =>
      recordInspectionResult({ path: { plan_id: planId, slot_id: slot.id }, body: { outcome, note: note || null } }).then((r) => r.data),
    onSuccess: done,
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  return (
    <form className="card" onSubmit={submit} aria-labelledby="plan-result-heading">
      <h3 id="plan-result-heading">{t("plan.result.title")}</h3>
      {save.isError ? <Problem error={save.error} /> : null}
      <SelectField label={t("plan.result.outcome")} name="outcome" value={outcome} onChange={(e) => setOutcome(e.target.value as Outcome)} error={save.error} options={OUTCOMES.map((code) => ({ value: code, label: t(`plan.slot.state.${code}`) }))} />
      <TextArea label={t("plan.result.note")} name="note" hint={t("plan.result.noteHint")} required={outcome !== "done"} maxLength={4000} rows={3} value={note} onChange={(e) => setNote(e.target.value)} error={save.error} />
      <button type="submit" className="button-primary" disabled={save.isPending}>
        {save.isPending ? t("form.saving") : t("plan.result.save")}
      </button>
    </form>
  );
}

interface AmendState {
  kind: AmendmentKind;
  reason: string;
  startsAt: string;
  officerId: string;
  epeId: string;
}

function AmendForm({ planId, slot, names }: { planId: string; slot: SlotPublic | null; names: Names }) {
  const { t } = useI18n();
  const [form, setForm] = useState<AmendState>({ kind: slot ? "move" : "add", reason: "", startsAt: "", officerId: "", epeId: "" });
  const done = useInvalidatePlan(planId);
  const set = (name: keyof AmendState) => (event: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) =>
    setForm({ ...form, [name]: event.target.value });
  const save = useMutation({
    mutationFn: () =>
      amendMonthlyPlan({
        path: { plan_id: planId },
        body: {
          kind: form.kind,
          reason: form.reason,
          slot_id: slot?.id ?? null,
          epe_id: form.kind === "add" ? form.epeId || null : null,
          officer_id: form.kind === "reassign" || form.kind === "add" ? form.officerId || null : null,
          starts_at: form.kind === "move" || form.kind === "add" ? vietnamInstant(form.startsAt) || null : null,
        },
      }).then((r) => r.data),
    onSuccess: () => {
      setForm({ ...form, reason: "" });
      done();
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  const kinds: AmendmentKind[] = slot ? ["move", "reassign", "cancel"] : ["add"];
  const heading = slot ? "plan-amend-heading" : "plan-add-heading";
  return (
    <form className="card" onSubmit={submit} aria-labelledby={heading}>
      <h3 id={heading}>{slot ? t("plan.amend.title") : t("plan.amend.addTitle")}</h3>
      {save.isError ? <Problem error={save.error} /> : null}
      {save.isSuccess ? (
        <p className="notice" role="status">
          {t("plan.amend.saved")}
        </p>
      ) : null}
      {slot ? <SelectField label={t("plan.amend.kind")} name="kind" value={form.kind} onChange={set("kind")} error={save.error} options={kinds.map((code) => ({ value: code, label: t(`plan.amend.kind.${code}`) }))} /> : null}
      {form.kind === "add" ? (
        <SelectField label={t("plan.col.epe")} name="epe_id" value={form.epeId} onChange={set("epeId")} error={save.error} required options={[{ value: "", label: t("form.choose") }, ...[...names].map(([id, name]) => ({ value: id, label: name }))]} />
      ) : null}
      {form.kind === "move" || form.kind === "add" ? (
        <TextField label={t("plan.amend.startsAt")} name="starts_at" type="datetime-local" required value={form.startsAt} onChange={set("startsAt")} error={save.error} />
      ) : null}
      {form.kind === "reassign" || form.kind === "add" ? (
        <TextField label={t("plan.amend.officer")} name="officer_id" hint={t("plan.amend.officerHint")} required={form.kind === "reassign"} maxLength={200} value={form.officerId} onChange={set("officerId")} error={save.error} />
      ) : null}
      <TextArea label={t("plan.amend.reason")} name="reason" required maxLength={2000} rows={2} value={form.reason} onChange={set("reason")} error={save.error} />
      <button type="submit" className="button-secondary" disabled={save.isPending}>
        {save.isPending ? t("form.saving") : t("plan.amend.save")}
      </button>
    </form>
  );
}

function SlotPanel({ plan, slot, names }: { plan: PlanDetail; slot: SlotPublic; names: Names }) {
  const { t } = useI18n();
  const user = useUser();
  const head = hasRole(user, "head_of_subdepartment");
  const mayRecord = head || slot.officer_id === user?.subject;
  return (
    <section className="card plan-slot" aria-labelledby="plan-slot-heading">
      <h2 id="plan-slot-heading">{t("plan.slot.title")}</h2>
      <dl className="facts">
        <dt>{t("plan.col.epe")}</dt>
        <dd>
          <Link href={`/epes/${encodeURIComponent(slot.epe_id)}`}>{names.get(slot.epe_id) || slot.epe_id}</Link>
        </dd>
        <dt>{t("plan.col.when")}</dt>
        <dd>
          <When value={slot.starts_at} /> – {vietnamTime(slot.ends_at)}
        </dd>
        <dt>{t("plan.col.officer")}</dt>
        <dd>{slot.officer_id || t("plan.unassigned")}</dd>
        <dt>{t("plan.col.state")}</dt>
        <dd>
          <Badge prefix="plan.slot.state" value={slot.state} /> {slot.overdue ? <strong className="cell-alert">{t("plan.overdue")}</strong> : null}
        </dd>
        {slot.recorded_at ? (
          <>
            <dt>{t("plan.result.note")}</dt>
            <dd>{slot.result_note || "—"}</dd>
            <dt>{t("plan.result.recorded")}</dt>
            <dd>
              {slot.recorded_by} · <When value={slot.recorded_at} />
            </dd>
          </>
        ) : null}
      </dl>
      {plan.state === "approved" && mayRecord && canRecordResult(slot) ? <ResultForm key={slot.id} planId={plan.id} slot={slot} /> : null}
      {plan.state === "approved" && slot.state === "planned" && !canRecordResult(slot) ? <p className="muted">{t("plan.result.notYet")}</p> : null}
      {plan.state === "approved" && head && slot.state === "planned" ? <AmendForm key={`amend-${slot.id}`} planId={plan.id} slot={slot} names={names} /> : null}
    </section>
  );
}

function Calendar({ plan, month, selected, onSelect, names }: { plan: PlanDetail; month: string; selected: string | null; onSelect: (id: string) => void; names: Names }) {
  const { t, locale } = useI18n();
  const byDay = slotsByDay(plan.slots);
  const working = workingDayFromBasis(plan.basis);
  const weekdays = weekdayNames(locale);
  return (
    <div className="table-wrap">
      <table className="plan-calendar">
        <caption>{t("plan.calendar", { month: formatDay(`${month}-01`, locale).slice(3) })}</caption>
        <thead>
          <tr>
            {weekdays.map((name) => (
              <th key={name} scope="col">
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {calendarWeeks(month).map((week, index) => (
            <tr key={index}>
              {week.map((day, column) =>
                day ? (
                  <td key={day} className={working(day) ? "plan-day" : "plan-day plan-day-off"} data-day={day}>
                    <span className="plan-day-number">
                      {Number(day.slice(8))}
                      {working(day) ? null : <span className="visually-hidden"> {t("plan.dayOff")}</span>}
                    </span>
                    <ul>
                      {(byDay.get(day) || []).map((slot) => (
                        <li key={slot.id}>
                          <button
                            type="button"
                            className={`plan-slot-button slot-${slot.state}${slot.overdue ? " slot-overdue" : ""}`}
                            aria-pressed={selected === slot.id}
                            data-slot={slot.id}
                            onClick={() => onSelect(slot.id)}
                          >
                            <SlotLabel slot={slot} names={names} /> · {t(`plan.slot.state.${slot.state}`)}
                            {slot.overdue ? ` · ${t("plan.overdue")}` : ""}
                          </button>
                        </li>
                      ))}
                    </ul>
                  </td>
                ) : (
                  <td key={`blank-${column}`} className="plan-day-blank" />
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PlanView({ planId, month }: { planId: string; month: string }) {
  const { t } = useI18n();
  const user = useUser();
  const head = hasRole(user, "head_of_subdepartment");
  const [mine, setMine] = useState(!head);
  const [selected, setSelected] = useState<string | null>(null);
  const names = useEpeNames();
  const plan = useQuery({
    queryKey: ["plan", planId, mine],
    queryFn: () => getMonthlyPlan({ path: { plan_id: planId }, query: { mine } }).then((r) => r.data),
  });
  const amendments = useQuery({
    queryKey: ["amendments", planId],
    queryFn: () => listAmendments({ path: { plan_id: planId } }).then((r) => r.data),
  });
  if (plan.isPending) return <Loading />;
  if (plan.isError) return <Problem error={plan.error} />;
  const item = plan.data;
  const slot = item.slots.find((s) => s.id === selected) || null;
  const late = overdueSlots(item.slots);
  return (
    <>
      <dl className="facts" data-testid="plan-facts">
        <dt>{t("plan.state")}</dt>
        <dd>
          <Badge prefix="plan.state" value={item.state} />
        </dd>
        <dt>{t("plan.drafted")}</dt>
        <dd>
          {item.drafted_by} · <When value={item.drafted_at} />
        </dd>
        {item.decided_at ? (
          <>
            <dt>{t("plan.decided")}</dt>
            <dd>
              {item.decided_by} · <When value={item.decided_at} />
            </dd>
          </>
        ) : null}
        {item.return_reason ? (
          <>
            <dt>{t("plan.returnReason")}</dt>
            <dd>{item.return_reason}</dd>
          </>
        ) : null}
        <dt>{t("plan.slots")}</dt>
        <dd>{t("plan.slotCount", { count: String(item.slot_count), overdue: String(item.overdue_count) })}</dd>
      </dl>

      {head && item.state === "draft" ? <DecisionForm plan={item} /> : null}

      <div className="filters">
        <input id="plan-mine" type="checkbox" checked={mine} onChange={(e) => setMine(e.target.checked)} />
        <label htmlFor="plan-mine">{t("plan.mine")}</label>
      </div>

      {late.length ? (
        <section aria-labelledby="plan-overdue">
          <h2 id="plan-overdue">{t("plan.overdueTitle")}</h2>
          <ul className="plan-overdue">
            {late.map((s) => (
              <li key={s.id}>
                <button type="button" className="plan-slot-button slot-overdue" data-slot={s.id} onClick={() => setSelected(s.id)}>
                  <When value={s.starts_at} /> · <SlotLabel slot={s} names={names} />
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {slot ? <SlotPanel plan={item} slot={slot} names={names} /> : null}

      <section aria-labelledby="plan-calendar-heading">
        <h2 id="plan-calendar-heading">{t("plan.calendarTitle")}</h2>
        {item.slots.length ? <Calendar plan={item} month={month} selected={selected} onSelect={setSelected} names={names} /> : <p className="empty">{t("plan.noSlots")}</p>}
      </section>

      {item.state === "approved" && head ? <AmendForm planId={item.id} slot={null} names={names} /> : null}

      <section aria-labelledby="plan-amendments">
        <h2 id="plan-amendments">{t("plan.amendments")}</h2>
        {amendments.isError ? (
          <Problem error={amendments.error} />
        ) : !amendments.data?.length ? (
          <p className="empty">{t("plan.noAmendments")}</p>
        ) : (
          <ol className="timeline">
            {amendments.data.map((entry) => (
              <li key={entry.id}>
                <When value={entry.amended_at} /> · <strong>{t(`plan.amend.kind.${entry.kind}`)}</strong> · {entry.reason} · {entry.amended_by}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

export default function Plan() {
  const { t } = useI18n();
  const user = useUser();
  const head = hasRole(user, "head_of_subdepartment");
  const query = new URLSearchParams(useLocation().split("?")[1] || "");
  const asked = query.get("month") || "";
  const month = MONTH.test(asked) ? asked : vietnamMonth();
  const [typed, setTyped] = useState(month);
  const plans = useQuery({ queryKey: ["plans", month], queryFn: () => listPlans({ query: { month } }).then((r) => r.data) });
  const go = (next: string) => {
    setTyped(next);
    navigate(`/plan?month=${next}`, { replace: true });
  };
  const shown = plans.data ? currentPlan(plans.data) : null;
  const returned = (plans.data || []).filter((p) => p.state === "returned" && p.id !== shown?.id);
  return (
    <section className="page" aria-labelledby="plan-heading">
      <div className="page-head">
        <div>
          <h1 id="plan-heading">{t("plan.title")}</h1>
          <p className="lead">{t("plan.lead")}</p>
        </div>
      </div>
      <form
        className="filters"
        onSubmit={(event) => {
          event.preventDefault();
          if (MONTH.test(typed)) go(typed);
        }}
      >
        <button type="button" className="button-secondary" onClick={() => go(shiftMonth(month, -1))}>
          {t("plan.previous")}
        </button>
        <label htmlFor="plan-month">{t("plan.month")}</label>
        <input id="plan-month" type="month" value={typed} onChange={(e) => setTyped(e.target.value)} />
        <button type="submit" className="button-secondary">
          {t("plan.show")}
        </button>
        <button type="button" className="button-secondary" onClick={() => go(shiftMonth(month, 1))}>
          {t("plan.next")}
        </button>
      </form>
      {plans.isPending ? (
        <Loading />
      ) : plans.isError ? (
        <Problem error={plans.error} />
      ) : (
        <>
          {!shown || shown.state === "returned" ? (
            <>
              <p className="empty">{t("plan.none")}</p>
              {head ? <DraftButton month={month} /> : null}
            </>
          ) : null}
          {returned.length ? (
            <ul className="plan-returned">
              {returned.map((p) => (
                <li key={p.id}>
                  {t("plan.returnedOn")} <When value={p.decided_at} />: {p.return_reason}
                </li>
              ))}
            </ul>
          ) : null}
          {shown ? <PlanView key={shown.id} planId={shown.id} month={month} /> : null}
        </>
      )}
    </section>
  );
}
