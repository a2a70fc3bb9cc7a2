// The frame of every page: skip link, brand, who is signed in, language switch, sign-out,
// and the navigation the user's roles open.

import { useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useEffect } from "react";
import { setLiveStatus, startLive, useLiveStatus } from "../api/live";
import { accessToken, refresh, signOut, type User } from "../auth/session";
import { formatDateTime, isoDateTime } from "../format";
import { useI18n } from "../i18n/context";
import { LANGUAGES, type Language } from "../i18n/messages";
import { Link, navigate, useLocation } from "../router";
import { NoticeBanner } from "./NoticeBanner";

export interface NavItem {
  href: string;
  key: string;
  roles: string[];
}

const OFFICERS = ["supervisory_officer", "head_of_subdepartment"];

/** The navigation, in order; each entry shows to the roles that can use its page. */
export const NAV: NavItem[] = [
  { href: "/", key: "nav.dashboard", roles: OFFICERS },
  { href: "/epes", key: "nav.assignedEpes", roles: OFFICERS },
  { href: "/incidents", key: "nav.incidents", roles: OFFICERS },
  { href: "/warnings", key: "nav.warnings", roles: OFFICERS },
  { href: "/wall", key: "nav.wall", roles: OFFICERS },
  { href: "/audit", key: "nav.audit", roles: ["auditor"] },
  { href: "/plan", key: "nav.plan", roles: OFFICERS },
  { href: "/evidence", key: "nav.evidence", roles: [...OFFICERS, "auditor"] },
  { href: "/reports", key: "nav.reports", roles: OFFICERS },
  { href: "/vault", key: "nav.vault", roles: OFFICERS },
  { href: "/authority", key: "nav.authority", roles: ["head_of_subdepartment", "user_administrator"] },
  { href: "/corrections", key: "nav.corrections", roles: ["it_operator", "head_of_subdepartment", "auditor"] },
  { href: "/log-digests", key: "nav.digests", roles: ["it_operator", "auditor"] },
];

export function navFor(user: User): NavItem[] {
  return NAV.filter((item) => item.roles.some((role) => user.roles.includes(role)));
}

function roleLabel(t: (key: string) => string, role: string): string {
  const key = `role.${role}`;
  const label = t(key);
  return label === key ? role : label;
}

function LanguageSwitch() {
  const { t, language, setLanguage } = useI18n();
  return (
    <div className="language-switch" role="group" aria-label={t("header.language")}>
      {(Object.keys(LANGUAGES) as Language[]).map((code) => (
        <button key={code} type="button" lang={code} data-language={code} aria-pressed={code === language} onClick={() => setLanguage(code)}>
          {LANGUAGES[code].name}
        </button>
      ))}
    </div>
  );
}

function UserBlock({ user }: { user: User }) {
  const { t, locale } = useI18n();
  const unit = user.unitName ? `${user.unitName} (${user.unit})` : user.unit || "—";
  return (
    <div className="user" role="group" aria-label={t("header.signedInAs")}>
      <div className="user-identity">
        <span className="user-name" data-testid="user-name">
          {user.name}
        </span>
        {user.username && user.username !== user.name ? <span className="user-username">@{user.username}</span> : null}
        {user.authTime ? (
          <span className="user-since">
            {t("header.signedInAt")} <time dateTime={isoDateTime(user.authTime)}>{formatDateTime(user.authTime, locale)}</time>
          </span>
        ) : null}
      </div>
      <dl className="user-facts">
        <dt>{t("header.unit")}</dt>
        <dd className="user-unit" data-testid="user-unit" title={unit}>
          {unit}
        </dd>
        <dt>{t("header.roles")}</dt>
        <dd data-testid="user-roles">
          <ul className="roles">
            {user.roles.length ? (
              user.roles.map((role) => (
                <li key={role} className="role" data-role={role}>
                  {roleLabel(t, role)}
                </li>
              ))
            ) : (
              <li className="role role-none">{t("header.noRoles")}</li>
            )}
          </ul>
        </dd>
      </dl>
    </div>
  );
}

/** The live channel, followed while someone is signed in. */
function useLiveChannel(signedIn: boolean) {
  const queries = useQueryClient();
  useEffect(() => {
    if (!signedIn) return undefined;
    return startLive({ queries, token: accessToken, refresh, onStatus: setLiveStatus });
  }, [signedIn, queries]);
}

function LiveIndicator() {
  const { t } = useI18n();
  const status = useLiveStatus();
  return (
    <span className={`live-status live-${status}`} data-testid="live-status" data-live={status}>
      {t(`live.${status}`)}
    </span>
  );
}

export function Layout({ user, onSigningOut, children }: { user: User | null; onSigningOut: (on: boolean) => void; children: ReactNode }) {
  const { t } = useI18n();
  useLiveChannel(!!user);
  const here = useLocation().split("?")[0];
  const current = (href: string) => (href === "/" ? here === "/" : here === href || here.startsWith(`${href}/`));
  return (
    <>
      <a className="skip-link" href="#main">
        {t("app.skip")}
      </a>
      <header className="site-header">
        <div className="topbar">
          <div className="brand">
            <Link href="/" className="brand-link">
              <span className="brand-mark" aria-hidden="true" />
              camwatch
            </Link>
            <span className="brand-tagline">{t("app.tagline")}</span>
          </div>
          <div className="header-tools">
            {user ? <UserBlock user={user} /> : null}
            {user ? <LiveIndicator /> : null}
            <LanguageSwitch />
            {user ? (
              <button
                type="button"
                className="button-secondary sign-out"
                onClick={async () => {
                  onSigningOut(true);
                  try {
                    await signOut();
                  } finally {
                    onSigningOut(false);
                  }
                  navigate("/signin?signedOut=1", { replace: true });
                }}
              >
                {t("header.signOut")}
              </button>
            ) : null}
          </div>
        </div>
        {user ? (
          <nav className="site-nav" aria-label={t("nav.label")}>
            {navFor(user).map((item) => (
              <Link key={item.href} href={item.href} aria-current={current(item.href) ? "page" : undefined}>
                {t(item.key)}
              </Link>
            ))}
          </nav>
        ) : null}
      </header>
      <NoticeBanner enabled={!!user} />
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
