// Sign-in: username + password, then the TOTP code, then the authorization code flow.

import * as auth from "../auth.js";
import { h, replaceChildren } from "../dom.js";
import { problemView, report } from "../errors.js";
import { formatDateTime, language, onLanguageChange, t } from "../i18n.js";

export function title() {
  return t("signin.title");
}

function safeReturnPath(value) {
  return value && value.startsWith("/") && !value.startsWith("//") ? value : "/";
}

export function mount(container) {
  const query = new URLSearchParams(window.location.search);
  const state = {
    step: "password", // password | totp | redirecting
    username: "",
    transaction: null,
    expiresAt: null,
    error: null,
    busy: false,
    notice: query.get("signedOut")
      ? "signin.signedOut"
      : query.get("expired")
        ? "signin.expired"
        : null,
    returnTo: safeReturnPath(query.get("return")),
  };

  function field({ id, label, hint, ...attrs }) {
    return h(
      "div",
      { class: "field" },
      h("label", { for: id, text: label }),
      hint ? h("p", { class: "field-hint", id: `${id}-hint`, text: hint }) : null,
      h("input", {
        id,
        name: id,
        "aria-describedby": hint ? `${id}-hint` : null,
        required: true,
        ...attrs,
      }),
    );
  }

  async function submitPassword(event) {
    event.preventDefault();
    const form = event.currentTarget;
    state.username = form.elements.username.value.trim();
    const password = form.elements.password.value;
    await step(async () => {
      const result = await auth.startSignin(state.username, password);
      state.transaction = result.transaction;
      state.expiresAt = result.expires_at || null;
      if (result.stage === "authenticated") await finish();
      else state.step = "totp";
    });
  }

  async function submitTotp(event) {
    event.preventDefault();
    const code = event.currentTarget.elements.code.value.replace(/\s+/g, "");
    await step(async () => {
      const result = await auth.verifyTotp(state.transaction, code);
      state.transaction = result.transaction || state.transaction;
      await finish();
    });
  }

  async function finish() {
    state.step = "redirecting";
    draw();
    await auth.authorize({
      signin: state.transaction,
      returnTo: state.returnTo,
      uiLocale: language(),
    });
  }

  async function step(action) {
    state.busy = true;
    state.error = null;
    draw();
    try {
      await action();
    } catch (error) {
      report(error);
      state.error = error;
      // A transaction that expired cannot go on: start again. (The access service answers
      // 401 both for a wrong code and for a dead transaction; the expiry tells them apart.)
      const expired = state.expiresAt && Date.parse(state.expiresAt) <= Date.now();
      if (state.step === "totp" && (expired || [400, 404, 410].includes(error.status))) {
        state.step = "password";
        state.transaction = null;
        state.expiresAt = null;
      }
      if (state.step === "redirecting") state.step = "password";
    } finally {
      state.busy = false;
      draw({ focus: true });
    }
  }

  function passwordForm() {
    return h(
      "form",
      {
        class: "card signin-form",
        onSubmit: submitPassword,
        "aria-busy": state.busy ? "true" : "false",
      },
      field({
        id: "username",
        label: t("signin.username"),
        autocomplete: "username",
        autocapitalize: "none",
        spellcheck: "false",
        value: state.username,
      }),
      field({
        id: "password",
        label: t("signin.password"),
        type: "password",
        autocomplete: "current-password",
      }),
      h("button", {
        type: "submit",
        class: "button-primary",
        disabled: state.busy,
        text: state.busy ? t("signin.checking") : t("signin.continue"),
      }),
    );
  }

  function totpForm() {
    return h(
      "form",
      {
        class: "card signin-form",
        onSubmit: submitTotp,
        "aria-busy": state.busy ? "true" : "false",
      },
      h("p", { class: "signin-user", text: t("signin.totpFor", { username: state.username }) }),
      field({
        id: "code",
        label: t("signin.totpCode"),
        hint: t("signin.totpHint"),
        inputmode: "numeric",
        autocomplete: "one-time-code",
        pattern: "[0-9]{6}",
        maxlength: "6",
        class: "totp-input",
      }),
      state.expiresAt
        ? h("p", {
            class: "field-hint",
            text: t("signin.totpExpires", { time: formatDateTime(state.expiresAt) }),
          })
        : null,
      h(
        "div",
        { class: "form-actions" },
        h("button", {
          type: "submit",
          class: "button-primary",
          disabled: state.busy,
          text: state.busy ? t("signin.checking") : t("signin.verify"),
        }),
        h("button", {
          type: "button",
          class: "button-secondary",
          disabled: state.busy,
          text: t("signin.restart"),
          onClick: () => {
            state.step = "password";
            state.transaction = null;
            state.error = null;
            draw();
          },
        }),
      ),
    );
  }

  // `focus`: move focus to the step's first field (on a new step, not on a language switch).
  function draw({ focus = false } = {}) {
    const kept = {};
    for (const input of container.querySelectorAll("input[id]")) kept[input.id] = input.value;
    replaceChildren(
      container,
      h(
        "section",
        { class: "signin", "aria-labelledby": "signin-heading" },
        h("h1", { id: "signin-heading", text: t("signin.title") }),
        h("p", {
          class: "lead",
          text: state.step === "totp" ? t("signin.totpLead") : t("signin.lead"),
        }),
        h(
          "ol",
          { class: "steps", "aria-label": t("signin.stepsLabel") },
          h("li", {
            "aria-current": state.step === "password" ? "step" : null,
            text: t("signin.stepPassword"),
          }),
          h("li", {
            "aria-current": state.step === "totp" ? "step" : null,
            text: t("signin.stepTotp"),
          }),
        ),
        state.notice && !state.error
          ? h("p", { class: "notice", role: "status", text: t(state.notice) })
          : null,
        state.error ? problemView(state.error) : null,
        state.step === "password" ? passwordForm() : null,
        state.step === "totp" ? totpForm() : null,
        state.step === "redirecting"
          ? h("p", { class: "loading", role: "status", text: t("signin.redirecting") })
          : null,
      ),
    );
    for (const [id, value] of Object.entries(focus ? {} : kept)) {
      const input = container.querySelector(`#${id}`);
      if (input && !input.value) input.value = value;
    }
    if (focus && !state.busy) {
      const first = state.step === "totp" ? "#code" : state.username ? "#password" : "#username";
      container.querySelector(first)?.focus();
    }
  }

  draw({ focus: true });
  return onLanguageChange(() => draw());
}
