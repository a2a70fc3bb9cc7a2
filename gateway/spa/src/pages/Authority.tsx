// Authority codes and assignments (seed 2 §4): a user administrator prepares a grant or a
// revocation for an officer of their unit; the unit head approves or rejects it (never one
// they prepared or that concerns themselves: maker-checker); the head assigns officers of the
// unit to its EPEs and ends assignments. Each user sees the parts their roles allow.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { listAll } from "../api/paging";
import { ApiError } from "../api/problem";
import type { User } from "../auth/session";
import { useUser } from "../auth/useUser";
import { approveRequest, assign, endAssignment, listAssignments, listRequests, listUsers, prepareRequest, rejectRequest } from "../client/access/sdk.gen";
import type { AuthorityRequestPublic, RequestAction, RequestStatus, Role, UserPublic } from "../client/access/types.gen";
import { listEpes } from "../client/registry/sdk.gen";
import { TextArea } from "../components/Field";
import { Decided, DecidePanel, StatusFilter, useDecision } from "../components/MakerChecker";
import { Problem } from "../components/Problem";
import { Badge, Loading, When } from "../components/Status";
import { useI18n } from "../i18n/context";

/** The roles a person can hold (machine-client roles are never authority codes). */
export const PERSON_ROLES: Role[] = ["supervisory_officer", "head_of_subdepartment", "user_administrator", "it_operator", "auditor"];
const STATUSES: RequestStatus[] = ["pending", "approved", "rejected", "cancelled"];

const HEAD = "head_of_subdepartment";
const ADMIN = "user_administrator";

/** Whether this user may decide the request: a head, a pending request, neither prepared by
 * them nor about them (the server checks the same and answers 403). */
export function canDecide(request: Pick<AuthorityRequestPublic, "status" | "prepared_by" | "user_id">, user: Pick<User, "subject" | "roles">): boolean {
  return user.roles.includes(HEAD) && request.status === "pending" && request.prepared_by !== user.subject && request.user_id !== user.subject;
}

/** Officers who can be assigned to an EPE: supervisory officers and heads, active. */
export function assignable(users: UserPublic[]): UserPublic[] {
  return users.filter((u) => u.active && u.roles.some((role) => role === "supervisory_officer" || role === HEAD));
}

function Select({ id, label, value, onChange, error, field, children }: { id: string; label: string; value: string; onChange: (value: string) => void; error: unknown; field: string; children: React.ReactNode }) {
  const message = error instanceof ApiError ? error.fieldMessage(field) : null;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} name={field} required value={value} onChange={(event) => onChange(event.target.value)} aria-invalid={message !== null || undefined} aria-describedby={message !== null ? `${id}-error` : undefined}>
        {children}
      </select>
      {message !== null ? (
        <p className="field-error" id={`${id}-error`}>
          {message}
        </p>
      ) : null}
    </div>
  );
}

function useUnitUsers(user: User | null) {
  return useQuery({
    queryKey: ["users", user?.unit ?? null],
    enabled: !!user,
    queryFn: () => listAll((cursor) => listUsers({ query: { cursor, limit: 100, unit: user?.unit || undefined } }).then((r) => r.data)),
  });
}

export default function Authority() {
  const { t } = useI18n();
  const user = useUser();
  const users = useUnitUsers(user);
  if (!user) return null;
  const isHead = user.roles.includes(HEAD);
  const isAdmin = user.roles.includes(ADMIN);
  const people = new Map((users.data || []).map((u) => [u.id, u]));
  const who = (id: string) => {
    const found = people.get(id);
    return found ? `${found.full_name} (@${found.username})` : id;
  };
  return (
    <section className="page" aria-labelledby="authority-heading">
      <div className="page-head">
        <div>
          <h1 id="authority-heading">{t("authority.title")}</h1>
          <p className="lead">{isHead ? t("authority.lead.head") : t("authority.lead.admin")}</p>
        </div>
      </div>
      {users.isError ? <Problem error={users.error} /> : null}
      {isAdmin ? <PrepareForm users={users.data || []} /> : null}
      <Requests user={user} who={who} />
      <Assignments user={user} who={who} users={users.data || []} />
    </section>
  );
}

interface Prepare {
  user_id: string;
  action: RequestAction;
  role: Role | "";
  reason: string;
}

const EMPTY: Prepare = { user_id: "", action: "grant", role: "", reason: "" };

