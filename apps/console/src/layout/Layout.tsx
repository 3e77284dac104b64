import type { ReactNode } from 'react';
import { Layout } from 'react-admin';

import { RdAppBar } from './AppBar';

export const RdLayout = ({ children }: { children: ReactNode }) => (
  <Layout appBar={RdAppBar}>{children}</Layout>
);
