import { useEffect, type ReactNode } from 'react';
import { Layout, useSidebarState } from 'react-admin';

import { preloadPatientList } from '../patients';
import { RdAppBar } from './AppBar';

/** Below this width (tablets) the menu starts collapsed to icons, leaving room for tables. */
const COMPACT_QUERY = '(max-width: 1023px)';

export const RdLayout = ({ children }: { children: ReactNode }) => {
  const [, setSidebarOpen] = useSidebarState();

  useEffect(() => {
    // The layout only renders for a signed-in user: fetch the patient list code in the
    // background so the most used screen opens without waiting.
    void preloadPatientList().catch(() => undefined);
    if (window.matchMedia?.(COMPACT_QUERY).matches) setSidebarOpen(false);
  }, []);

  return (
    <Layout
      appBar={RdAppBar}
      // Keep the page as wide as the screen; wide tables scroll inside their own box.
      sx={{ minWidth: 0, '& .RaLayout-content': { minWidth: 0 } }}
    >
      {children}
    </Layout>
  );
};
