import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The slice of oidc-provider's API this app uses. The package is ESM-only without type
 * declarations; Node 20.19+ loads it through `require` of ESM (see loadOidcProvider).
 */
export interface OidcInteraction {
  uid: string;
  prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
  params: Record<string, unknown> & { client_id?: string; redirect_uri?: string; scope?: string };
  session?: { accountId?: string; uid?: string };
  grantId?: string;
  lastSubmission?: Record<string, unknown>;
}

export interface OidcGrant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}

export interface OidcProviderInstance {
  issuer: string;
  proxy: boolean;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<OidcInteraction>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: { new (init: { accountId: string; clientId: string }): OidcGrant; find(id: string): Promise<OidcGrant | undefined> };
  Interaction: { find(id: string): Promise<OidcInteraction | undefined> };
  Client: { prototype: object };
  on(event: string, listener: (...args: unknown[]) => void): void;
}

export interface OidcProviderModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => OidcProviderInstance;
  errors: { SessionNotFound: new (...args: unknown[]) => Error };
}

let loaded: OidcProviderModule | null = null;

/** oidc-provider 9 prints "Unsupported runtime" on Node 20 at import; it runs there (see README). */
export function loadOidcProvider(): OidcProviderModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('oidc-provider') as OidcProviderModule;
  return loaded;
}
