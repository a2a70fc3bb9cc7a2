// Evidence requests: the list by state, and the form an officer (or the head) uses to ask an
// EPE for camera footage: cameras, time ranges in Vietnam time, the reason and the due date.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { listAll } from "../api/paging";
import { useCameras, useMyEpes } from "../api/queries";
import { hasRole, useUser } from "../auth/useUser";
import { listRequests, postRequest } from "../client/evidence/sdk.gen";
import type { RequestPublic, RequestState } from "../client/evidence/types.gen";
import { TextArea, TextField } from "../components/Field";
import { Problem } from "../components/Problem";
import { SelectField } from "../components/SelectField";
import { Badge, Loading, When } from "../components/Status";
import { EMPTY_REQUEST, requestBody, type RequestForm } from "../evidence/request";
import { ApiError } from "../api/problem";
import { useI18n } from "../i18n/context";
import { Link, navigate } from "../router";

const STATES: RequestState[] = ["requested", "uploading", "submitted", "sealed", "overdue", "cancelled"];

function CameraChoice({ epeId, chosen, onChange, error }: { epeId: string; chosen: string[]; onChange: (ids: string[]) => void; error: unknown }) {
  const { t } = useI18n();
  const cameras = useCameras(epeId);
  const message = error instanceof ApiError ? error.fieldMessage("cameras") : null;
  if (cameras.isPending) return <Loading />;
  if (cameras.isError) return <Problem error={cameras.error} />;
  return (
    <fieldset className="field" aria-invalid={message !== null || undefined} aria-describedby={message !== null ? "evidence-cameras-error" : undefined}>
      <legend>{t("evidence.form.cameras")}</legend>
      {!cameras.data.length ? <p className="empty">{t("evidence.form.noCameras")}</p> : null}
      {cameras.data.map((camera) => (
        <div key={camera.id}>
          <input
            id={`camera-${camera.id}`}
            type="checkbox"
            checked={chosen.includes(camera.id)}
            onChange={(event) => onChange(event.target.checked ? [...chosen, camera.id] : chosen.filter((id) => id !== camera.id))}
          />
          <label htmlFor={`camera-${camera.id}`}>{camera.number}</label>
        </div>
      ))}
      {message !== null ? (
        <p className="field-error" id="evidence-cameras-error">
          {message}
        </p>
      ) : null}
    </fieldset>
  );
}

function NewRequest() {
  const { t } = useI18n();
  const user = useUser();
  const epes = useMyEpes(user);
  const queries = useQueryClient();
  const [form, setForm] = useState<RequestForm>(EMPTY_REQUEST);
  const save = useMutation({
    mutationFn: () => postRequest({ body: requestBody(form) }).then((r) => r.data),
    onSuccess: (created) => {
      void queries.invalidateQueries({ queryKey: ["evidence-requests"] });
      navigate(`/evidence/${encodeURIComponent(created.id)}`);
    },
  });
  const setRange = (index: number, name: "start" | "end", value: string) =>
    setForm({ ...form, ranges: form.ranges.map((range, i) => (i === index ? { ...range, [name]: value } : range)) });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  return (
    <form className="card" onSubmit={submit} aria-labelledby="evidence-new-heading">
      <h2 id="evidence-new-heading">{t("evidence.form.title")}</h2>
      {save.isError ? <Problem error={save.error} /> : null}
      <SelectField
        label={t("evidence.col.epe")}
        name="epe_id"
        required
        value={form.epeId}
        onChange={(e) => setForm({ ...form, epeId: e.target.value, cameras: [] })}
        error={save.error}
        options={[{ value: "", label: t("form.choose") }, ...(epes.data || []).map((item) => ({ value: item.epeId, label: item.epe?.name || item.epeId }))]}
      />
      {form.epeId ? <CameraChoice epeId={form.epeId} chosen={form.cameras} onChange={(cameras) => setForm({ ...form, cameras })} error={save.error} /> : null}
      <fieldset className="field">
        <legend>{t("evidence.form.ranges")}</legend>
        {form.ranges.map((range, index) => (
          <div key={index} className="evidence-range">
            <TextField label={t("evidence.form.start", { n: String(index + 1) })} name={`time_ranges.${index}.start`} type="datetime-local" required value={range.start} onChange={(e) => setRange(index, "start", e.target.value)} error={save.error} />
            <TextField label={t("evidence.form.end", { n: String(index + 1) })} name={`time_ranges.${index}.end`} type="datetime-local" required value={range.end} onChange={(e) => setRange(index, "end", e.target.value)} error={save.error} />
            {form.ranges.length > 1 ? (
              <button type="button" className="button-secondary" onClick={() => setForm({ ...form, ranges: form.ranges.filter((_, i) => i !== index) })}>
                {t("evidence.form.removeRange", { n: String(index + 1) })}
              </button>
            ) : null}
          </div>
        ))}
        <button type="button" className="button-secondary" onClick={() => setForm({ ...form, ranges: [...form.ranges, { start: "", end: "" }] })}>
          {t("evidence.form.addRange")}
        </button>
      </fieldset>
      <TextArea label={t("evidence.form.reason")} name="reason" required maxLength={4000} rows={3} value={form.reason} onChange={(e) => setForm({ ...form, reason: e.target.value })} error={save.error} />
      <TextField label={t("evidence.form.due")} name="due_working_days" hint={t("evidence.form.dueHint")} type="number" min={1} max={60} value={form.dueWorkingDays} onChange={(e) => setForm({ ...form, dueWorkingDays: e.target.value })} error={save.error} />
      <button type="submit" className="button-primary" disabled={save.isPending}>
        {save.isPending ? t("form.saving") : t("evidence.form.save")}
      </button>
    </form>
  );
}

