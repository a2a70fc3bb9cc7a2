// The officer SPA's entry point: the routes, the header, and who is signed in.
//
// Routes are plain paths handled with the History API (the gateway answers every unknown path
// with index.html). A page module exports `mount(container, context)` and returns a function
// that unmounts it; pages re-draw themselves when the language changes.

import * as auth from "./auth.js";
import { h, replaceChildren } from "./dom.js";
import { report } from "./errors.js";
import {
  LANGUAGES,
  applyDocumentLanguage,
  formatDateTime,
  isoDateTime,
  language,
  onLanguageChange,
  roleLabel,
  setLanguage,
  t,
} from "./i18n.js";
import * as assignedEpes from "./pages/assigned-epes.js";
import * as callback from "./pages/callback.js";
import * as notFound from "./pages/not-found.js";
import * as signin from "./pages/signin.js";

const ROUTES = {
  "/": { page: assignedEpes, signedIn: true },
  "/epes": { page: assignedEpes, signedIn: true },
  "/signin": { page: signin, signedIn: false },
  "/callback": { page: callback, signedIn: false },
};

const main = document.getElementById("main");
const header = document.getElementById("site-header");
let unmount = null;
let currentPage = null;
let firstRoute = true;
let signingOut = false;

/** Open an SPA path (adds a history entry unless `replace`). */
export function navigate(path, { replace = false } = {}) {
  if (replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  route();
}

function signinPath(returnTo, { expired = false } = {}) {
  const query = new URLSearchParams();
  if (returnTo && returnTo !== "/") query.set("return", returnTo);
  if (expired) query.set("expired", "1");
  const search = query.toString();
  return search ? `/signin?${search}` : "/signin";
}

async function route() {
  const path = window.location.pathname;
  const entry = ROUTES[path] || { page: notFound, signedIn: false };
  if (entry.page === signin && auth.isSignedIn()) {
    navigate("/", { replace: true });
    return;
  }
  if (entry.signedIn && !auth.isSignedIn()) {
    const resumable = auth.canResume();
    const restored = await auth.restore().catch((error) => {
      report(error);
      return false;
    });
    if (!restored) {
      const here = path + window.location.search;
      navigate(signinPath(here, { expired: resumable }), { replace: true });
      return;
    }
  }
  if (unmount) unmount();
  unmount = null;
  main.replaceChildren();
  renderHeader();
  const context = { navigate, signinPath };
  currentPage = entry.page;
  unmount = entry.page.mount(main, context) || null;
  updateTitle();
  // After an in-app navigation, move focus to the new page's heading for screen readers
  // (unless the page already put it in a form field).
  const heading = main.querySelector("h1");
  if (!firstRoute && heading && !main.contains(document.activeElement)) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
  firstRoute = false;
}

function updateTitle() {
  if (currentPage) document.title = `${currentPage.title()} · camwatch`;
}

function languageSwitch() {
  return h(
    "div",
    { class: "language-switch", role: "group", "aria-label": t("header.language") },
    Object.entries(LANGUAGES).map(([code, lang]) =>
      h("button", {
        type: "button",
        lang: code,
        "data-language": code,
        "aria-pressed": code === language() ? "true" : "false",
        text: lang.name,
        onClick: () => setLanguage(code),
      }),
    ),
  );
}

function userBlock(user) {
  return h(
    "div",
    { class: "user", role: "group", "aria-label": t("header.signedInAs") },
    h(
      "div",
      { class: "user-identity" },
      h("span", { class: "user-name", "data-testid": "user-name", text: user.name }),
      user.username && user.username !== user.name
        ? h("span", { class: "user-username", text: `@${user.username}` })
        : null,
      user.authTime
        ? h(
            "span",
            { class: "user-since" },
            `${t("header.signedInAt")} `,
            h("time", {
              datetime: isoDateTime(user.authTime),
              text: formatDateTime(user.authTime),
            }),
          )
        : null,
    ),
    h(
      "dl",
      { class: "user-facts" },
      h("dt", { text: t("header.unit") }),
      h("dd", {
        class: "user-unit",
        "data-testid": "user-unit",
        title: user.unitName ? `${user.unitName} (${user.unit})` : null,
        text: user.unitName ? `${user.unitName} (${user.unit})` : user.unit || "—",
      }),
      h("dt", { text: t("header.roles") }),
      h(
        "dd",
        { "data-testid": "user-roles" },
        h(
          "ul",
          { class: "roles" },
          user.roles.length
            ? user.roles.map((role) =>
                h("li", { class: "role", "data-role": role, text: roleLabel(role) }),
              )
            : h("li", { class: "role role-none", text: t("header.noRoles") }),
        ),
      ),
    ),
  );
}

function brand() {
  return h(
    "div",
    { class: "brand" },
    h(
      "a",
      { href: "/", class: "brand-link", "data-link": true },
      h("span", { class: "brand-mark", "aria-hidden": "true" }),
      "camwatch",
    ),
    h("span", { class: "brand-tagline", text: t("app.tagline") }),
  );
}

function signOutButton() {
  return h("button", {
    type: "button",
    class: "button-secondary sign-out",
    text: t("header.signOut"),
    onClick: async () => {
      signingOut = true;
      try {
        await auth.signOut();
      } finally {
        signingOut = false;
      }
      navigate("/signin?signedOut=1", { replace: true });
    },
  });
}

function mainNav() {
  const onEpes = ["/", "/epes"].includes(window.location.pathname);
  return h(
    "nav",
    { class: "site-nav", "aria-label": t("nav.label") },
    h("a", {
      href: "/",
      "data-link": true,
      "aria-current": onEpes ? "page" : null,
      text: t("nav.assignedEpes"),
    }),
  );
}

function renderHeader() {
  const user = auth.currentUser();
  const focusedLanguage = header.contains(document.activeElement)
    ? document.activeElement.dataset.language
    : null;
  replaceChildren(
    header,
    h(
      "div",
      { class: "topbar" },
      brand(),
      h(
        "div",
        { class: "header-tools" },
        user ? userBlock(user) : null,
        languageSwitch(),
        user ? signOutButton() : null,
      ),
    ),
    user ? mainNav() : null,
  );
  if (focusedLanguage) header.querySelector(`[data-language="${focusedLanguage}"]`)?.focus();
}

function interceptLinks(event) {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey
  )
    return;
  const link = event.target.closest("a[data-link]");
  if (!link || link.origin !== window.location.origin) return;
  event.preventDefault();
  if (link.pathname + link.search !== window.location.pathname + window.location.search) {
    navigate(link.pathname + link.search);
  }
}

function start() {
  applyDocumentLanguage();
  document.addEventListener("click", interceptLinks);
  window.addEventListener("popstate", route);
  onLanguageChange(() => {
    applyDocumentLanguage();
    renderHeader();
    updateTitle();
  });
  auth.onSessionChange((user) => {
    renderHeader();
    // The session ended by itself (refresh token expired or revoked): sign in again.
    const entry = ROUTES[window.location.pathname];
    if (!user && !signingOut && entry?.signedIn) {
      const here = window.location.pathname + window.location.search;
      navigate(signinPath(here, { expired: true }), { replace: true });
    }
  });
  route().catch((error) => {
    report(error);
  });
}

start();
