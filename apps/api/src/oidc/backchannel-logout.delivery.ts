import { Injectable, OnModuleInit } from '@nestjs/common';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { PermanentDeliveryError } from '../mail/delivery-error';
import { MessageSender } from '../mail/message-sender';
import { DeliveryReceipt, OutgoingMessage } from '../mail/outgoing-message';
import type { MessageLoad } from '../outbox/message-definition';
import { MessageDefinitions } from '../outbox/message-definitions';
import { PortalApp } from '../portal-apps/portal-app.entity';
import { OidcProviderHost } from './oidc-provider.host';
import { BACKCHANNEL_LOGOUT } from './portal-access.service';
import { PortalSubject } from './portal-subject.entity';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A logout token is made at each delivery attempt and is good for this long. */
const TOKEN_LIFETIME_S = 120;
const POST_TIMEOUT_MS = 10_000;

/**
 * Delivers OpenID Back-Channel Logout tokens queued by PortalAccess, as a message kind of the
 * outbox: the row names the app (subject) and the patient, its sealed secret the `sid`; the token
 * (`typ` logout+jwt, signed with the provider's key) is made when sent and POSTed as
 * `logout_token`. Through the outbox rather than oidc-provider's own sender: retries, the Emails
 * screen and audit come with it, and a practice may run its portal on the same host (the
 * provider's sender refuses private addresses).
 */
@Injectable()
export class BackchannelLogoutDelivery implements OnModuleInit {
  constructor(
    private readonly host: OidcProviderHost,
    private readonly definitions: MessageDefinitions,
    private readonly sender: MessageSender,
  ) {}

  onModuleInit(): void {
    this.definitions.register({
      ...BACKCHANNEL_LOGOUT.kind,
      channels: [BACKCHANNEL_LOGOUT.channel],
      carriesSecret: true,
      previewSecret: '(the session id, sealed until sent)',
      load: (input) => this.load(input),
    });
    this.sender.registerTransport(BACKCHANNEL_LOGOUT.channel, (message) => this.post(message));
  }

  private async load({ message, secret: sid, mode, manager }: MessageLoad): Promise<Record<string, unknown>> {
    const app = message.subjectId ? await manager.findOneBy(PortalApp, { id: message.subjectId, practiceId: message.practiceId }) : null;
    if (!app) throw new PermanentDeliveryError('The portal app was removed; not sent');
    const subject = message.patientId ? await manager.findOneBy(PortalSubject, { patientId: message.patientId }) : null;
    if (!subject) throw new PermanentDeliveryError('The patient has no portal subject; not sent');
    if (mode === 'preview') return { logoutToken: `A logout token for ${app.name} (sub ${subject.subject}), signed when sent` };
    return { logoutToken: this.logoutToken(app.clientId, subject.subject, sid) };
  }

  /** A Logout Token (OpenID Connect Back-Channel Logout 1.0 §2.4), RS256 with the provider's current key. */
  logoutToken(clientId: string, sub: string, sid: string): string {
    const key = this.host.signingKeys[0]!;
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'logout+jwt', ...(key.kid ? { kid: key.kid } : {}) };
    const payload = {
      iss: this.host.issuer,
      aud: clientId,
      iat: now,
      exp: now + TOKEN_LIFETIME_S,
      jti: randomUUID(),
      sub,
      sid,
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    };
    const input = `${base64url(header)}.${base64url(payload)}`;
    const signature = sign('sha256', Buffer.from(input), createPrivateKey({ key: key as import('node:crypto').JsonWebKey, format: 'jwk' }));
    return `${input}.${signature.toString('base64url')}`;
  }

  private async post(message: OutgoingMessage): Promise<DeliveryReceipt> {
    const response = await fetch(message.to, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: message.text }).toString(),
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (response.status !== 200 && response.status !== 204) throw new Error(`The app answered ${response.status} to the logout token (expected 200)`);
    return { providerMessageId: null };
  }
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
