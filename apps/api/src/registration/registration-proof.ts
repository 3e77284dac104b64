import { Injectable } from '@nestjs/common';
import { AppSecrets } from '../common/app-secrets';
import { VerifiedLinkProof } from '../patient-pages/verified-link-proof';

export const REGISTRATION_PROOF_COOKIE = 'rd_reg';
export { PROOF_TTL_MS } from '../patient-pages/verified-link-proof';

/** This browser passed step 1 ("Verify it's you") of one registration invitation. */
@Injectable()
export class RegistrationProof extends VerifiedLinkProof {
  constructor(secrets: AppSecrets) {
    super(secrets, { purpose: 'registration-proof', cookie: REGISTRATION_PROOF_COOKIE, path: '/register' });
  }
}