function PrepareForm({ users }: { users: UserPublic[] }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [form, setForm] = useState<Prepare>(EMPTY);
  const save = useMutation({
    mutationFn: (body: Prepare) => prepareRequest({ body: { ...body, role: body.role as Role } }).then((r) => r.data),
    onSuccess: () => {
      setForm(EMPTY);
      void queries.invalidateQueries({ queryKey: ["authority-requests"] });
    },
  });
  const set = <K extends keyof Prepare>(name: K) => (value: Prepare[K]) => setForm({ ...form, [name]: value });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(form);
  }
  return (
    <section aria-labelledby="prepare-heading">
      <h2 id="prepare-heading">{t("authority.prepare.title")}</h2>
      <form className="card authority-form" onSubmit={submit}>
        <Select id="prepare-user" label={t("authority.field.officer")} field="user_id" value={form.user_id} onChange={set("user_id")} error={save.error}>
          <option value="">{t("form.choose")}</option>
          {users
            .filter((u) => u.active)
            .map((u) => (
              <option key={u.id} value={u.id}>
                {u.full_name} (@{u.username})
              </option>
            ))}
        </Select>
        <Select id="prepare-action" label={t("authority.field.action")} field="action" value={form.action} onChange={(value) => set("action")(value as RequestAction)} error={save.error}>
          <option value="grant">{t("authority.action.grant")}</option>
          <option value="revoke">{t("authority.action.revoke")}</option>
        </Select>
        <Select id="prepare-role" label={t("authority.field.role")} field="role" value={form.role} onChange={(value) => set("role")(value as Role)} error={save.error}>
          <option value="">{t("form.choose")}</option>
          {PERSON_ROLES.map((role) => (
            <option key={role} value={role}>
              {t(`role.${role}`)}
            </option>
          ))}
        </Select>
        <TextArea label={t("authority.field.reason")} hint={t("authority.field.reasonHint")} name="reason" required maxLength={1000} rows={2} value={form.reason} onChange={(event) => set("reason")(event.target.value)} error={save.error} />
        {save.isError ? <Problem error={save.error} /> : null}
        {save.isSuccess ? (
          <p className="notice" role="status">
            {t("authority.prepare.done")}
          </p>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={save.isPending}>
            {t("authority.prepare.submit")}
          </button>
        </div>
      </form>
    </section>
  );
}

function Requests({ user, who }: { user: User; who: (id: string) => string }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [status, setStatus] = useState<RequestStatus | "all">("pending");
  const requests = useQuery({
    queryKey: ["authority-requests", status],
    queryFn: () =>
      listAll((cursor) => listRequests({ query: { cursor, limit: 100, status: status === "all" ? undefined : status } }).then((r) => r.data)),
  });
  const decision = useDecision<AuthorityRequestPublic, AuthorityRequestPublic>(
    (id, approve, note) => (approve ? approveRequest : rejectRequest)({ path: { request_id: id }, body: { note } }).then((r) => r.data),
    () => {
      void queries.invalidateQueries({ queryKey: ["authority-requests"] });
      void queries.invalidateQueries({ queryKey: ["users"] }); // their roles changed
    },
  );

  return (
    <section aria-labelledby="requests-heading">
      <h2 id="requests-heading">{t("authority.requests.title")}</h2>
      <StatusFilter id="request-status" label={t("authority.filter.status")} all={t("authority.filter.all")} statuses={STATUSES} statusLabel={(code) => t(`authority.status.${code}`)} value={status} onChange={setStatus} />
      <DecidePanel
        decision={decision}
        headingId="decide-heading"
        doneTestId="decision-done"
        title={(request) => t(`authority.decide.title.${request.action === "revoke" ? "revoke" : "grant"}`, { role: t(`role.${request.role}`), officer: who(request.user_id) })}
        texts={{
          note: t("authority.decide.note"),
          approve: t("authority.decide.approve"),
          refuse: t("authority.decide.reject"),
          cancel: t("authority.decide.cancel"),
          approved: t("authority.decide.approved"),
          refused: t("authority.decide.rejected"),
        }}
        noteMaxLength={1000}
      >
        {(request) => (
          <p>
            {t("authority.col.reason")}: {request.reason}
          </p>
        )}
      </DecidePanel>
      {requests.isPending ? (
        <Loading />
      ) : requests.isError ? (
        <Problem error={requests.error} />
      ) : !requests.data.length ? (
        <p className="empty">{t("authority.requests.empty")}</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">{t("authority.requests.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("authority.col.officer")}</th>
                <th scope="col">{t("authority.col.request")}</th>
                <th scope="col">{t("authority.col.reason")}</th>
                <th scope="col">{t("authority.col.prepared")}</th>
                <th scope="col">{t("authority.col.status")}</th>
                <th scope="col">{t("authority.col.decision")}</th>
              </tr>
            </thead>
            <tbody>
              {requests.data.map((request) => (
                <tr key={request.id} data-request-id={request.id}>
                  <th scope="row">{who(request.user_id)}</th>
                  <td>
                    {t(`authority.action.${request.action === "revoke" ? "revoke" : "grant"}`)}: {t(`role.${request.role}`)}
                  </td>
                  <td>{request.reason}</td>
                  <td>
                    {who(request.prepared_by)}
                    <br />
                    <When value={request.prepared_at} />
                  </td>
                  <td>
                    <Badge prefix="authority.status" value={request.status} />
                  </td>
                  <td>
                    {canDecide(request, user) ? (
                      <button type="button" className="button-secondary" onClick={() => decision.setDeciding(request)} aria-label={t("authority.decide.open", { officer: who(request.user_id) })}>
                        {t("authority.decide.button")}
                      </button>
                    ) : request.decided_by ? (
                      <Decided by={who(request.decided_by)} at={request.decided_at} note={request.decision_note} />
                    ) : request.status === "pending" && user.roles.includes(HEAD) ? (
                      <span className="muted">{t("authority.decide.notYours")}</span>
                    ) : (
                      <span className="muted">{t("authority.decide.waiting")}</span>
                    )}
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

function Assignments({ user, who, users }: { user: User; who: (id: string) => string; users: UserPublic[] }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const isHead = user.roles.includes(HEAD);
  const [officer, setOfficer] = useState("");
  const [epe, setEpe] = useState("");
  const list = useQuery({
    queryKey: ["assignments", user.unit],
    queryFn: () => listAll((cursor) => listAssignments({ query: { cursor, limit: 100, unit: user.unit || undefined } }).then((r) => r.data)),
  });
  const epes = useQuery({
    queryKey: ["registry-epes"],
    enabled: isHead,
    queryFn: () => listAll((cursor) => listEpes({ query: { cursor, limit: 100 } }).then((r) => r.data)),
  });
  const epeName = new Map((epes.data || []).map((row) => [row.id, row.name]));
  const refresh = () => void queries.invalidateQueries({ queryKey: ["assignments"] });
  const create = useMutation({
    mutationFn: () => assign({ body: { officer_id: officer, epe_id: epe } }).then((r) => r.data),
    onSuccess: () => {
      setOfficer("");
      setEpe("");
      refresh();
    },
  });
  const end = useMutation({
    mutationFn: (id: string) => endAssignment({ path: { assignment_id: id } }).then((r) => r.data),
    onSuccess: refresh,
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }
  return (
    <section aria-labelledby="assignments-heading">
      <h2 id="assignments-heading">{t("authority.assignments.title")}</h2>
      {isHead ? (
        <form className="card authority-form" onSubmit={submit} aria-label={t("authority.assign.title")}>
          <Select id="assign-officer" label={t("authority.field.officer")} field="officer_id" value={officer} onChange={setOfficer} error={create.error}>
            <option value="">{t("form.choose")}</option>
            {assignable(users).map((u) => (
              <option key={u.id} value={u.id}>
                {u.full_name} (@{u.username})
              </option>
            ))}
          </Select>
          <Select id="assign-epe" label={t("authority.field.epe")} field="epe_id" value={epe} onChange={setEpe} error={create.error}>
            <option value="">{t("form.choose")}</option>
            {(epes.data || []).map((row) => (
              <option key={row.id} value={row.id}>
                {row.name} ({row.id})
              </option>
            ))}
          </Select>
          {create.isError ? <Problem error={create.error} /> : null}
          {epes.isError ? <Problem error={epes.error} /> : null}
          <div className="form-actions">
            <button type="submit" className="button-primary" disabled={create.isPending}>
              {t("authority.assign.submit")}
            </button>
          </div>
        </form>
      ) : null}
      {end.isError ? <Problem error={end.error} /> : null}
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <Problem error={list.error} />
      ) : !list.data.length ? (
        <p className="empty">{t("authority.assignments.empty")}</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">{t("authority.assignments.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("authority.col.officer")}</th>
                <th scope="col">{t("authority.col.epe")}</th>
                <th scope="col">{t("authority.col.assigned")}</th>
                {isHead ? <th scope="col">{t("authority.col.actions")}</th> : null}
              </tr>
            </thead>
            <tbody>
              {list.data.map((row) => (
                <tr key={row.id} data-assignment-id={row.id}>
                  <th scope="row">{who(row.officer_id)}</th>
                  <td>{epeName.get(row.epe_id) ? `${epeName.get(row.epe_id)} (${row.epe_id})` : row.epe_id}</td>
                  <td>
                    <When value={row.assigned_at} /> · {who(row.assigned_by)}
                  </td>
                  {isHead ? (
                    <td>
                      <button type="button" className="button-secondary" disabled={end.isPending} onClick={() => end.mutate(row.id)} aria-label={t("authority.assign.endOf", { officer: who(row.officer_id), epe: row.epe_id })}>
                        {t("authority.assign.end")}
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
