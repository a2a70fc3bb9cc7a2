// A revealed camera-system account, shown once: a visible countdown, then it is gone (the
// parent drops it from its state; nothing else ever held it).

import { useEffect, useRef, useState } from "react";
import type { RevealedSecret } from "../client/access/types.gen";
import { useI18n } from "../i18n/context";
import { secondsLeft } from "../reveal";

export function SecretPanel({ secret, seconds, onDone }: { secret: RevealedSecret; seconds: number; onDone: () => void }) {
  const { t, tn } = useI18n();
  const [until] = useState(() => Date.now() + seconds * 1000);
  const [left, setLeft] = useState(seconds);
  const heading = useRef<HTMLHeadingElement>(null);
  const done = useRef(onDone);
  done.current = onDone;

  useEffect(() => {
    heading.current?.focus();
  }, []);

  useEffect(() => {
    const tick = () => {
      const now = secondsLeft(until, Date.now());
      setLeft(now);
      if (now === 0) done.current();
    };
    const timer = window.setInterval(tick, 250);
    return () => window.clearInterval(timer);
  }, [until]);

  return (
    <section className="card secret-panel" aria-labelledby="secret-heading" data-testid="secret-panel">
      <h2 id="secret-heading" ref={heading} tabIndex={-1}>
        {t("vault.secret.title")}
      </h2>
      <p className="secret-countdown" role="timer" aria-live="off" data-seconds-left={left}>
        {tn("vault.secret.hidesIn", left)}
      </p>
      <progress className="secret-progress" max={seconds} value={left} aria-label={t("vault.secret.timeLeft")} />
      <dl className="facts secret-facts">
        <dt>{t("vault.secret.url")}</dt>
        <dd>
          <code data-testid="secret-url">{secret.access_url}</code>
        </dd>
        <dt>{t("vault.secret.account")}</dt>
        <dd>
          <code data-testid="secret-account">{secret.account}</code>
        </dd>
        <dt>{t("vault.secret.password")}</dt>
        <dd>
          <code data-testid="secret-password">{secret.password}</code>
        </dd>
        {secret.notes ? (
          <>
            <dt>{t("vault.secret.notes")}</dt>
            <dd>{secret.notes}</dd>
          </>
        ) : null}
      </dl>
      <p className="muted">{t("vault.secret.onlyOnce")}</p>
      <button type="button" className="button-secondary" onClick={() => done.current()}>
        {t("vault.secret.hideNow")}
      </button>
    </section>
  );
}