export function RequestTable({ requests, names }: { requests: RequestPublic[]; names: Map<string, string> }) {
  const { t } = useI18n();
  if (!requests.length) return <p className="empty">{t("evidence.empty")}</p>;
  return (
    <div className="table-wrap">
      <table className="data-table">
        <caption className="visually-hidden">{t("evidence.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("evidence.col.request")}</th>
            <th scope="col">{t("evidence.col.epe")}</th>
            <th scope="col">{t("evidence.col.state")}</th>
            <th scope="col">{t("evidence.col.requested")}</th>
            <th scope="col">{t("evidence.col.due")}</th>
          </tr>
        </thead>
        <tbody>
          {requests.map((request) => (
            <tr key={request.id} className={request.state === "overdue" ? "row-overdue" : undefined}>
              <th scope="row">
                <Link href={`/evidence/${encodeURIComponent(request.id)}`}>{request.reason.length > 60 ? `${request.reason.slice(0, 60)}…` : request.reason}</Link>
              </th>
              <td>{names.get(request.epe_id) || request.epe_id}</td>
              <td>
                <Badge prefix="evidence.state" value={request.state} />
              </td>
              <td>
                <When value={request.requested_at} />
              </td>
              <td>
                <When value={request.due_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function EvidenceRequests() {
  const { t } = useI18n();
  const user = useUser();
  const epes = useMyEpes(user);
  const names = new Map((epes.data || []).map((item) => [item.epeId, item.epe?.name || item.epeId]));
  const [state, setState] = useState<RequestState | "all">("all");
  const requests = useQuery({
    queryKey: ["evidence-requests", state],
    queryFn: () =>
      listAll((cursor) => listRequests({ query: { cursor, limit: 100, state: state === "all" ? undefined : [state] } }).then((r) => r.data)),
  });
  const mayRequest = hasRole(user, "supervisory_officer", "head_of_subdepartment");
  return (
    <section className="page" aria-labelledby="evidence-heading">
      <div className="page-head">
        <div>
          <h1 id="evidence-heading">{t("evidence.title")}</h1>
          <p className="lead">{t("evidence.lead")}</p>
        </div>
      </div>
      {mayRequest ? <NewRequest /> : null}
      <section aria-labelledby="evidence-list-heading">
        <h2 id="evidence-list-heading">{t("evidence.list")}</h2>
        <div className="filters">
          <label htmlFor="evidence-state">{t("evidence.filter.state")}</label>
          <select id="evidence-state" value={state} onChange={(event) => setState(event.target.value as RequestState | "all")}>
            <option value="all">{t("warnings.filter.all")}</option>
            {STATES.map((code) => (
              <option key={code} value={code}>
                {t(`evidence.state.${code}`)}
              </option>
            ))}
          </select>
        </div>
        {requests.isPending ? <Loading /> : requests.isError ? <Problem error={requests.error} /> : <RequestTable requests={requests.data} names={names} />}
      </section>
    </section>
  );
}
