import { Injectable } from '@nestjs/common';
import { AppSecrets } from '../common/app-secrets';
import { VerifiedLinkProof } from '../patient-pages/verified-link-proof';

export const PASSWORD_RESET_PROOF_COOKIE = 'rd_pwreset';

/** This browser answered the security question or entered a code for one password-reset link. */
@Injectable()
export class PasswordResetProof extends VerifiedLinkProof {
  constructor(secrets: AppSecrets) {
    super(secrets, { purpose: 'password-reset-proof', cookie: PASSWORD_RESET_PROOF_COOKIE, path: '/reset-password' });
  }
}
