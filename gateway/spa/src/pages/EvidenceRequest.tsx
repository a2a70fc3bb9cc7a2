// One evidence request: what was asked, the upload progress the EPE reports (read again while
// it uploads), the sealed package with the server's verification, its share links (made and
// revoked here; a new link's token is shown once) and the chain-of-custody trail.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { listAll } from "../api/paging";
import { useCameras } from "../api/queries";
import { hasRole, useUser } from "../auth/useUser";
import { cancel, getRequest, getRequestPackage, getTrail, listFiles, listShares, postShare, revoke, verifyPackage } from "../client/evidence/sdk.gen";
import type { PackagePublic, RequestPublic, SharePublic, ShareWithToken } from "../client/evidence/types.gen";
import { TextArea, TextField } from "../components/Field";
import { Problem } from "../components/Problem";
import { Badge, Loading, When } from "../components/Status";
import { formatBytes, isOpen, uploadProgress } from "../evidence/request";
import { formatDateTime, formatNumber, vietnamInstant } from "../format";
import { useI18n } from "../i18n/context";
import { Link } from "../router";

function CancelForm({ request }: { request: RequestPublic }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [reason, setReason] = useState("");
  const save = useMutation({
    mutationFn: () => cancel({ path: { request_id: request.id }, body: { reason } }).then((r) => r.data),
    onSuccess: (data) => {
      queries.setQueryData(["evidence-request", request.id], data);
      void queries.invalidateQueries({ queryKey: ["evidence-requests"] });
      void queries.invalidateQueries({ queryKey: ["custody", request.id] });
    },
  });
  return (
    <form
      className="card"
      aria-labelledby="evidence-cancel-heading"
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <h2 id="evidence-cancel-heading">{t("evidence.cancel.title")}</h2>
      {save.isError ? <Problem error={save.error} /> : null}
      <TextArea label={t("evidence.cancel.reason")} name="reason" required maxLength={2000} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} error={save.error} />
      <button type="submit" className="button-secondary" disabled={save.isPending}>
        {t("evidence.cancel.save")}
      </button>
    </form>
  );
}

