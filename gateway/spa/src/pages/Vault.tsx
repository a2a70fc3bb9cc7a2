// The vault's reveal-once flow: the camera-system accounts EPEs handed to customs, listed by
// their metadata; revealing one takes a reason and a fresh TOTP step-up, and the secret is
// shown once with a countdown, held only in this page's state (never in storage or the query
// cache), then cleared.

import { useQuery } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { listAll } from "../api/paging";
import { ApiError } from "../api/problem";
import { useMyEpes } from "../api/queries";
import { accessToken } from "../auth/session";
import { useUser } from "../auth/useUser";
import { listEntries, openReveal, requestReveal, stepUp } from "../client/access/sdk.gen";
import type { RevealedSecret, VaultEntryPublic } from "../client/access/types.gen";
import { TextArea, TextField } from "../components/Field";
import { Problem } from "../components/Problem";
import { SecretPanel } from "../components/SecretPanel";
import { Badge, Loading, When } from "../components/Status";
import { formatDateTime } from "../format";
import { useI18n } from "../i18n/context";
import { revealOnce, SHOW_SECONDS, stepUpFresh, type RevealSteps } from "../reveal";

/** The bearer token without the shared client's refresh-and-retry: a retried wrong TOTP code
 * would count twice towards the lockout. */
async function onceWithToken(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const token = await accessToken();
  if (token) request.headers.set("Authorization", `Bearer ${token}`);
  return fetch(request);
}

const STEPS: RevealSteps = {
  stepUp: (code) => stepUp({ body: { code }, fetch: onceWithToken }).then((r) => r.data),
  request: (entryId, reason) => requestReveal({ path: { entry_id: entryId }, body: { reason } }).then((r) => r.data),
  open: (handle) => openReveal({ body: { handle }, fetch: onceWithToken }).then((r) => r.data),
};

/** Where a reveal failed: a refused step-up code is the officer's typo, not an expired session. */
type Failure = { step: "code" | "reveal"; error: unknown };

