// Languages: Vietnamese by default, English on request; the choice is kept in localStorage.
// Times are always shown in Vietnam's time zone, whatever the browser's own zone is.

import en from "./locales/en.js";
import vi from "./locales/vi.js";

export const TIME_ZONE = "Asia/Ho_Chi_Minh";
export const DEFAULT_LANGUAGE = "vi";
export const LANGUAGES = {
  vi: { name: "Tiếng Việt", locale: "vi-VN", messages: vi },
  en: { name: "English", locale: "en-GB", messages: en },
};

const STORAGE_KEY = "camwatch.language";
const listeners = new Set();
let current = initialLanguage();

function initialLanguage() {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    if (stored && stored in LANGUAGES) return stored;
  } catch {
    // storage disabled: fall back to the default
  }
  return DEFAULT_LANGUAGE;
}

/** The current language code (`vi` or `en`). */
export function language() {
  return current;
}

/** The BCP 47 locale of the current language, for Intl formatting. */
export function locale() {
  return LANGUAGES[current].locale;
}

/** Switch language, remember it, and let every listener re-render. */
export function setLanguage(code) {
  if (!(code in LANGUAGES) || code === current) return;
  current = code;
  try {
    window.localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // not persisted; the switch still applies to this page
  }
  applyDocumentLanguage();
  for (const listener of listeners) listener(code);
}

/** Call `listener(code)` after each language switch; returns a function that unsubscribes. */
export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * The message `key` in the current language with `{name}` placeholders filled from `params`.
 * A key missing in English falls back to Vietnamese; a key missing everywhere shows itself.
 */
export function t(key, params = {}) {
  const message = LANGUAGES[current].messages[key] ?? LANGUAGES[DEFAULT_LANGUAGE].messages[key];
  if (message === undefined) return key;
  return message.replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? String(params[name]) : whole,
  );
}

/**
 * A message that depends on a number: `key.one` / `key.other` (Intl.PluralRules of the
 * current language; Vietnamese has only `other`), with `{count}` filled in.
 */
export function tn(key, count, params = {}) {
  const form = new Intl.PluralRules(locale()).select(count);
  const specific = `${key}.${form}`;
  const chosen = t(specific) === specific ? `${key}.other` : specific;
  return t(chosen, { ...params, count });
}

/** The label of a role code, or the code itself when the role is unknown to the SPA. */
export function roleLabel(role) {
  const key = `role.${role}`;
  const label = t(key);
  return label === key ? role : label;
}

/** `<html lang>` and every `[data-i18n]` element of the static page follow the language. */
export function applyDocumentLanguage() {
  document.documentElement.lang = current;
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
}

function asDate(value) {
  if (value === null || value === undefined || value === "") return null;
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A date and time (ISO string, Date or epoch seconds) in Asia/Ho_Chi_Minh, or "" if absent. */
export function formatDateTime(value) {
  const date = asDate(value);
  if (!date) return "";
  return new Intl.DateTimeFormat(locale(), {
    timeZone: TIME_ZONE,
    dateStyle: "short",
    timeStyle: "short",
  }).format(date);
}

/** A calendar date in Asia/Ho_Chi_Minh, or "" if absent. */
export function formatDate(value) {
  const date = asDate(value);
  if (!date) return "";
  return new Intl.DateTimeFormat(locale(), { timeZone: TIME_ZONE, dateStyle: "medium" }).format(
    date,
  );
}

/** The value for a `<time datetime>` attribute. */
export function isoDateTime(value) {
  const date = asDate(value);
  return date ? date.toISOString() : "";
}
