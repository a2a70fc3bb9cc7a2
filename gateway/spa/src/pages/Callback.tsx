// /callback: the access service sends the browser back here with `code` and `state`.

import { useEffect, useRef, useState } from "react";
import { completeAuthorization } from "../auth/session";
import { Problem, report } from "../components/Problem";
import { useI18n } from "../i18n/context";
import { Link, navigate } from "../router";

export default function Callback() {
  const { t } = useI18n();
  const [error, setError] = useState<unknown>(null);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return; // the code is single-use (StrictMode runs effects twice)
    started.current = true;
    const search = window.location.search;
    // Take the code out of the address bar and history at once.
    window.history.replaceState(null, "", "/callback");
    completeAuthorization(search)
      .then((next) => navigate(next, { replace: true }))
      .catch((failure) => {
        report(failure);
        setError(failure);
      });
  }, []);

  return (
    <section className="callback">
      <h1>{t("callback.title")}</h1>
      {error ? (
        <>
          <Problem error={error} />
          <p>
            <Link href="/signin">{t("callback.again")}</Link>
          </p>
        </>
      ) : (
        <p className="loading" role="status">
          {t("callback.working")}
        </p>
      )}
    </section>
  );
}
