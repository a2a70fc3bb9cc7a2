// Any path the SPA does not know.

import { h, replaceChildren } from "../dom.js";
import { onLanguageChange, t } from "../i18n.js";

export function title() {
  return t("notFound.title");
}

export function mount(container) {
  function draw() {
    replaceChildren(
      container,
      h(
        "section",
        { class: "not-found" },
        h("h1", { text: t("notFound.title") }),
        h("p", { text: t("notFound.body") }),
        h("p", {}, h("a", { href: "/", "data-link": true, text: t("notFound.home") })),
      ),
    );
  }
  draw();
  return onLanguageChange(draw);
}
