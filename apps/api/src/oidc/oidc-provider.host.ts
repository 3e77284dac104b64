import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AppSecrets } from '../common/app-secrets';
import { PortalApp } from '../portal-apps/portal-app.entity';
import { PortalAppsRepository } from '../portal-apps/portal-apps.repository';
import { OidcAccounts } from './oidc-accounts';
import { PrivateJwk, loadSigningKeys } from './oidc-keys';
import { OidcPages } from './oidc-pages';
import { OidcProviderInstance, loadOidcProvider } from './oidc-provider.types';
import { OidcPayloadData, OidcStore } from './oidc-store';

export const OIDC_PATH = '/oidc';
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
export const INTERACTION_PATH = `${OIDC_PATH}/interaction`;

/** What the provider learns of a portal app. Secrets are compared as SHA-256 (see OidcHttp). */
export function clientMetadata(app: PortalApp): Record<string, unknown> {
  return {
    client_id: app.clientId,
    client_name: app.name,
    ...(app.confidential && app.clientSecretHash
      ? { client_secret: app.clientSecretHash, token_endpoint_auth_method: 'client_secret_basic' }
      : { token_endpoint_auth_method: 'none' }),
    redirect_uris: JSON.parse(app.redirectUris) as string[],
    post_logout_redirect_uris: JSON.parse(app.postLogoutRedirectUris) as string[],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
  };
}

/**
 * ResetDesk as the patient portal's OpenID Provider (oidc-provider), issuer PUBLIC_URL/oidc.
 * Code flow only, PKCE S256 for every app, refresh tokens with offline_access rotated on use,
 * state in OidcStore, clients from portal_apps, accounts from OidcAccounts.
 */
@Injectable()
export class OidcProviderHost {
  readonly provider: OidcProviderInstance;
  readonly issuer: string;
  readonly signingKeys: PrivateJwk[];
  private readonly logger = new Logger('OidcProvider');

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    store: OidcStore,
    apps: PortalAppsRepository,
    accounts: OidcAccounts,
    pages: OidcPages,
    secrets: AppSecrets,
  ) {
    this.issuer = `${config.publicUrl}${OIDC_PATH}`;
    this.signingKeys = loadSigningKeys(config.oidc.jwksFile, config.oidc.generate);
    const { default: Provider } = loadOidcProvider();

    class Adapter {
      constructor(private readonly model: string) {}
      async upsert(id: string, payload: OidcPayloadData, expiresIn?: number): Promise<void> {
        await store.upsert(this.model, id, payload, expiresIn);
      }
      async find(id: string): Promise<Record<string, unknown> | undefined> {
        if (this.model === 'Client') {
          const app = await apps.findByClientId(id);
          return app ? clientMetadata(app) : undefined;
        }
        return store.find(this.model, id);
      }
      findByUid(uid: string): Promise<OidcPayloadData | undefined> {
        return store.findByUid(uid);
      }
      async findByUserCode(): Promise<undefined> {
        return undefined;
      }
      consume(id: string): Promise<void> {
        return store.consume(this.model, id);
      }
      destroy(id: string): Promise<void> {
        return store.destroy(this.model, id);
      }
      revokeByGrantId(grantId: string): Promise<void> {
        return store.revokeByGrantId(this.model, grantId);
      }
    }

    const cookieKey = secrets.key('oidc-cookies').toString('base64url');
    this.provider = new Provider(this.issuer, {
      adapter: Adapter,
      findAccount: (_ctx: unknown, id: string) => accounts.find(id),
      jwks: { keys: this.signingKeys },
      cookies: {
        keys: [cookieKey],
        long: { signed: true, httpOnly: true, sameSite: 'lax' },
        short: { signed: true, httpOnly: true, sameSite: 'lax' },
      },
      scopes: OIDC_SCOPES,
      claims: {
        openid: ['sub'],
        profile: ['name', 'given_name', 'family_name', 'birthdate', 'preferred_username', 'fhirUser'],
        email: ['email', 'email_verified'],
      },
      // The contract puts the claims in the ID token as well as at userinfo.
      conformIdTokenClaims: false,
      responseTypes: ['code'],
      pkce: { required: () => true },
      clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
      rotateRefreshToken: true,
      features: {
        devInteractions: { enabled: false },
        revocation: { enabled: true },
        userinfo: { enabled: true },
        backchannelLogout: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: (ctx: KoaContext, form: string) => pages.renderLogoutConfirm(ctx, form),
          postLogoutSuccessSource: (ctx: KoaContext) => pages.renderSignedOut(ctx),
        },
      },
      ttl: {
        AccessToken: 10 * 60,
        AuthorizationCode: 60,
        IdToken: 60 * 60,
        Interaction: 30 * 60,
        Grant: 14 * 24 * 3600,
        Session: 12 * 3600,
        RefreshToken: 14 * 24 * 3600,
      },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${INTERACTION_PATH}/${interaction.uid}` },
      renderError: (ctx: KoaContext, out: { error: string; error_description?: string }) => pages.renderProviderError(ctx, out),
    });
    // Behind the clinic's proxy the provider must see https; Express decides whom to trust (TRUST_PROXY).
    this.provider.proxy = true;
    // Every ID token names its session (`sid`), so back-channel logout tokens can say which one ended.
    Object.defineProperty(this.provider.Client.prototype, 'includeSid', { value: () => true, configurable: true });
    this.provider.on('server_error', (_ctx: unknown, error: unknown) =>
      this.logger.error(`OpenID provider error: ${String((error as Error)?.stack ?? error)}`),
    );
  }
}

/** The part of Koa's context the page callbacks touch. */
export interface KoaContext {
  res: import('node:http').ServerResponse;
  respond: boolean;
  status: number;
  type: string;
  body: unknown;
  oidc?: { params?: Record<string, unknown>; client?: { clientId: string; clientName?: string } };
}
