import type { ComponentType } from 'react';
import { Loading, useCanAccess } from 'react-admin';

import { AccessDeniedPage } from '../layout/AccessDeniedPage';

/**
 * Renders `Screen` only when authProvider.canAccess allows `action` on `resource`; otherwise the
 * access-denied page. Checked before the (lazy) screen loads, so a front-desk user who types an
 * admin URL downloads no admin code and sends no request the API would refuse.
 */
export function requireAccess(resource: string, action: string, Screen: ComponentType) {
  const Guarded = () => {
    const { canAccess, isPending } = useCanAccess({ resource, action });
    if (isPending) return <Loading />;
    if (!canAccess) return <AccessDeniedPage />;
    return <Screen />;
  };
  Guarded.displayName = `RequireAccess(${resource}.${action})`;
  return Guarded;
}
