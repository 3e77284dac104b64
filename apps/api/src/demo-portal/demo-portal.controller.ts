import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { CookieOptions, Request, Response } from 'express';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import * as oidc from 'openid-client';
import { Public } from '../auth/auth.decorators';
import { DomainException } from '../common/domain.exception';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DEMO_PORTAL_CLIENT_ID, DEMO_PORTAL_PATH } from './demo-portal-app';

const COOKIE = 'rd_demo_portal';
const SCOPE = 'openid profile email offline_access';
const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const MAX_SESSIONS = 1000;

interface DemoSession {
  pending?: { verifier: string; state: string; nonce: string };
  signedIn?: { idToken: string; claims: Record<string, unknown>; userinfo: Record<string, unknown>; sid: string | null };
}

/**
 * A small relying party for trying the portal sign-in end to end in development: "Sign in with
 * your patient portal account" runs the code flow with PKCE through /oidc (openid-client), then
 * shows the ID token's claims and the userinfo answer. Sessions live in memory; a back-channel
 * logout token from ResetDesk (after a reset, say) signs the browser out here too.
 */
@ApiExcludeController()
@Public()
@Controller('demo-portal')
export class DemoPortalController {
  private readonly sessions = new Map<string, DemoSession>();
  private configuration: Promise<oidc.Configuration> | null = null;
  private readonly base: string;
  private readonly issuer: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.base = `${config.publicUrl}${DEMO_PORTAL_PATH}`;
    this.issuer = `${config.publicUrl}/oidc`;
  }

  @Get()
  home(@Req() request: Request, @Res() response: Response): void {
    const session = this.session(request);
    const signedIn = session?.signedIn;
    const body = signedIn
      ? `<p class="notice" role="status">You are signed in to the portal as <strong>${esc(String(signedIn.claims.preferred_username ?? ''))}</strong>.</p>
         <h2>ID token claims</h2>${table(signedIn.claims)}
         <h2>Userinfo</h2>${table(signedIn.userinfo)}
         <p><a class="button" href="${DEMO_PORTAL_PATH}/logout">Sign out</a></p>`
      : `<p>This stands in for the clinic's patient portal. It signs patients in through ResetDesk.</p>
         <p><a class="button" href="${DEMO_PORTAL_PATH}/login">Sign in with your patient portal account</a></p>`;
    page(response, signedIn ? 'Signed in to the portal' : 'Demo patient portal', body);
  }

  @Get('login')
  async login(@Req() request: Request, @Res() response: Response): Promise<void> {
    const config = await this.discover();
    const verifier = oidc.randomPKCECodeVerifier();
    const pending = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce() };
    const id = this.startSession(response, { pending });
    void id;
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${this.base}/callback`,
      scope: SCOPE,
      prompt: 'consent',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    response.redirect(303, url.href);
  }

  @Get('callback')
  async callback(@Req() request: Request, @Res() response: Response): Promise<void> {
    const session = this.session(request);
    if (!session?.pending) return response.redirect(303, `${DEMO_PORTAL_PATH}/`);
    const config = await this.discover();
    const { verifier, state, nonce } = session.pending;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, new URL(request.originalUrl, this.config.publicUrl), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
      });
      const claims = { ...tokens.claims()! } as Record<string, unknown>;
      const userinfo = (await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub))) as Record<string, unknown>;
      session.pending = undefined;
      session.signedIn = { idToken: tokens.id_token!, claims, userinfo, sid: typeof claims.sid === 'string' ? claims.sid : null };
      response.redirect(303, `${DEMO_PORTAL_PATH}/`);
    } catch (error) {
      session.pending = undefined;
      const why = (error as { error?: string; message?: string }).error ?? (error as Error).message;
      page(response, 'Sign-in did not finish', `<p>${esc(String(why))}</p><p><a class="button" href="${DEMO_PORTAL_PATH}/">Back to the portal</a></p>`, 400);
    }
  }

  @Get('logout')
  async logout(@Req() request: Request, @Res() response: Response): Promise<void> {
    const id = request.cookies?.[COOKIE];
    const session = typeof id === 'string' ? this.sessions.get(id) : undefined;
    if (typeof id === 'string') this.sessions.delete(id);
    response.clearCookie(COOKIE, cookieOptions(request));
    if (!session?.signedIn) return response.redirect(303, `${DEMO_PORTAL_PATH}/`);
    const config = await this.discover();
    const url = oidc.buildEndSessionUrl(config, { id_token_hint: session.signedIn.idToken, post_logout_redirect_uri: `${this.base}/` });
    response.redirect(303, url.href);
  }

  /** OpenID Back-Channel Logout: a verified logout token ends this portal's sessions with that `sid`. */
  @Post('backchannel-logout')
  @HttpCode(200)
  async backchannelLogout(@Body() body: Record<string, unknown>): Promise<{ ended: number }> {
    const token = typeof body?.logout_token === 'string' ? body.logout_token : '';
    const claims = await this.verifyLogoutToken(token);
    let ended = 0;
    for (const [id, session] of this.sessions) {
      if (session.signedIn && (session.signedIn.sid === claims.sid || (!claims.sid && session.signedIn.claims.sub === claims.sub))) {
        this.sessions.delete(id);
        ended++;
      }
    }
    return { ended };
  }

  private async verifyLogoutToken(token: string): Promise<{ sub?: string; sid?: string }> {
    const bad = () => new DomainException('bad_request', 'Not a valid logout token.');
    const [h, p, s, extra] = token.split('.');
    if (!h || !p || !s || extra !== undefined) throw bad();
    let header: { alg?: string; kid?: string; typ?: string };
    let payload: { iss?: string; aud?: string | string[]; exp?: number; sub?: string; sid?: string; events?: Record<string, unknown>; nonce?: unknown };
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      throw bad();
    }
    const config = await this.discover();
    const jwksUri = config.serverMetadata().jwks_uri!;
    const jwks = (await (await fetch(jwksUri)).json()) as { keys: (Record<string, unknown> & { kid?: string })[] };
    const jwk = jwks.keys.find((key) => key.kid === header.kid);
    const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    const valid =
      header.alg === 'RS256' &&
      header.typ === 'logout+jwt' &&
      !!jwk &&
      verify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
        Buffer.from(s, 'base64url'),
      ) &&
      payload.iss === this.issuer &&
      audience.includes(DEMO_PORTAL_CLIENT_ID) &&
      typeof payload.exp === 'number' &&
      payload.exp * 1000 > Date.now() &&
      !!payload.events?.[LOGOUT_EVENT] &&
      payload.nonce === undefined &&
      (!!payload.sub || !!payload.sid);
    if (!valid) throw bad();
    return { sub: payload.sub, sid: payload.sid };
  }

  private discover(): Promise<oidc.Configuration> {
    this.configuration ??= oidc
      .discovery(
        new URL(this.issuer),
        DEMO_PORTAL_CLIENT_ID,
        undefined,
        oidc.None(),
        this.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        this.configuration = null;
        throw error;
      });
    return this.configuration;
  }

  private session(request: Request): DemoSession | undefined {
    const id = request.cookies?.[COOKIE];
    return typeof id === 'string' ? this.sessions.get(id) : undefined;
  }

  private startSession(response: Response, session: DemoSession): string {
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, session);
    response.cookie(COOKIE, id, cookieOptions(response.req));
    return id;
  }
}

function cookieOptions(request: Request): CookieOptions {
  // Lax: the browser comes back to /callback from ResetDesk's sign-in page by a top-level redirect.
  return { httpOnly: true, sameSite: 'lax', secure: request.secure, path: DEMO_PORTAL_PATH };
}

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function table(values: Record<string, unknown>): string {
  const rows = Object.entries(values)
    .map(([key, value]) => `<tr><th scope="row">${esc(key)}</th><td><code>${esc(typeof value === 'string' ? value : JSON.stringify(value))}</code></td></tr>`)
    .join('');
  return `<table class="claims"><tbody>${rows}</tbody></table>`;
}

function page(response: Response, title: string, body: string, status = 200): void {
  response
    .status(status)
    .type('html')
    .setHeader('Cache-Control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${esc(title)} – Demo patient portal</title><link rel="stylesheet" href="/assets/patient.css">` +
        `<style>.claims{border-collapse:collapse;margin:0 0 1.5rem}.claims th,.claims td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}.claims code{word-break:break-all}</style></head>` +
        `<body><header class="site-header"><p class="site-name">Demo patient portal</p></header><main id="main"><h1>${esc(title)}</h1>${body}</main></body></html>`,
    );
}