function Uploads({ request }: { request: RequestPublic }) {
  const { t, locale } = useI18n();
  const uploading = request.state === "uploading" || request.state === "overdue" || request.state === "requested";
  const files = useQuery({
    queryKey: ["evidence-files", request.id],
    refetchInterval: uploading ? 5_000 : undefined,
    queryFn: () => listFiles({ path: { request_id: request.id } }).then((r) => r.data.data),
  });
  if (files.isPending) return <Loading />;
  if (files.isError) return <Problem error={files.error} />;
  if (!files.data.length) return <p className="empty">{t("evidence.files.none")}</p>;
  const total = uploadProgress(files.data);
  return (
    <>
      <p role="status" data-testid="upload-progress">
        {t("evidence.files.progress", {
          received: formatBytes(total.received, locale),
          size: formatBytes(total.size, locale),
          percent: formatNumber(total.ratio * 100, locale, 0),
          complete: String(total.complete),
          count: String(files.data.length),
        })}
      </p>
      <div className="table-wrap">
        <table className="data-table">
          <caption className="visually-hidden">{t("evidence.files.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("evidence.files.name")}</th>
              <th scope="col">{t("evidence.files.camera")}</th>
              <th scope="col">{t("evidence.files.progressCol")}</th>
              <th scope="col">{t("evidence.files.uploadedAt")}</th>
              <th scope="col">SHA-256</th>
            </tr>
          </thead>
          <tbody>
            {files.data.map((file) => (
              <tr key={file.id}>
                <th scope="row">{file.name}</th>
                <td>{file.camera}</td>
                <td>
                  <progress max={file.size || 1} value={Math.min(file.received, file.size)} aria-label={t("evidence.files.fileProgress", { name: file.name })} />{" "}
                  {formatBytes(file.received, locale)} / {formatBytes(file.size, locale)}
                </td>
                <td>
                  <When value={file.uploaded_at} />
                </td>
                <td>
                  <code className="hash">{file.sha256 ? `${file.sha256.slice(0, 16)}…` : "—"}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function ShareForm({ pkg, onMade }: { pkg: PackagePublic; onMade: (share: ShareWithToken) => void }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [form, setForm] = useState({ recipient_name: "", recipient_authority: "", purpose: "", expires_at: "", max_downloads: "1" });
  const set = (name: keyof typeof form) => (event: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => setForm({ ...form, [name]: event.target.value });
  const save = useMutation({
    mutationFn: () =>
      postShare({
        path: { package_id: pkg.id },
        body: { ...form, expires_at: vietnamInstant(form.expires_at), max_downloads: Number(form.max_downloads) },
      }).then((r) => r.data),
    onSuccess: (share) => {
      onMade(share);
      setForm({ recipient_name: "", recipient_authority: "", purpose: "", expires_at: "", max_downloads: "1" });
      void queries.invalidateQueries({ queryKey: ["shares", pkg.id] });
    },
  });
  return (
    <form
      className="card"
      aria-labelledby="share-new-heading"
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <h3 id="share-new-heading">{t("evidence.share.new")}</h3>
      {save.isError ? <Problem error={save.error} /> : null}
      <TextField label={t("evidence.share.recipient")} name="recipient_name" required maxLength={200} value={form.recipient_name} onChange={set("recipient_name")} error={save.error} />
      <TextField label={t("evidence.share.authority")} name="recipient_authority" required maxLength={200} value={form.recipient_authority} onChange={set("recipient_authority")} error={save.error} />
      <TextArea label={t("evidence.share.purpose")} name="purpose" required maxLength={4000} rows={2} value={form.purpose} onChange={set("purpose")} error={save.error} />
      <TextField label={t("evidence.share.expires")} name="expires_at" type="datetime-local" required value={form.expires_at} onChange={set("expires_at")} error={save.error} />
      <TextField label={t("evidence.share.maxDownloads")} name="max_downloads" type="number" min={1} max={100} required value={form.max_downloads} onChange={set("max_downloads")} error={save.error} />
      <button type="submit" className="button-primary" disabled={save.isPending}>
        {save.isPending ? t("form.saving") : t("evidence.share.save")}
      </button>
    </form>
  );
}

function RevokeButton({ share }: { share: SharePublic }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [reason, setReason] = useState("");
  const [open, setOpen] = useState(false);
  const save = useMutation({
    mutationFn: () => revoke({ path: { share_id: share.id }, body: { reason } }).then((r) => r.data),
    onSuccess: () => void queries.invalidateQueries({ queryKey: ["shares", share.package_id] }),
  });
  if (!open)
    return (
      <button type="button" className="button-secondary" onClick={() => setOpen(true)}>
        {t("evidence.share.revoke")}
      </button>
    );
  return (
    <form
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      {save.isError ? <Problem error={save.error} /> : null}
      <TextField label={t("evidence.share.revokeReason")} name="reason" required maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} error={save.error} />
      <button type="submit" className="button-secondary" disabled={save.isPending}>
        {t("evidence.share.revokeConfirm")}
      </button>
    </form>
  );
}

function Shares({ pkg }: { pkg: PackagePublic }) {
  const { t, locale } = useI18n();
  const user = useUser();
  const mayShare = hasRole(user, "supervisory_officer", "head_of_subdepartment");
  const [made, setMade] = useState<ShareWithToken | null>(null);
  const shares = useQuery({
    queryKey: ["shares", pkg.id],
    queryFn: () => listAll((cursor) => listShares({ path: { package_id: pkg.id }, query: { cursor, limit: 100 } }).then((r) => r.data)),
  });
  return (
    <section aria-labelledby="evidence-shares">
      <h2 id="evidence-shares">{t("evidence.share.title")}</h2>
      {made ? (
        <div className="notice" role="status" data-testid="share-link">
          <p>
            <strong>{t("evidence.share.made", { recipient: made.recipient_name })}</strong>
          </p>
          <p>
            <code>{`${window.location.origin}${made.path}`}</code>
          </p>
          <p>{t("evidence.share.once")}</p>
        </div>
      ) : null}
      {mayShare ? <ShareForm pkg={pkg} onMade={setMade} /> : null}
      {shares.isPending ? (
        <Loading />
      ) : shares.isError ? (
        <Problem error={shares.error} />
      ) : !shares.data.length ? (
        <p className="empty">{t("evidence.share.none")}</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">{t("evidence.share.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("evidence.share.recipient")}</th>
                <th scope="col">{t("evidence.share.authority")}</th>
                <th scope="col">{t("evidence.col.state")}</th>
                <th scope="col">{t("evidence.share.expires")}</th>
                <th scope="col">{t("evidence.share.served")}</th>
                <th scope="col">{t("evidence.share.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {shares.data.map((share) => (
                <tr key={share.id}>
                  <th scope="row">{share.recipient_name}</th>
                  <td>{share.recipient_authority}</td>
                  <td>
                    <Badge prefix="evidence.share.state" value={share.state} />
                  </td>
                  <td>
                    <When value={share.expires_at} />
                  </td>
                  <td>
                    {formatBytes(share.bytes_served, locale)} / {formatBytes(share.bytes_allowed, locale)} · {t("evidence.share.opened", { count: String(share.opened_count) })}
                  </td>
                  <td>{mayShare && share.state === "active" ? <RevokeButton share={share} /> : share.revoke_reason || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Package({ request }: { request: RequestPublic }) {
  const { t, locale } = useI18n();
  const pkg = useQuery({
    queryKey: ["evidence-package", request.id],
    queryFn: () => getRequestPackage({ path: { request_id: request.id } }).then((r) => r.data),
  });
  const check = useMutation({ mutationFn: (id: string) => verifyPackage({ path: { package_id: id } }).then((r) => r.data) });
  if (pkg.isPending) return <Loading />;
  if (pkg.isError) return <Problem error={pkg.error} />;
  const item = pkg.data;
  return (
    <>
      <section aria-labelledby="evidence-package">
        <h2 id="evidence-package">{t("evidence.package.title")}</h2>
        <dl className="facts">
          <dt>{t("evidence.package.sealed")}</dt>
          <dd>
            {item.sealed_by} · <When value={item.sealed_at} />
          </dd>
          <dt>{t("evidence.package.manifest")}</dt>
          <dd>
            <code className="hash">{item.manifest_sha256}</code>
          </dd>
          <dt>{t("evidence.package.retainUntil")}</dt>
          <dd>
            <When value={item.retain_until} />
          </dd>
          <dt>{t("evidence.package.legalHold")}</dt>
          <dd>{item.legal_hold ? t("evidence.package.holdOn") : t("evidence.package.holdOff")}</dd>
        </dl>
        <button type="button" className="button-primary" onClick={() => check.mutate(item.id)} disabled={check.isPending}>
          {check.isPending ? t("evidence.verify.running") : t("evidence.verify.run")}
        </button>
        {check.isError ? <Problem error={check.error} /> : null}
        {check.data ? (
          <div className={check.data.ok ? "notice" : "problem"} role={check.data.ok ? "status" : "alert"} data-testid="verify-result">
            <p>
              <strong>{check.data.ok ? t("evidence.verify.ok") : t("evidence.verify.failed")}</strong>
            </p>
            <p>{t("evidence.verify.files", { count: formatNumber(check.data.files_checked, locale) })}</p>
            {check.data.findings.length ? (
              <ul>
                {check.data.findings.map((finding, index) => (
                  <li key={index}>
                    <code>{finding.kind}</code> {finding.file ? `${finding.file}: ` : ""}
                    {finding.detail}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
      </section>
      <Shares pkg={item} />
    </>
  );
}

function Custody({ requestId }: { requestId: string }) {
  const { t, locale } = useI18n();
  const trail = useQuery({
    queryKey: ["custody", requestId],
    queryFn: () => listAll((cursor) => getTrail({ path: { request_id: requestId }, query: { cursor, limit: 200 } }).then((r) => r.data)),
  });
  return (
    <section aria-labelledby="evidence-custody">
      <h2 id="evidence-custody">{t("evidence.custody.title")}</h2>
      {trail.isPending ? (
        <Loading />
      ) : trail.isError ? (
        <Problem error={trail.error} />
      ) : (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">{t("evidence.custody.title")}</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">{t("evidence.custody.at")}</th>
                <th scope="col">{t("evidence.custody.action")}</th>
                <th scope="col">{t("evidence.custody.actor")}</th>
                <th scope="col">{t("evidence.custody.source")}</th>
              </tr>
            </thead>
            <tbody>
              {trail.data.map((record) => (
                <tr key={record.id}>
                  <th scope="row">{record.seq}</th>
                  <td>
                    <time dateTime={record.at}>{formatDateTime(record.at, locale)}</time>
                  </td>
                  <td>
                    <code>{record.action}</code>
                  </td>
                  <td>
                    {record.actor} ({record.actor_role})
                  </td>
                  <td>{record.source || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function CameraNumbers({ request }: { request: RequestPublic }) {
  const cameras = useCameras(request.epe_id);
  const numbers = new Map((cameras.data || []).map((camera) => [camera.id, camera.number]));
  return <>{request.cameras.map((id) => numbers.get(id) || id).join(", ")}</>;
}

export default function EvidenceRequest({ params }: { params: Record<string, string> }) {
  const { t } = useI18n();
  const user = useUser();
  const requestId = params.requestId;
  const request = useQuery({
    queryKey: ["evidence-request", requestId],
    refetchInterval: 15_000,
    queryFn: () => getRequest({ path: { request_id: requestId } }).then((r) => r.data),
  });
  if (request.isPending) return <Loading />;
  if (request.isError)
    return (
      <section className="page">
        <h1>{t("evidence.request.title")}</h1>
        <Problem error={request.error} />
      </section>
    );
  const item = request.data;
  const mayCancel = hasRole(user, "supervisory_officer", "head_of_subdepartment") && isOpen(item.state);
  return (
    <section className="page" aria-labelledby="evidence-request-heading">
      <div className="page-head">
        <div>
          <h1 id="evidence-request-heading">{t("evidence.request.heading", { id: item.id.slice(-8) })}</h1>
          <p className="lead">
            <Link href={`/epes/${encodeURIComponent(item.epe_id)}`}>{item.epe_id}</Link> · <Link href="/evidence">{t("evidence.back")}</Link>
          </p>
        </div>
        <Badge prefix="evidence.state" value={item.state} />
      </div>
      <dl className="facts">
        <dt>{t("evidence.form.reason")}</dt>
        <dd>{item.reason}</dd>
        <dt>{t("evidence.form.cameras")}</dt>
        <dd>
          <CameraNumbers request={item} />
        </dd>
        <dt>{t("evidence.form.ranges")}</dt>
        <dd>
          <ul>
            {item.time_ranges.map((range, index) => (
              <li key={index}>
                <When value={range.start} /> – <When value={range.end} />
              </li>
            ))}
          </ul>
        </dd>
        <dt>{t("evidence.col.requested")}</dt>
        <dd>
          {item.requested_by} · <When value={item.requested_at} />
        </dd>
        <dt>{t("evidence.col.due")}</dt>
        <dd>
          <When value={item.due_at} /> ({t("evidence.dueDays", { count: String(item.due_working_days) })})
        </dd>
        {item.cancel_reason ? (
          <>
            <dt>{t("evidence.cancel.reason")}</dt>
            <dd>{item.cancel_reason}</dd>
          </>
        ) : null}
      </dl>

      <section aria-labelledby="evidence-files">
        <h2 id="evidence-files">{t("evidence.files.title")}</h2>
        <Uploads request={item} />
      </section>

      {item.state === "sealed" ? <Package request={item} /> : null}
      {mayCancel ? <CancelForm request={item} /> : null}
      <Custody requestId={item.id} />
    </section>
  );
}
