// Routes, the sign-in guard and the page title.

import { lazy, Suspense, useEffect, useRef, useState, type ComponentType } from "react";
import { canResume, isSignedIn, restore } from "./auth/session";
import { useUser } from "./auth/useUser";
import { Layout } from "./components/Layout";
import { report } from "./components/Problem";
import { useI18n } from "./i18n/context";
import AssignedEpes from "./pages/AssignedEpes";
import Audit from "./pages/Audit";
import Authority from "./pages/Authority";
import Callback from "./pages/Callback";
import Corrections from "./pages/Corrections";
import Dashboard from "./pages/Dashboard";
import Device from "./pages/Device";
import IncidentPage from "./pages/IncidentPage";
import LogDigests from "./pages/LogDigests";
import Incidents from "./pages/Incidents";
import EvidenceRequest from "./pages/EvidenceRequest";
import EvidenceRequests from "./pages/EvidenceRequests";
import NotFound from "./pages/NotFound";
import Plan from "./pages/Plan";
import SignIn from "./pages/SignIn";
import Vault from "./pages/Vault";
import WarningPage from "./pages/WarningPage";
import Wall from "./pages/Wall";
import Warnings from "./pages/Warnings";
import { matchPath, navigate, useLocation } from "./router";

// The EPE page carries the chart library: loaded when first opened.
const EpePage = lazy(() => import("./pages/EpePage"));
const Reports = lazy(() => import("./pages/Reports"));

interface Route {
  pattern: string;
  page: ComponentType<{ params: Record<string, string> }>;
  title: string;
  signedIn: boolean;
}

const ROUTES: Route[] = [
  { pattern: "/", page: Dashboard, title: "dashboard.title", signedIn: true },
  { pattern: "/epes", page: AssignedEpes, title: "epes.title", signedIn: true },
  { pattern: "/epes/:epeId", page: EpePage, title: "epe.title", signedIn: true },
  { pattern: "/incidents", page: Incidents, title: "incidents.title", signedIn: true },
  { pattern: "/incidents/:incidentId", page: IncidentPage, title: "incident.title", signedIn: true },
  { pattern: "/warnings", page: Warnings, title: "warnings.title", signedIn: true },
  { pattern: "/warnings/:warningId", page: WarningPage, title: "warning.title", signedIn: true },
  { pattern: "/wall", page: Wall, title: "wall.title", signedIn: true },
  { pattern: "/audit", page: Audit, title: "audit.title", signedIn: true },
  { pattern: "/plan", page: Plan, title: "plan.title", signedIn: true },
  { pattern: "/reports", page: Reports, title: "reports.title", signedIn: true },
  { pattern: "/evidence", page: EvidenceRequests, title: "evidence.title", signedIn: true },
  { pattern: "/evidence/:requestId", page: EvidenceRequest, title: "evidence.request.title", signedIn: true },
  { pattern: "/vault", page: Vault, title: "vault.title", signedIn: true },
  { pattern: "/authority", page: Authority, title: "authority.title", signedIn: true },
  { pattern: "/corrections", page: Corrections, title: "corrections.title", signedIn: true },
  { pattern: "/log-digests", page: LogDigests, title: "digests.title", signedIn: true },
  { pattern: "/device", page: Device, title: "device.title", signedIn: true },
  { pattern: "/signin", page: SignIn, title: "signin.title", signedIn: false },
  { pattern: "/callback", page: Callback, title: "callback.title", signedIn: false },
];

function resolve(path: string): { route: Route; params: Record<string, string> } {
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, path);
    if (params) return { route, params };
  }
  return { route: { pattern: "*", page: NotFound, title: "notFound.title", signedIn: false }, params: {} };
}

export function signinPath(returnTo: string, { expired = false } = {}): string {
  const query = new URLSearchParams();
  if (returnTo && returnTo !== "/") query.set("return", returnTo);
  if (expired) query.set("expired", "1");
  const search = query.toString();
  return search ? `/signin?${search}` : "/signin";
}

export default function App() {
  const location = useLocation();
  const path = location.split("?")[0];
  const user = useUser();
  const { t } = useI18n();
  const { route, params } = resolve(path);
  const [ready, setReady] = useState(!route.signedIn || isSignedIn());
  const signingOut = useRef(false);
  const firstRoute = useRef(true);

  // A page that needs a session: resume it from the tab's refresh token, else sign in.
  useEffect(() => {
    if (route.pattern === "/signin" && isSignedIn()) {
      navigate("/", { replace: true });
      return;
    }
    if (!route.signedIn || isSignedIn()) {
      setReady(true);
      return;
    }
    setReady(false);
    const resumable = canResume();
    let alive = true;
    restore()
      .catch((error) => {
        report(error);
        return false;
      })
      .then((restored) => {
        if (!alive) return;
        if (restored) setReady(true);
        else navigate(signinPath(location, { expired: resumable }), { replace: true });
      });
    return () => {
      alive = false;
    };
  }, [route, location]);

  // The session ended by itself (refresh token expired or revoked): sign in again.
  useEffect(() => {
    if (!user && route.signedIn && ready && !signingOut.current && !isSignedIn()) {
      navigate(signinPath(location, { expired: true }), { replace: true });
    }
  }, [user, route, ready, location]);

  useEffect(() => {
    document.title = `${t(route.title)} · camwatch`;
  }, [route, t]);

  // After an in-app navigation, focus the new page's heading for screen readers.
  useEffect(() => {
    if (!ready) return;
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    const main = document.getElementById("main");
    const heading = main?.querySelector("h1");
    if (heading && !main?.contains(document.activeElement)) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }, [path, ready]);

  const Page = route.page;
  return (
    <Layout user={user} onSigningOut={(on) => (signingOut.current = on)}>
      {ready && (!route.signedIn || user) ? (
        <Suspense fallback={<p className="loading" role="status">{t("app.loading")}</p>}>
          <Page key={path} params={params} />
        </Suspense>
      ) : (
        <p className="loading" role="status">
          {t("app.loading")}
        </p>
      )}
    </Layout>
  );
}
