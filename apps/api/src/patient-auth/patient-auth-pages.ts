import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { FormState, PageTemplates, PatientPageRenderer, viewsDirOf } from '../patient-pages/patient-page-renderer';
import { Practice } from '../practices/practice.entity';

export const SIGN_IN_SECTION = 'Patient portal sign-in';
const PAGES = ['login', 'signed-in'] as const;

/** Notices the sign-in page shows after a redirect, by key: the query string never carries text. */
export const SIGN_IN_NOTICES = {
  'password-changed': 'Your password has been changed. Sign in with your new password.',
  'signed-out': 'You have signed out.',
} as const;
export type SignInNotice = keyof typeof SIGN_IN_NOTICES;

@Injectable()
export class PatientAuthPages {
  private readonly pages: PageTemplates<(typeof PAGES)[number]>;

  constructor(private readonly renderer: PatientPageRenderer) {
    this.pages = renderer.compile(viewsDirOf(__dirname, 'patient-auth'), PAGES);
  }

  login(response: Response, status: number, form: FormState & { notice?: SignInNotice | null }): void {
    this.renderer.send(
      response,
      status,
      this.pages.login,
      { title: 'Sign in', practice: null, section: SIGN_IN_SECTION },
      {
        ...this.renderer.form(form),
        notice: form.notice ? SIGN_IN_NOTICES[form.notice] : null,
      },
    );
  }

  signedIn(response: Response, practice: Practice | null, username: string, csrf: string): void {
    this.renderer.send(response, 200, this.pages['signed-in'], { title: 'You are signed in', practice, section: SIGN_IN_SECTION }, { username, csrf });
  }

  formExpired(response: Response): void {
    this.renderer.formExpired(response, { practice: null, section: SIGN_IN_SECTION }, '/login');
  }
}
