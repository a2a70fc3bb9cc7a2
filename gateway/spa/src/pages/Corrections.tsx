// Direct data corrections (seed 2 §3): an IT operator prepares a plan (one row of one
// service's table, each column's value now and after, why, who supervises); the head of the
// unit approves or refuses it (never one they prepared); the operator applies it with
// `python -m servicekit.corrections apply`, which reports back; the minutes are downloaded
// here. Auditors read every unit's corrections.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { listAll } from "../api/paging";
import { ApiError } from "../api/problem";
import type { User } from "../auth/session";
import { useUser } from "../auth/useUser";
import { approve, listCorrections, listUsers, minutes, prepare, refuse } from "../client/access/sdk.gen";
import type { CorrectionPublic, CorrectionStatus, DataCorrectionCreate } from "../client/access/types.gen";
import { TextArea, TextField } from "../components/Field";
import { Decided, DecidePanel, StatusFilter, useDecision } from "../components/MakerChecker";
import { Problem } from "../components/Problem";
import { SelectField } from "../components/SelectField";
import { Badge, Loading, When } from "../components/Status";
import { useI18n } from "../i18n/context";

const HEAD = "head_of_subdepartment";
const OPERATOR = "it_operator";
const AUDITOR = "auditor";
const STATUSES: CorrectionStatus[] = ["pending", "approved", "refused", "applying", "applied", "failed"];
/** The services whose databases a correction can target (the access service's own list). */
export const SERVICES = ["registry", "access", "incidents", "risk", "evidence"] as const;

type Scalar = string | number | boolean | null;

/** A value as the operator types it: numbers, true, false and null are read as such, a
 * double-quoted text as that text (so "42" stays text), anything else as the text typed. */
export function parseScalar(typed: string): Scalar {
  const text = typed.trim();
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null|"(?:[^"\\]|\\.)*")$/.test(text)) {
    return JSON.parse(text) as Scalar;
  }
  return typed;
}

