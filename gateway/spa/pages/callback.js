// /callback: the access service sends the browser back here with `code` and `state`.

import * as auth from "../auth.js";
import { h, replaceChildren } from "../dom.js";
import { problemView, report } from "../errors.js";
import { onLanguageChange, t } from "../i18n.js";

export function title() {
  return t("callback.title");
}

export function mount(container, { navigate }) {
  let error = null;

  function draw() {
    replaceChildren(
      container,
      h(
        "section",
        { class: "callback" },
        h("h1", { text: t("callback.title") }),
        error
          ? [
              problemView(error),
              h("p", {}, h("a", { href: "/signin", "data-link": true, text: t("callback.again") })),
            ]
          : h("p", { class: "loading", role: "status", text: t("callback.working") }),
      ),
    );
  }

  draw();
  const search = window.location.search;
  // The code is single-use: take it out of the address bar and history at once.
  window.history.replaceState(null, "", "/callback");
  auth
    .completeAuthorization(search)
    .then((next) => navigate(next, { replace: true }))
    .catch((failure) => {
      report(failure);
      error = failure;
      draw();
    });
  return onLanguageChange(draw);
}
