// The officer's first page: the EPEs their unit head assigned them to supervise.
//
// Assignments come from the access service (`/api/access/assignments/me`); each EPE's name,
// tax code (MST) and address from the registry (`/api/registry/epes/{id}`). An EPE the
// registry cannot show still appears, by its id, with the reason.

import { api, listAll } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorTitle, problemView, report } from "../errors.js";
import { formatDate, formatDateTime, isoDateTime, onLanguageChange, t, tn } from "../i18n.js";

export const ASSIGNMENTS_URL = "/api/access/assignments/me";

export function title() {
  return t("epes.title");
}

async function loadRows() {
  const assignments = await listAll(ASSIGNMENTS_URL);
  const current = assignments.filter((assignment) => !assignment.ended_at);
  return Promise.all(
    current.map(async (assignment) => {
      try {
        const epe = await api(`/api/registry/epes/${encodeURIComponent(assignment.epe_id)}`);
        return { assignment, epe, error: null };
      } catch (error) {
        report(error);
        return { assignment, epe: null, error };
      }
    }),
  );
}

function statusBadge(status) {
  if (!status) return null;
  return h("span", { class: `badge badge-${status}`, text: t(`epes.status.${status}`) });
}

function row({ assignment, epe, error }) {
  return h(
    "tr",
    { "data-epe-id": assignment.epe_id },
    h(
      "th",
      { scope: "row" },
      h("span", { class: "epe-name", text: epe ? epe.name : assignment.epe_id }),
      h("span", { class: "epe-id", text: assignment.epe_id }),
    ),
    h("td", { class: "tax-code" }, epe ? h("code", { text: epe.tax_code }) : "—"),
    h(
      "td",
      {},
      epe
        ? epe.address
        : h("span", {
            class: "muted",
            text: `${t("epes.registryUnavailable")}: ${errorTitle(error)}`,
          }),
    ),
    h("td", {}, epe ? statusBadge(epe.status) : "—"),
    h(
      "td",
      {},
      h("time", {
        datetime: isoDateTime(assignment.assigned_at),
        title: formatDateTime(assignment.assigned_at),
        text: formatDate(assignment.assigned_at),
      }),
    ),
  );
}

export function mount(container) {
  let state = { loading: true, rows: [], error: null, loadedAt: null };
  let alive = true;

  function table(rows) {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data-table", "aria-describedby": "epes-summary" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col", text: t("epes.col.name") }),
            h("th", { scope: "col", text: t("epes.col.taxCode") }),
            h("th", { scope: "col", text: t("epes.col.address") }),
            h("th", { scope: "col", text: t("epes.col.status") }),
            h("th", { scope: "col", text: t("epes.col.assignedAt") }),
          ),
        ),
        h("tbody", {}, rows.map(row)),
      ),
    );
  }

  function draw() {
    let body;
    if (state.loading) body = h("p", { class: "loading", role: "status", text: t("epes.loading") });
    else if (state.error) body = problemView(state.error);
    else if (!state.rows.length) body = h("p", { class: "empty", text: t("epes.empty") });
    else body = table(state.rows);
    replaceChildren(
      container,
      h(
        "section",
        { class: "page", "aria-labelledby": "epes-heading" },
        h(
          "div",
          { class: "page-head" },
          h(
            "div",
            {},
            h("h1", { id: "epes-heading", text: t("epes.title") }),
            h("p", { class: "lead", text: t("epes.lead") }),
          ),
          h("button", {
            type: "button",
            class: "button-secondary",
            disabled: state.loading,
            text: t("epes.reload"),
            onClick: load,
          }),
        ),
        h(
          "p",
          { id: "epes-summary", class: "summary", role: "status" },
          state.loading || state.error ? "" : tn("epes.count", state.rows.length),
          state.loadedAt
            ? ` · ${t("epes.loadedAt", { time: formatDateTime(state.loadedAt) })}`
            : "",
        ),
        body,
      ),
    );
  }

  async function load() {
    state = { ...state, loading: true, error: null };
    draw();
    try {
      const rows = await loadRows();
      state = { loading: false, rows, error: null, loadedAt: new Date() };
    } catch (error) {
      report(error);
      state = { ...state, loading: false, error };
    }
    if (alive) draw();
  }

  load();
  const unsubscribe = onLanguageChange(draw);
  return () => {
    alive = false;
    unsubscribe();
  };
}
