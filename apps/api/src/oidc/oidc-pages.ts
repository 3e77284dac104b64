import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { FormState, PageTemplates, PatientPageRenderer, viewsDirOf } from '../patient-pages/patient-page-renderer';
import type { KoaContext } from './oidc-provider.host';

export const OIDC_SECTION = 'Patient portal sign-in';
const PAGES = ['login', 'expired', 'message', 'logout'] as const;

/** Why an authorization request went wrong, in words for a patient (the technical code stays in the log). */
const PROVIDER_ERRORS: Record<string, string> = {
  invalid_client: "The app that sent you here is not registered with your doctor's office.",
  invalid_redirect_uri: 'The app that sent you here asked to return to an address it has not registered.',
  invalid_request: 'The app that sent you here made a request we cannot accept.',
};

/**
 * The provider's pages (sign-in, expired sign-in, errors, sign-out) with the patient pages' look.
 * Sign-in and sign-out forms redirect the browser on to the app: the page's form-action
 * allows that one origin besides ours, since browsers apply form-action to redirects too.
 */
@Injectable()
export class OidcPages {
  private readonly pages: PageTemplates<(typeof PAGES)[number]>;

  constructor(private readonly renderer: PatientPageRenderer) {
    this.pages = renderer.compile(viewsDirOf(__dirname, 'oidc'), PAGES);
  }

  login(response: Response, status: number, form: FormState & { action: string; appName: string; returnTo: string | null }): void {
    allowFormRedirectTo(response, form.returnTo);
    this.renderer.send(
      response,
      status,
      this.pages.login,
      { title: 'Sign in', practice: null, section: OIDC_SECTION },
      {
        ...this.renderer.form(form),
        action: form.action,
        appName: form.appName,
      },
    );
  }

  expired(response: Response, restartHref: string | null): void {
    this.renderer.send(response, 400, this.pages.expired, { title: 'This sign-in page has expired', practice: null, section: OIDC_SECTION }, { restartHref });
  }

  message(response: Response, status: number, heading: string, lines: string[]): void {
    this.renderer.send(response, status, this.pages.message, { title: heading, practice: null, section: OIDC_SECTION }, { heading, lines });
  }

  formExpired(response: Response, restartHref: string): void {
    this.renderer.formExpired(response, { practice: null, section: OIDC_SECTION }, restartHref);
  }

  renderProviderError(ctx: KoaContext, out: { error: string; error_description?: string }): void {
    ctx.respond = false;
    const response = ctx.res as Response;
    this.message(response, ctx.status >= 400 ? ctx.status : 400, 'We could not sign you in', [
      PROVIDER_ERRORS[out.error] ?? 'Something went wrong with this sign-in request.',
      "Go back to the portal and try again. If it keeps happening, contact your doctor's office.",
    ]);
  }

  renderLogoutConfirm(ctx: KoaContext, form: string): void {
    ctx.respond = false;
    const response = ctx.res as Response;
    const target = ctx.oidc?.params?.post_logout_redirect_uri;
    allowFormRedirectTo(response, typeof target === 'string' ? target : null);
    this.renderer.send(
      response,
      200,
      this.pages.logout,
      { title: 'Sign out', practice: null, section: OIDC_SECTION },
      {
        form,
        appName: ctx.oidc?.client?.clientName ?? 'the patient portal',
      },
    );
  }

  renderSignedOut(ctx: KoaContext): void {
    ctx.respond = false;
    this.message(ctx.res as Response, 200, 'You have signed out', ['You have signed out of the patient portal. You can close this window.']);
  }
}

/** Lets a form on this page end at `target`'s origin after our redirects (CSP form-action). */
function allowFormRedirectTo(response: Response, target: string | null): void {
  if (!target) return;
  let origin: string;
  try {
    origin = new URL(target).origin;
  } catch {
    return;
  }
  if (origin === 'null') return;
  const policy = response.getHeader('Content-Security-Policy');
  if (typeof policy !== 'string') return;
  response.setHeader('Content-Security-Policy', policy.replace("form-action 'self'", `form-action 'self' ${origin}`));
}