export default function Vault() {
  const { t, locale } = useI18n();
  const user = useUser();
  const head = !!user?.roles.includes("head_of_subdepartment");
  const entries = useQuery({
    queryKey: ["vault-entries"],
    queryFn: () => listAll((cursor) => listEntries({ query: { cursor, limit: 100 } }).then((r) => r.data)),
  });
  const epes = useMyEpes(user);
  const names = new Map((epes.data || []).map((row) => [row.epeId, row.epe?.name || row.epeId]));
  const visible = (entries.data || []).filter((entry) => head || names.has(entry.epe_id));

  const [chosen, setChosen] = useState<VaultEntryPublic | null>(null);
  const [reason, setReason] = useState("");
  const [code, setCode] = useState("");
  const [stepUpUntil, setStepUpUntil] = useState<string | null>(null);
  const [secret, setSecret] = useState<RevealedSecret | null>(null);
  const [hidden, setHidden] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const needsCode = !stepUpFresh(stepUpUntil, Date.now());

  // The form opens above the list: take the keyboard there.
  useEffect(() => {
    if (chosen) document.getElementById("reveal-heading")?.focus();
  }, [chosen]);

  function choose(entry: VaultEntryPublic) {
    setChosen(entry);
    setSecret(null);
    setHidden(false);
    setFailure(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!chosen || busy) return;
    setBusy(true);
    setFailure(null);
    let stepped = false;
    const steps: RevealSteps = {
      ...STEPS,
      stepUp: async (typed) => {
        try {
          const state = await STEPS.stepUp(typed);
          stepped = true;
          setStepUpUntil(state.valid_until);
          return state;
        } catch (error) {
          throw { step: "code", error } satisfies Failure;
        }
      },
    };
    try {
      const revealed = await revealOnce(steps, { entryId: chosen.id, reason, code: needsCode ? code : "", stepUpValidUntil: stepUpUntil });
      setCode("");
      setReason("");
      setSecret(revealed.secret);
    } catch (caught) {
      const failed = caught && typeof caught === "object" && "step" in caught ? (caught as Failure) : { step: "reveal" as const, error: caught };
      // A refused reveal may be a lapsed step-up: ask for a code next time.
      if (failed.step === "reveal" && failed.error instanceof ApiError && failed.error.status === 403 && !stepped) setStepUpUntil(null);
      setFailure(failed);
    } finally {
      setBusy(false);
    }
  }

  function clear() {
    setSecret(null);
    setHidden(true);
    setChosen(null);
  }

  const codeRefused = failure?.step === "code" && failure.error instanceof ApiError && failure.error.status === 401;
  const codeError = codeRefused ? new ApiError({ status: 401, errors: [{ field: "code", message: t("vault.codeRefused") }] }) : failure?.error;

  return (
    <section className="page" aria-labelledby="vault-heading">
      <div className="page-head">
        <div>
          <h1 id="vault-heading">{t("vault.title")}</h1>
          <p className="lead">{t("vault.lead")}</p>
        </div>
      </div>

      {secret ? <SecretPanel secret={secret} seconds={SHOW_SECONDS} onDone={clear} /> : null}
      {hidden && !secret ? (
        <p className="notice" role="status" data-testid="secret-hidden">
          {t("vault.secret.hidden")}
        </p>
      ) : null}

      {chosen && !secret ? (
        <form className="card vault-form" onSubmit={submit} aria-labelledby="reveal-heading">
          <h2 id="reveal-heading" tabIndex={-1}>{t("vault.reveal.title", { label: chosen.label, epe: chosen.epe_id })}</h2>
          <TextArea
            label={t("vault.reveal.reason")}
            hint={t("vault.reveal.reasonHint")}
            name="reason"
            required
            minLength={10}
            maxLength={1000}
            rows={3}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            error={failure?.error}
          />
          {needsCode ? (
            <TextField
              label={t("vault.reveal.code")}
              hint={t("vault.reveal.codeHint")}
              name="code"
              required
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              value={code}
              onChange={(event) => setCode(event.target.value)}
              error={codeError}
            />
          ) : (
            <p className="muted" data-testid="step-up-fresh">
              {t("vault.reveal.stepUpFresh", { until: formatDateTime(stepUpUntil as string, locale) })}
            </p>
          )}
          {codeRefused ? (
            <div className="problem" role="alert">
              <p className="problem-title">{t("vault.codeRefused")}</p>
            </div>
          ) : failure ? (
            <Problem error={failure.error} />
          ) : null}
          <div className="form-actions">
            <button type="submit" className="button-primary" disabled={busy}>
              {busy ? t("vault.reveal.running") : t("vault.reveal.submit")}
            </button>
            <button type="button" className="button-secondary" onClick={() => setChosen(null)}>
              {t("vault.reveal.cancel")}
            </button>
          </div>
        </form>
      ) : null}

      <section aria-labelledby="vault-entries">
        <h2 id="vault-entries">{t("vault.entries.title")}</h2>
        {entries.isPending || epes.isPending ? (
          <Loading />
        ) : entries.isError ? (
          <Problem error={entries.error} />
        ) : !visible.length ? (
          <p className="empty">{t("vault.entries.empty")}</p>
        ) : (
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">{t("vault.entries.title")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("vault.col.epe")}</th>
                  <th scope="col">{t("vault.col.label")}</th>
                  <th scope="col">{t("vault.col.method")}</th>
                  <th scope="col">{t("vault.col.version")}</th>
                  <th scope="col">{t("vault.col.updated")}</th>
                  <th scope="col">{t("vault.col.action")}</th>
                </tr>
              </thead>
              <tbody>
                {visible.map((entry) => (
                  <tr key={entry.id} data-entry-id={entry.id}>
                    <td>
                      {names.get(entry.epe_id) || entry.epe_id}
                      {names.get(entry.epe_id) && names.get(entry.epe_id) !== entry.epe_id ? <span className="muted"> ({entry.epe_id})</span> : null}
                    </td>
                    <th scope="row">{entry.label}</th>
                    <td>
                      <Badge prefix="vault.method" value={entry.access_method} tone="method" />
                    </td>
                    <td>{entry.current_version}</td>
                    <td>
                      <When value={entry.updated_at} />
                    </td>
                    <td>
                      <button
                        type="button"
                        className="button-secondary"
                        aria-label={t("vault.reveal.open", { label: entry.label, epe: entry.epe_id })}
                        onClick={() => choose(entry)}
                        disabled={busy}
                      >
                        {t("vault.reveal.button")}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </section>
  );
}
