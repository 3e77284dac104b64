import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import * as querystring from 'node:querystring';
import { sha256Hex } from '../common/secrets';
import { OidcProviderHost } from './oidc-provider.host';

/** Provider endpoints where an app authenticates with its secret. */
const CLIENT_AUTH_PATHS = new Set(['/token', '/token/revocation', '/token/introspection']);
const BODY_LIMIT = 56 * 1024;

/**
 * Serves the provider under /oidc (Express strips the prefix; the provider reads it back from
 * originalUrl). It runs before the app's body parsers so the provider reads its own bodies,
 * and it leaves /oidc/interaction to the Nest controller. Portal app secrets are stored as
 * SHA-256 only, so the secret an app presents (HTTP Basic or client_secret_post) is hashed here
 * before the provider compares it with the stored hash; a posted secret becomes HTTP Basic,
 * the one method apps are registered with.
 */
@Injectable()
export class OidcHttp {
  private readonly callback: (req: Request, res: Response) => void;

  constructor(host: OidcProviderHost) {
    this.callback = host.provider.callback() as unknown as (req: Request, res: Response) => void;
  }

  readonly handler = (req: Request, res: Response, next: NextFunction): void => {
    if (req.path === '/interaction' || req.path.startsWith('/interaction/')) return next();
    if (req.method === 'POST' && CLIENT_AUTH_PATHS.has(req.path)) {
      this.hashPresentedSecret(req)
        .then(() => this.callback(req, res))
        .catch(() => {
          if (!res.headersSent) res.status(400).json({ error: 'invalid_request', error_description: 'the request body could not be read' });
        });
      return;
    }
    this.callback(req, res);
  };

  private async hashPresentedSecret(req: Request): Promise<void> {
    const authorization = req.headers.authorization;
    if (typeof authorization === 'string' && /^basic /i.test(authorization)) {
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        const secret = formDecode(decoded.slice(colon + 1));
        req.headers.authorization = `Basic ${Buffer.from(`${decoded.slice(0, colon)}:${sha256Hex(secret)}`).toString('base64')}`;
      }
    }
    if (!req.is('application/x-www-form-urlencoded')) return;
    const body = querystring.parse(await readBody(req)) as Record<string, string | string[] | undefined>;
    const secret = body.client_secret;
    const clientId = body.client_id;
    if (typeof secret === 'string' && typeof clientId === 'string' && req.headers.authorization === undefined) {
      delete body.client_secret;
      delete body.client_id;
      req.headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${sha256Hex(secret)}`).toString('base64')}`;
    } else if (typeof secret === 'string') {
      body.client_secret = sha256Hex(secret);
    }
    (req as Request & { body: unknown }).body = body;
  }
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

async function readBody(req: Request): Promise<string> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req) {
    received += (chunk as Buffer).length;
    if (received > BODY_LIMIT) throw new Error('request entity too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
