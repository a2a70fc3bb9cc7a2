// The language as React state: kept in localStorage, mirrored on <html lang>.

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { DEFAULT_LANGUAGE, LANGUAGES, translate, translatePlural, type Language, type Params } from "./messages";

const STORAGE_KEY = "camwatch.language";

function initialLanguage(): Language {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    if (stored && stored in LANGUAGES) return stored as Language;
  } catch {
    // storage disabled: the default
  }
  return DEFAULT_LANGUAGE;
}

export interface I18n {
  language: Language;
  locale: string;
  setLanguage: (language: Language) => void;
  t: (key: string, params?: Params) => string;
  tn: (key: string, count: number, params?: Params) => string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setState] = useState<Language>(initialLanguage);
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  const setLanguage = useCallback((next: Language) => {
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // not persisted; the switch still applies
    }
    setState(next);
  }, []);
  const value = useMemo<I18n>(
    () => ({
      language,
      locale: LANGUAGES[language].locale,
      setLanguage,
      t: (key, params) => translate(language, key, params),
      tn: (key, count, params) => translatePlural(language, key, count, params),
    }),
    [language, setLanguage],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error("useI18n outside I18nProvider");
  return value;
}
