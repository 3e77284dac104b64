import { EntityManager } from 'typeorm';
import { PortalApp } from '../portal-apps/portal-app.entity';

export const DEMO_PORTAL_CLIENT_ID = 'demo-patient-portal';
export const DEMO_PORTAL_NAME = 'Demo patient portal';
export const DEMO_PORTAL_PATH = '/demo-portal';

/**
 * Registers (or re-points) the demo portal as a public portal app of a practice, at this
 * server's address: its redirect, post-logout and back-channel logout URIs under /demo-portal.
 */
export async function registerDemoPortalApp(manager: EntityManager, practiceId: string, publicUrl: string): Promise<void> {
  const base = `${publicUrl.replace(/\/$/, '')}${DEMO_PORTAL_PATH}`;
  const now = new Date();
  const uris = {
    redirectUris: JSON.stringify([`${base}/callback`]),
    postLogoutRedirectUris: JSON.stringify([`${base}/`]),
    backchannelLogoutUri: `${base}/backchannel-logout`,
  };
  const existing = await manager.findOneBy(PortalApp, { clientId: DEMO_PORTAL_CLIENT_ID });
  if (existing) {
    await manager.update(PortalApp, { id: existing.id }, { ...uris, updatedAt: now });
    return;
  }
  await manager.insert(PortalApp, {
    id: '00000000-0000-4000-8000-0000000d3e10',
    practiceId,
    name: DEMO_PORTAL_NAME,
    clientId: DEMO_PORTAL_CLIENT_ID,
    clientSecretHash: null,
    confidential: false,
    ...uris,
    createdAt: now,
    updatedAt: now,
  });
}