/** How a stored value reads in the table: text as typed, others in JSON notation. */
export function showScalar(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Whether this user may decide the correction: a head of its unit, pending, not theirs (the
 * server checks the same and answers 403). */
export function canDecide(row: Pick<CorrectionPublic, "status" | "prepared_by" | "unit">, user: Pick<User, "subject" | "roles" | "unit">): boolean {
  return user.roles.includes(HEAD) && row.status === "pending" && row.prepared_by !== user.subject && row.unit === user.unit;
}

interface Line {
  column: string;
  from: string;
  to: string;
}

interface Person {
  name: string;
  position: string;
}

interface Plan {
  service: string;
  table: string;
  keyColumn: string;
  keyValue: string;
  changes: Line[];
  reason: string;
  supervisors: Person[];
}

const EMPTY_PLAN: Plan = {
  service: "",
  table: "",
  keyColumn: "id",
  keyValue: "",
  changes: [{ column: "", from: "", to: "" }],
  reason: "",
  supervisors: [{ name: "", position: "" }],
};

/** The API body of the form: one key column, each change line, each supervisor. */
export function planBody(plan: Plan): DataCorrectionCreate {
  return {
    service: plan.service,
    table: plan.table.trim(),
    primary_key: { [plan.keyColumn.trim()]: parseScalar(plan.keyValue) },
    changes: Object.fromEntries(plan.changes.map((line) => [line.column.trim(), { from: parseScalar(line.from), to: parseScalar(line.to) }])),
    reason: plan.reason,
    supervisors: plan.supervisors,
  };
}

/** The API's field errors under the form's field names. The API names a change line and the
 * key's value by their column (`body.changes.<column>.from`, `body.primary_key.<column>`), the
 * form by the line (`changes.<i>.from`) and `key_value`; a bad key column name is the
 * `primary_key` field. Every other pointer (`body.service`, `body.supervisors.0.name`, ...)
 * already matches a field's name. */
export function planErrors(error: unknown, plan: Plan): unknown {
  if (!(error instanceof ApiError)) return error;
  const columns = plan.changes.map((line) => line.column.trim());
  const rename = (field: string | undefined) => {
    const [top, column, part] = (field || "").replace(/^body\./, "").split(".");
    if (top === "changes" && column !== undefined && columns.includes(column)) {
      return `changes.${columns.indexOf(column)}.${part === "from" || part === "to" ? part : "column"}`;
    }
    if (top === "primary_key" && column !== undefined) {
      return column === plan.keyColumn.trim() && part !== "[key]" ? "key_value" : "primary_key";
    }
    return field;
  };
  const errors = error.errors.map((item) => ({ ...item, field: rename(item.field) }));
  return new ApiError({ status: error.status, title: error.title, detail: error.detail, errors, retryAfter: error.retryAfter });
}

/** The message of an error about a whole list of the form (too many lines, none). */
function ListError({ id, error, field }: { id: string; error: unknown; field: string }) {
  const message = error instanceof ApiError ? error.fieldMessage(field) : null;
  return message !== null ? (
    <p className="field-error" id={id}>
      {message}
    </p>
  ) : null;
}

function usePeople(user: User | null) {
  return useQuery({
    queryKey: ["users", user?.unit ?? null],
    enabled: !!user && (user.roles.includes(HEAD) || user.roles.includes(AUDITOR)), // who may list users
    queryFn: () => listAll((cursor) => listUsers({ query: { cursor, limit: 100, unit: user?.unit || undefined } }).then((r) => r.data)),
    retry: false,
  });
}

async function downloadMinutes(id: string): Promise<void> {
  const answer = await minutes({ path: { correction_id: id }, parseAs: "blob" });
  const url = URL.createObjectURL(answer.data as Blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `bien-ban-sua-du-lieu-${id}.pdf`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export default function Corrections() {
  const { t } = useI18n();
  const user = useUser();
  const people = usePeople(user);
  if (!user) return null;
  const names = new Map((people.data || []).map((u) => [u.id, `${u.full_name} (@${u.username})`]));
  const who = (id: string | null) => (id ? names.get(id) || id : "—");
  const lead = user.roles.includes(OPERATOR) ? "corrections.lead.operator" : user.roles.includes(HEAD) ? "corrections.lead.head" : "corrections.lead.auditor";
  return (
    <section className="page" aria-labelledby="corrections-heading">
      <div className="page-head">
        <div>
          <h1 id="corrections-heading">{t("corrections.title")}</h1>
          <p className="lead">{t(lead)}</p>
        </div>
      </div>
      {user.roles.includes(OPERATOR) ? <PrepareForm /> : null}
      <CorrectionList user={user} who={who} />
    </section>
  );
}

function PrepareForm() {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [plan, setPlan] = useState<Plan>(EMPTY_PLAN);
  const save = useMutation({
    mutationFn: (body: DataCorrectionCreate) => prepare({ body }).then((r) => r.data),
    onSuccess: () => {
      setPlan(EMPTY_PLAN);
      void queries.invalidateQueries({ queryKey: ["corrections"] });
    },
  });
  const set = <K extends keyof Plan>(name: K, value: Plan[K]) => setPlan({ ...plan, [name]: value });
  const setLine = (index: number, name: keyof Line, value: string) => set("changes", plan.changes.map((line, i) => (i === index ? { ...line, [name]: value } : line)));
  const setPerson = (index: number, name: keyof Person, value: string) => set("supervisors", plan.supervisors.map((person, i) => (i === index ? { ...person, [name]: value } : person)));
  const errors = planErrors(save.error, plan);
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(planBody(plan));
  }
  return (
    <section aria-labelledby="correction-prepare-heading">
      <h2 id="correction-prepare-heading">{t("corrections.prepare.title")}</h2>
      <form className="card authority-form" onSubmit={submit}>
        <SelectField
          label={t("corrections.field.service")}
          name="service"
          required
          value={plan.service}
          onChange={(event) => set("service", event.target.value)}
          error={errors}
          options={[{ value: "", label: t("form.choose") }, ...SERVICES.map((name) => ({ value: name, label: name }))]}
        />
        <TextField label={t("corrections.field.table")} name="table" required maxLength={63} value={plan.table} onChange={(event) => set("table", event.target.value)} error={errors} />
        <TextField label={t("corrections.field.keyColumn")} name="primary_key" required maxLength={63} value={plan.keyColumn} onChange={(event) => set("keyColumn", event.target.value)} error={errors} />
        <TextField label={t("corrections.field.keyValue")} hint={t("corrections.field.valueHint")} name="key_value" required value={plan.keyValue} onChange={(event) => set("keyValue", event.target.value)} error={errors} />
        <fieldset className="field">
          <legend>{t("corrections.field.changes")}</legend>
          <ListError id="correction-changes-error" error={errors} field="changes" />
          {plan.changes.map((line, index) => (
            <div className="field-row" key={index}>
              <TextField label={t("corrections.field.column", { n: index + 1 })} name={`changes.${index}.column`} required maxLength={63} value={line.column} onChange={(event) => setLine(index, "column", event.target.value)} error={errors} />
              <TextField label={t("corrections.field.from", { n: index + 1 })} name={`changes.${index}.from`} value={line.from} onChange={(event) => setLine(index, "from", event.target.value)} error={errors} />
              <TextField label={t("corrections.field.to", { n: index + 1 })} name={`changes.${index}.to`} value={line.to} onChange={(event) => setLine(index, "to", event.target.value)} error={errors} />
            </div>
          ))}
          <p className="field-hint">{t("corrections.field.valueHint")}</p>
          <button type="button" className="button-secondary" onClick={() => set("changes", [...plan.changes, { column: "", from: "", to: "" }])}>
            {t("corrections.field.addChange")}
          </button>
        </fieldset>
        <TextArea label={t("corrections.field.reason")} name="reason" required minLength={10} maxLength={2000} rows={2} value={plan.reason} onChange={(event) => set("reason", event.target.value)} error={errors} />
        <fieldset className="field">
          <legend>{t("corrections.field.supervisors")}</legend>
          <ListError id="correction-supervisors-error" error={errors} field="supervisors" />
          {plan.supervisors.map((person, index) => (
            <div className="field-row" key={index}>
              <TextField label={t("corrections.field.supervisorName", { n: index + 1 })} name={`supervisors.${index}.name`} required minLength={2} maxLength={200} value={person.name} onChange={(event) => setPerson(index, "name", event.target.value)} error={errors} />
              <TextField label={t("corrections.field.supervisorPosition", { n: index + 1 })} name={`supervisors.${index}.position`} required minLength={2} maxLength={200} value={person.position} onChange={(event) => setPerson(index, "position", event.target.value)} error={errors} />
            </div>
          ))}
          <button type="button" className="button-secondary" onClick={() => set("supervisors", [...plan.supervisors, { name: "", position: "" }])}>
            {t("corrections.field.addSupervisor")}
          </button>
        </fieldset>
        {save.isError ? <Problem error={save.error} /> : null}
        {save.isSuccess ? (
          <p className="notice" role="status">
            {t("corrections.prepare.done")}
          </p>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={save.isPending}>
            {t("corrections.prepare.submit")}
          </button>
        </div>
      </form>
    </section>
  );
}

function Plan({ row }: { row: CorrectionPublic }) {
  const { t } = useI18n();
  const key = Object.entries(row.primary_key)
    .map(([column, value]) => `${column} = ${showScalar(value)}`)
    .join(", ");
  return (
    <>
      <code>
        {row.service}.{row.table}
      </code>{" "}
      ({key})
      <ul>
        {Object.entries(row.changes).map(([column, change]) => {
          const { from, to } = change as { from: unknown; to: unknown };
          return (
            <li key={column}>
              {t("corrections.change", { column, from: showScalar(from), to: showScalar(to) })}
            </li>
          );
        })}
      </ul>
    </>
  );
}

function CorrectionList({ user, who }: { user: User; who: (id: string | null) => string }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const isHead = user.roles.includes(HEAD);
  const [status, setStatus] = useState<CorrectionStatus | "all">(isHead ? "pending" : "all");
  const list = useQuery({
    queryKey: ["corrections", status],
    queryFn: () => listAll((cursor) => listCorrections({ query: { cursor, limit: 100, status: status === "all" ? undefined : status } }).then((r) => r.data)),
  });
  const decision = useDecision<CorrectionPublic, CorrectionPublic>(
    (id, yes, note) => (yes ? approve : refuse)({ path: { correction_id: id }, body: { note } }).then((r) => r.data),
    () => void queries.invalidateQueries({ queryKey: ["corrections"] }),
  );
  const pdf = useMutation({ mutationFn: downloadMinutes });

  return (
    <section aria-labelledby="corrections-list-heading">
      <h2 id="corrections-list-heading">{t("corrections.list.title")}</h2>
      <StatusFilter id="correction-status" label={t("corrections.filter.status")} all={t("corrections.filter.all")} statuses={STATUSES} statusLabel={(code) => t(`corrections.status.${code}`)} value={status} onChange={setStatus} />
      <DecidePanel
        decision={decision}
        headingId="correction-decide-heading"
        doneTestId="correction-decision-done"
        title={(row) => t("corrections.decide.title", { target: `${row.service}.${row.table}` })}
        texts={{
          note: t("corrections.decide.note"),
          approve: t("corrections.decide.approve"),
          refuse: t("corrections.decide.refuse"),
          cancel: t("corrections.decide.cancel"),
          approved: t("corrections.decide.approved"),
          refused: t("corrections.decide.refused"),
        }}
        noteMaxLength={2000}
      >
        {(row) => (
          <>
            <Plan row={row} />
            <p>
              {t("corrections.col.reason")}: {row.reason}
            </p>
            <p>
              {t("corrections.col.supervisors")}: {row.supervisors.map((person) => `${person.name} (${person.position})`).join("; ")}
            </p>
          </>
        )}
      </DecidePanel>
      {pdf.isError ? <Problem error={pdf.error} /> : null}
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <Problem error={list.error} />
      ) : !list.data.length ? (
        <p className="empty">{t("corrections.list.empty")}</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">{t("corrections.list.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("corrections.col.plan")}</th>
                <th scope="col">{t("corrections.col.reason")}</th>
                <th scope="col">{t("corrections.col.prepared")}</th>
                <th scope="col">{t("corrections.col.status")}</th>
                <th scope="col">{t("corrections.col.decision")}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((row) => (
                <tr key={row.id} data-correction-id={row.id}>
                  <th scope="row">
                    <Plan row={row} />
                  </th>
                  <td>{row.reason}</td>
                  <td>
                    {who(row.prepared_by)}
                    <br />
                    <When value={row.prepared_at} />
                  </td>
                  <td>
                    <Badge prefix="corrections.status" value={row.status} />
                    {row.failure ? <span className="muted"> — {row.failure}</span> : null}
                  </td>
                  <td>
                    {canDecide(row, user) ? (
                      <button type="button" className="button-secondary" onClick={() => decision.setDeciding(row)} aria-label={t("corrections.decide.open", { target: `${row.service}.${row.table}` })}>
                        {t("corrections.decide.button")}
                      </button>
                    ) : row.decided_by ? (
                      <Decided by={who(row.decided_by)} at={row.decided_at} note={row.decision_note} />
                    ) : (
                      <span className="muted">{t("corrections.decide.waiting")}</span>
                    )}
                    {row.status === "applied" ? (
                      <>
                        <br />
                        <button type="button" className="button-secondary" disabled={pdf.isPending} onClick={() => pdf.mutate(row.id)}>
                          {t("corrections.minutes")}
                        </button>
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
