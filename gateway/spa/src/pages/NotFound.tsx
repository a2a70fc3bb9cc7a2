// Any path the SPA does not know.

import { useI18n } from "../i18n/context";
import { Link } from "../router";

export default function NotFound() {
  const { t } = useI18n();
  return (
    <section className="not-found">
      <h1>{t("notFound.title")}</h1>
      <p>{t("notFound.body")}</p>
      <p>
        <Link href="/">{t("notFound.home")}</Link>
      </p>
    </section>
  );
}
