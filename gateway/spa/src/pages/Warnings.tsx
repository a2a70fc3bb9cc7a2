// The warnings queue: new ones first by default, any workflow state on request.

import { useState } from "react";
import { useWarnings } from "../api/queries";
import type { WarningState } from "../client/risk/types.gen";
import { Problem } from "../components/Problem";
import { Loading } from "../components/Status";
import { WarningTable } from "../components/WarningTable";
import { useI18n } from "../i18n/context";

const STATES: WarningState[] = ["new", "acknowledged", "analysed", "action_proposed", "escalated", "closed", "resolved"];

export default function Warnings() {
  const { t } = useI18n();
  const [state, setState] = useState<WarningState | "all">("new");
  const warnings = useWarnings({ state: state === "all" ? null : state });
  return (
    <section className="page" aria-labelledby="warnings-heading">
      <div className="page-head">
        <div>
          <h1 id="warnings-heading">{t("warnings.title")}</h1>
          <p className="lead">{t("warnings.lead")}</p>
        </div>
      </div>
      <div className="filters">
        <label htmlFor="warning-state">{t("warnings.filter.state")}</label>
        <select id="warning-state" value={state} onChange={(event) => setState(event.target.value as WarningState | "all")}>
          <option value="all">{t("warnings.filter.all")}</option>
          {STATES.map((code) => (
            <option key={code} value={code}>
              {t(`warning.state.${code}`)}
            </option>
          ))}
        </select>
      </div>
      {warnings.isPending ? <Loading /> : warnings.isError ? <Problem error={warnings.error} /> : <WarningTable warnings={warnings.data} caption={t("warnings.title")} />}
    </section>
  );
}
