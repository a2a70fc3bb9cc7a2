// Signing in a command-line tool (OAuth device authorization grant, RFC 8628): the tool
// prints a code and this page's address (`verification_uri`; `verification_uri_complete` adds
// `?user_code=`). The signed-in person checks which client asks, then approves or denies; an
// approved tool receives this person's own token (roles, unit) at its next poll. Wrong codes
// are counted by the server: too many pause the person for a while (429).

import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { decideDeviceCode, verifyDeviceCode } from "../client/access/sdk.gen";
import type { DeviceDecisionPublic, DeviceRequestPublic } from "../client/access/types.gen";
import { TextField } from "../components/Field";
import { Problem } from "../components/Problem";
import { When } from "../components/Status";
import { useI18n } from "../i18n/context";
import { useLocation } from "../router";

const CODE_LETTERS = 8;

/** The code as the tool shows it (`XXXX-XXXX`): upper case, letters only, the dash added. */
export function formatUserCode(typed: string): string {
  const letters = typed.toUpperCase().replace(/[^A-Z]/g, "").slice(0, CODE_LETTERS);
  return letters.length > 4 ? `${letters.slice(0, 4)}-${letters.slice(4)}` : letters;
}

/** Whether a whole code was typed (worth asking the server, as wrong codes count). */
export function isCompleteUserCode(code: string): boolean {
  return /^[A-Z]{4}-[A-Z]{4}$/.test(code);
}

export default function Device() {
  const { t } = useI18n();
  const given = new URLSearchParams(useLocation().split("?")[1] || "").get("user_code") || "";
  const [code, setCode] = useState(() => formatUserCode(given));
  const [request, setRequest] = useState<{ code: string; found: DeviceRequestPublic } | null>(null);
  const check = useMutation({
    mutationFn: (userCode: string) => verifyDeviceCode({ body: { user_code: userCode } }).then((r) => ({ code: userCode, found: r.data })),
    onSuccess: (found) => setRequest(found),
  });
  const decide = useMutation({
    mutationFn: ({ userCode, decision }: { userCode: string; decision: "approve" | "deny" }) =>
      decideDeviceCode({ body: { user_code: userCode, decision } }).then((r) => r.data as DeviceDecisionPublic),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (isCompleteUserCode(code)) check.mutate(code);
  }

  function again() {
    setRequest(null);
    setCode("");
    check.reset();
    decide.reset();
  }

  return (
    <section className="page" aria-labelledby="device-heading">
      <div className="page-head">
        <div>
          <h1 id="device-heading">{t("device.title")}</h1>
          <p className="lead">{t("device.lead")}</p>
        </div>
      </div>
      {decide.isSuccess ? (
        <div className="card" data-testid="device-done">
          <p className="notice" role="status">
            {t(decide.data.decision === "approve" ? "device.approved" : "device.denied", { client: decide.data.client_name })}
          </p>
          <div className="form-actions">
            <button type="button" className="button-secondary" onClick={again}>
              {t("device.another")}
            </button>
          </div>
        </div>
      ) : request ? (
        <div className="card" aria-labelledby="device-request-heading" data-testid="device-request">
          <h2 id="device-request-heading">{t("device.request.title")}</h2>
          <dl className="facts">
            <div className="fact">
              <dt>{t("device.request.client")}</dt>
              <dd data-testid="device-client">
                {request.found.client_name} (<code>{request.found.client_id}</code>)
              </dd>
            </div>
            <div className="fact">
              <dt>{t("device.request.code")}</dt>
              <dd>
                <code>{request.code}</code>
              </dd>
            </div>
            <div className="fact">
              <dt>{t("device.request.expires")}</dt>
              <dd>
                <When value={request.found.expires_at} />
              </dd>
            </div>
          </dl>
          <p>{t("device.request.warning")}</p>
          {decide.isError ? <Problem error={decide.error} /> : null}
          <div className="form-actions">
            <button type="button" className="button-primary" disabled={decide.isPending} onClick={() => decide.mutate({ userCode: request.code, decision: "approve" })}>
              {t("device.approve")}
            </button>
            <button type="button" className="button-secondary" disabled={decide.isPending} onClick={() => decide.mutate({ userCode: request.code, decision: "deny" })}>
              {t("device.deny")}
            </button>
          </div>
        </div>
      ) : (
        <form className="card authority-form" onSubmit={submit} aria-label={t("device.enter.title")}>
          <TextField
            label={t("device.enter.code")}
            hint={t("device.enter.hint")}
            name="user_code"
            value={code}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            onChange={(event) => setCode(formatUserCode(event.target.value))}
            error={check.error}
          />
          {check.isError ? <Problem error={check.error} /> : null}
          <div className="form-actions">
            <button type="submit" className="button-primary" disabled={check.isPending || !isCompleteUserCode(code)}>
              {t("device.enter.submit")}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
