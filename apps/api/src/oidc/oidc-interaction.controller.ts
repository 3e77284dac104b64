import { Body, Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { PatientSignInService, SIGN_IN_MESSAGES, temporaryLockMessage } from '../patient-auth/patient-sign-in.service';
import { PatientFormCsrf } from '../patient-pages/patient-form-csrf';
import { collect, formField } from '../patient-pages/patient-form';
import { PortalAppsRepository } from '../portal-apps/portal-apps.repository';
import { INTERACTION_PATH, OIDC_PATH, OidcProviderHost } from './oidc-provider.host';
import { OidcInteraction, loadOidcProvider } from './oidc-provider.types';
import { OidcAccounts } from './oidc-accounts';
import { OidcPages } from './oidc-pages';

const UID = /^[A-Za-z0-9_-]{10,64}$/;

/**
 * The provider's interaction pages. Sign-in uses the /login service, so failures count towards
 * the same lock and throttles; the app's practice bounds who can sign in through it. Portal apps
 * are the practice's own (first-party): consent is granted without asking.
 */
@ApiExcludeController()
@Public()
@Controller('oidc/interaction')
export class OidcInteractionController {
  constructor(
    private readonly host: OidcProviderHost,
    private readonly pages: OidcPages,
    private readonly csrf: PatientFormCsrf,
    private readonly signIns: PatientSignInService,
    private readonly apps: PortalAppsRepository,
    private readonly accounts: OidcAccounts,
  ) {}

  @Get(':uid')
  async show(@Param('uid') uid: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const interaction = await this.details(uid, request, response);
    if (!interaction) return;
    if (interaction.prompt.name === 'consent') return this.grantFirstParty(interaction, request, response);
    if (interaction.prompt.name !== 'login') return this.pages.message(response, 400, 'We could not sign you in', ['Go back to the portal and try again.']);
    const app = await this.apps.findByClientId(String(interaction.params.client_id ?? ''));
    this.pages.login(response, 200, {
      csrf: this.csrf.fieldFor(request, response),
      action: `${INTERACTION_PATH}/${interaction.uid}`,
      appName: app?.name ?? 'the patient portal',
      returnTo: stringParam(interaction.params.redirect_uri),
    });
  }

  @Post(':uid')
  async signIn(@Param('uid') uid: string, @Body() body: Record<string, unknown>, @Req() request: Request, @Res() response: Response): Promise<void> {
    const interaction = await this.details(uid, request, response);
    if (!interaction) return;
    const here = `${INTERACTION_PATH}/${interaction.uid}`;
    if (!this.csrf.accepts(request)) return this.pages.formExpired(response, here);
    if (interaction.prompt.name !== 'login') return response.redirect(303, here);
    const app = await this.apps.findByClientId(String(interaction.params.client_id ?? ''));
    const username = formField(body, 'username', 200);
    const password = formField(body, 'password', 1000);
    const show = (status: number, problem: { errors?: Record<string, string>; formError?: string }) =>
      this.pages.login(response, status, {
        csrf: this.csrf.fieldFor(request, response),
        values: { username },
        action: here,
        appName: app?.name ?? 'the patient portal',
        returnTo: stringParam(interaction.params.redirect_uri),
        ...problem,
      });

    const errors = collect({ username: username.trim() ? null : 'Enter your username.', password: password ? null : 'Enter your password.' });
    if (errors) return show(422, { errors });
    if (!app) return show(401, { formError: SIGN_IN_MESSAGES.invalid });
    const outcome = await this.signIns.signIn(username, password, { via: 'oidc', practiceId: app.practiceId });
    switch (outcome.kind) {
      case 'locked':
        return show(403, { formError: outcome.lockedUntil ? temporaryLockMessage(outcome.lockedUntil) : SIGN_IN_MESSAGES.locked });
      case 'throttled':
        response.setHeader('Retry-After', String(outcome.retryAfterSeconds));
        return show(429, { formError: outcome.message });
      case 'invalid':
        return show(401, { formError: SIGN_IN_MESSAGES.invalid });
      case 'signed_in':
        return this.host.provider.interactionFinished(
          request,
          response,
          { login: { accountId: await this.accounts.subjectOfAccount(outcome.account), amr: ['pwd'] } },
          { mergeWithLastSubmission: false },
        );
    }
  }

  /** The interaction this browser is in, or an "expired" page (with a fresh start when we still can) and null. */
  private async details(uid: string, request: Request, response: Response): Promise<OidcInteraction | null> {
    try {
      const interaction = await this.host.provider.interactionDetails(request, response);
      if (interaction.uid !== uid) throw new (loadOidcProvider().errors.SessionNotFound)('interaction mismatch');
      return interaction;
    } catch (error) {
      if (!(error instanceof loadOidcProvider().errors.SessionNotFound)) throw error;
      this.pages.expired(response, UID.test(uid) ? await this.restartHref(uid) : null);
      return null;
    }
  }

  /**
   * The same authorization request again, when the server still knows it (the browser lost its
   * cookie, or came back late): a new interaction with its own cookie.
   */
  private async restartHref(uid: string): Promise<string | null> {
    const interaction = await this.host.provider.Interaction.find(uid).catch(() => undefined);
    if (!interaction?.params?.client_id) return null;
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(interaction.params)) if (typeof value === 'string') query.set(key, value);
    return `${OIDC_PATH}/auth?${query.toString()}`;
  }

  private async grantFirstParty(interaction: OidcInteraction, request: Request, response: Response): Promise<void> {
    const { Grant } = this.host.provider;
    const accountId = interaction.session?.accountId;
    const clientId = String(interaction.params.client_id ?? '');
    if (!accountId) return this.pages.expired(response, null);
    const grant = (interaction.grantId ? await Grant.find(interaction.grantId) : undefined) ?? new Grant({ accountId, clientId });
    const details = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await this.host.provider.interactionFinished(request, response, { consent: interaction.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
  }
}

function stringParam(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
