import { lazy } from 'react';
import { QueryClient } from '@tanstack/react-query';
import { Route } from 'react-router-dom';
import { Admin, CustomRoutes, Resource } from 'react-admin';

import auditEvents from './audit-events';
import chartImports from './chart-imports';
import devMailbox from './dev-mailbox';
import emails from './emails';
import { AccessDeniedPage } from './layout/AccessDeniedPage';
import { RdLayout } from './layout/Layout';
import { LoginPage } from './layout/LoginPage';
import patients from './patients';
import portalApps from './portal-apps';
import practiceSettings from './practice-settings';
import { authProvider } from './providers/authProvider';
import { dataProvider } from './providers/dataProvider';
import { errorStatus } from './providers/http';
import { i18nProvider } from './providers/i18nProvider';
import staff from './staff';
import { theme } from './theme';

const Dashboard = lazy(() => import('./dashboard/Dashboard'));
const TwoStepPage = lazy(() => import('./two-step/TwoStepPage'));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not change by asking again (401 signs out, 403/404 are final).
      retry: (failureCount, error) => {
        const status = errorStatus(error);
        if (status !== undefined && status >= 400 && status < 500) return false;
        return failureCount < 2;
      },
    },
  },
});

export const App = () => (
  <Admin
    title="ResetDesk"
    disableTelemetry
    requireAuth
    dataProvider={dataProvider}
    authProvider={authProvider}
    i18nProvider={i18nProvider}
    queryClient={queryClient}
    loginPage={LoginPage}
    layout={RdLayout}
    dashboard={Dashboard}
    accessDenied={AccessDeniedPage}
    theme={theme}
  >
    <Resource name="patients" {...patients} options={{ label: 'Patients' }} />
    <Resource name="audit-events" {...auditEvents} options={{ label: 'Audit log' }} />
    <Resource name="emails" {...emails} options={{ label: 'Emails' }} />
    <Resource name="staff" {...staff} options={{ label: 'Staff' }} />
    <Resource name="imports" {...chartImports} options={{ label: 'Chart imports' }} />
    <Resource name="portal-apps" {...portalApps} options={{ label: 'Portal apps' }} />
    <Resource name="practice-settings" {...practiceSettings} options={{ label: 'Practice settings' }} />
    <Resource name="dev-mailbox" {...devMailbox} options={{ label: 'Dev mailbox' }} />
    <CustomRoutes>
      <Route path="/two-step" element={<TwoStepPage />} />
    </CustomRoutes>
  </Admin>
);
