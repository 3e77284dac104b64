import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

/** RFC 6238 with the parameters every authenticator app understands: SHA-1, 6 digits, 30 s. */
export const TOTP_PERIOD_SECONDS = 30;

export function newTotpSecret(): string {
  // 160 bits, base32: what RFC 4226 recommends and what apps expect.
  return generateSecret({ length: 20 });
}

export function totpUri(secret: string, label: string, issuer: string): string {
  return generateURI({ issuer, label, secret });
}

export async function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/**
 * The time step of a valid code, or null. One step either side is accepted (clock drift), and
 * only steps after `afterStep`: a code, once used, is refused even inside its window.
 */
export async function acceptedTotpStep(secret: string, code: string, afterStep: number | null, epochSeconds?: number): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const result = await verify({
    secret,
    token: code,
    epochTolerance: TOTP_PERIOD_SECONDS,
    ...(afterStep !== null ? { afterTimeStep: afterStep } : {}),
    ...(epochSeconds !== undefined ? { epoch: epochSeconds } : {}),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}
