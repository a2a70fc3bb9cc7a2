// Sign-in: username + password, then the TOTP code, then the authorization code flow.

import { useEffect, useRef, useState, type FormEvent } from "react";
import * as auth from "../auth/session";
import { Problem, report } from "../components/Problem";
import { formatDateTime } from "../format";
import { useI18n } from "../i18n/context";

type Step = "password" | "totp" | "redirecting";

export default function SignIn() {
  const { t, locale, language } = useI18n();
  const query = new URLSearchParams(window.location.search);
  const returnTo = auth.safeReturnPath(query.get("return"));
  const notice = query.get("signedOut") ? "signin.signedOut" : query.get("expired") ? "signin.expired" : null;

  const [step, setStep] = useState<Step>("password");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [transaction, setTransaction] = useState<string | null>(null);
  const [expiresAt, setExpiresAt] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [focusTick, setFocusTick] = useState(0);
  const usernameRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (busy) return;
    if (step === "totp") codeRef.current?.focus();
    else if (step === "password") (username ? passwordRef : usernameRef).current?.focus();
    // focus moves on a new step or after an answer, not on every keystroke
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [step, focusTick, busy]);

  async function finish(signin: string) {
    setStep("redirecting");
    await auth.authorize({ signin, returnTo, uiLocale: language });
  }

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      report(failure);
      setError(failure);
      const status = failure instanceof auth.AuthError ? failure.status : undefined;
      // A transaction that expired cannot go on: start again. (The access service answers
      // 401 both for a wrong code and for a dead transaction; the expiry tells them apart.)
      const expired = expiresAt !== null && Date.parse(expiresAt) <= Date.now();
      setStep((current) => {
        if (current === "totp" && (expired || [400, 404, 410].includes(status ?? 0))) {
          setTransaction(null);
          setExpiresAt(null);
          return "password";
        }
        return current === "redirecting" ? "password" : current;
      });
    } finally {
      setBusy(false);
      setFocusTick((tick) => tick + 1);
    }
  }

  function submitPassword(event: FormEvent) {
    event.preventDefault();
    const name = username.trim();
    setUsername(name);
    void run(async () => {
      const result = await auth.startSignin(name, password);
      setTransaction(result.transaction);
      setExpiresAt(result.expires_at || null);
      if (result.stage === "authenticated") await finish(result.transaction);
      else {
        setCode("");
        setStep("totp");
      }
    });
  }

  function submitTotp(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      const result = await auth.verifyTotp(transaction || "", code.replace(/\s+/g, ""));
      await finish(result.transaction || transaction || "");
    });
  }

  return (
    <section className="signin" aria-labelledby="signin-heading">
      <h1 id="signin-heading">{t("signin.title")}</h1>
      <p className="lead">{step === "totp" ? t("signin.totpLead") : t("signin.lead")}</p>
      <ol className="steps" aria-label={t("signin.stepsLabel")}>
        <li aria-current={step === "password" ? "step" : undefined}>{t("signin.stepPassword")}</li>
        <li aria-current={step === "totp" ? "step" : undefined}>{t("signin.stepTotp")}</li>
      </ol>
      {notice && !error ? (
        <p className="notice" role="status">
          {t(notice)}
        </p>
      ) : null}
      {error ? <Problem error={error} /> : null}
      {step === "password" ? (
        <form className="card signin-form" onSubmit={submitPassword} aria-busy={busy}>
          <div className="field">
            <label htmlFor="username">{t("signin.username")}</label>
            <input id="username" name="username" ref={usernameRef} required autoComplete="username" autoCapitalize="none" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="password">{t("signin.password")}</label>
            <input id="password" name="password" ref={passwordRef} required type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          </div>
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? t("signin.checking") : t("signin.continue")}
          </button>
        </form>
      ) : null}
      {step === "totp" ? (
        <form className="card signin-form" onSubmit={submitTotp} aria-busy={busy}>
          <p className="signin-user">{t("signin.totpFor", { username })}</p>
          <div className="field">
            <label htmlFor="code">{t("signin.totpCode")}</label>
            <p className="field-hint" id="code-hint">
              {t("signin.totpHint")}
            </p>
            <input id="code" name="code" ref={codeRef} required className="totp-input" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} aria-describedby="code-hint" value={code} onChange={(e) => setCode(e.target.value)} />
          </div>
          {expiresAt ? <p className="field-hint">{t("signin.totpExpires", { time: formatDateTime(expiresAt, locale) })}</p> : null}
          <div className="form-actions">
            <button type="submit" className="button-primary" disabled={busy}>
              {busy ? t("signin.checking") : t("signin.verify")}
            </button>
            <button
              type="button"
              className="button-secondary"
              disabled={busy}
              onClick={() => {
                setStep("password");
                setTransaction(null);
                setError(null);
              }}
            >
              {t("signin.restart")}
            </button>
          </div>
        </form>
      ) : null}
      {step === "redirecting" ? (
        <p className="loading" role="status">
          {t("signin.redirecting")}
        </p>
      ) : null}
    </section>
  );
}
