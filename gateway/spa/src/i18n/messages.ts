// Translating: Vietnamese by default, English on request; `{name}` placeholders and plural
// forms (Intl.PluralRules; Vietnamese has only `other`).

import en from "./en";
import vi from "./vi";

export type MessageKey = keyof typeof vi;
export type Language = "vi" | "en";

export const DEFAULT_LANGUAGE: Language = "vi";
export const LANGUAGES: Record<Language, { name: string; locale: string; messages: Record<string, string> }> = {
  vi: { name: "Tiếng Việt", locale: "vi-VN", messages: vi },
  en: { name: "English", locale: "en-GB", messages: en },
};

export type Params = Record<string, string | number>;

/**
 * The message `key` in `language` with `{name}` placeholders filled from `params`. A key
 * unknown to the SPA shows itself (callers build some keys from server codes).
 */
export function translate(language: Language, key: string, params: Params = {}): string {
  const message = LANGUAGES[language].messages[key] ?? LANGUAGES[DEFAULT_LANGUAGE].messages[key];
  if (message === undefined) return key;
  return message.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** Whether the SPA has a message for `key` (server codes without one are shown raw). */
export function hasMessage(key: string): boolean {
  return key in LANGUAGES[DEFAULT_LANGUAGE].messages;
}

/** A message that depends on a number: `key.one` / `key.other`, with `{count}` filled in. */
export function translatePlural(language: Language, key: string, count: number, params: Params = {}): string {
  const form = new Intl.PluralRules(LANGUAGES[language].locale).select(count);
  const specific = `${key}.${form}`;
  const chosen = hasMessage(specific) ? specific : `${key}.other`;
  return translate(language, chosen, { ...params, count });
}
