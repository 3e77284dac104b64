import type { MfaRequiredView, StaffMfaStatusView, StaffUserView, TotpEnrolmentView } from '@resetdesk/contracts';

import { API_URL, errorFromResponse, toApiError, withCsrf } from '../providers/http';

/** JSON POST/GET for the sign-in and second-factor routes, with the CSRF header and API errors. */
async function call<T>(path: string, method: 'GET' | 'POST' | 'DELETE' = 'POST', body?: unknown): Promise<T> {
  const headers = withCsrf(new Headers({ Accept: 'application/json' }), method);
  if (body !== undefined) headers.set('Content-Type', 'application/json');
  let response: Response;
  try {
    response = await fetch(`${API_URL}${path}`, { method, headers, credentials: 'include', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw toApiError(error);
  }
  if (!response.ok) throw await errorFromResponse(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const mfaApi = {
  login: (email: string, password: string) => call<StaffUserView | MfaRequiredView>('/auth/login', 'POST', { email, password }),
  totp: (code: string) => call<StaffUserView>('/auth/mfa/totp', 'POST', { code }),
  recoveryCode: (code: string) => call<StaffUserView>('/auth/mfa/recovery-code', 'POST', { code }),
  enrolTotp: () => call<TotpEnrolmentView>('/auth/mfa/totp/enroll'),
  confirmTotp: (code: string) => call<{ recoveryCodes: string[]; user?: StaffUserView }>('/auth/mfa/totp/confirm', 'POST', { code }),
  status: () => call<StaffMfaStatusView>('/auth/mfa', 'GET'),
  newRecoveryCodes: () => call<{ recoveryCodes: string[] }>('/auth/mfa/recovery-codes'),
  cancel: () => call<void>('/auth/mfa/cancel'),
  /** The second step with a passkey: the browser asks the authenticator, the API checks its answer. */
  async passkey(): Promise<StaffUserView> {
    const { startAuthentication } = await import('@simplewebauthn/browser');
    const optionsJSON = await call<Parameters<typeof startAuthentication>[0]['optionsJSON']>('/auth/mfa/webauthn/options');
    const response = await startAuthentication({ optionsJSON });
    return call<StaffUserView>('/auth/mfa/webauthn/verify', 'POST', { response });
  },
  async addPasskey(name: string): Promise<{ id: string; recoveryCodes: string[] | null }> {
    const { startRegistration } = await import('@simplewebauthn/browser');
    const optionsJSON = await call<Parameters<typeof startRegistration>[0]['optionsJSON']>('/auth/passkeys/registration/options');
    const response = await startRegistration({ optionsJSON });
    return call('/auth/passkeys/registration/verify', 'POST', { response, name });
  },
  removePasskey: (id: string) => call<void>(`/auth/passkeys/${encodeURIComponent(id)}`, 'DELETE'),
};

export const isMfaRequired = (answer: StaffUserView | MfaRequiredView): answer is MfaRequiredView => (answer as MfaRequiredView).mfaRequired === true;
