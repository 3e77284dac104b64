import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppModule } from './app.module';
import { GlobalExceptionFilter } from './common/global-exception.filter';
import { onlyStringCookies } from './common/request-cookies';
import { requestBodyParsers } from './common/request-body';
import { RequestContext } from './common/request-context';
import { buildValidationPipe } from './common/validation';
import { AppConfig } from './config/app-config';
import { OidcHttp } from './oidc/oidc-http';
import { OIDC_PATH } from './oidc/oidc-provider.host';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;
const PERMISSIONS_POLICY =
  'accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()';

/** Builds the configured application without listening: used by main.ts, the worker and tests. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.set('trust proxy', /^\d+$/.test(config.trustProxy) ? Number(config.trustProxy) : config.trustProxy);
  app.disable('x-powered-by');
  // API answers carry patient data and are never cached (below), so an ETag would only cost a hash.
  app.set('etag', false);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.header('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    (req as unknown as { id: string }).id = requestId;
    res.setHeader('X-Request-Id', requestId);
    // Patient data must not linger in a shared front-desk browser's cache.
    if (req.path.startsWith('/api/')) res.setHeader('Cache-Control', 'no-store');
    // No page of ours uses these browser features; an injected script or frame cannot either.
    res.setHeader('Permissions-Policy', PERMISSIONS_POLICY);
    RequestContext.run({ requestId, ip: req.ip ?? null, userAgent: req.header('user-agent') ?? null }, next);
  });
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'default-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'style-src': ["'self'", "'unsafe-inline'"],
          'script-src': ["'self'"],
          'frame-src': ["'self'"],
          'form-action': ["'self'"],
          'upgrade-insecure-requests': null,
        },
      },
      strictTransportSecurity: config.publicUrl.startsWith('https:'),
    }),
  );
  app.use(cookieParser(), onlyStringCookies);
  // Before the body parsers: the OpenID Provider reads its own request bodies.
  app.use(OIDC_PATH, app.get(OidcHttp).handler);
  app.use(requestBodyParsers());
  app.use(new GlobalExceptionFilter().middleware);
  app.useGlobalPipes(buildValidationPipe());
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('ResetDesk API')
      .setDescription('Staff console API: patients, portal resets, invitations, audit log, outbox. Errors: {statusCode, error, message, errors?}.')
      .setVersion('1.0')
      .addCookieAuth('rd_session')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });

  serveConsole(app, config);
  return app;
}

/** The built console is a single-page app: its files, then index.html for anything else it routes. */
function serveConsole(app: INestApplication, config: AppConfig): void {
  const dir = config.consoleDir;
  if (!dir || !existsSync(join(dir, 'index.html'))) return;
  const server = app.getHttpAdapter().getInstance() as express.Express;
  const assets = express.static(dir, { index: false, maxAge: '1h' });
  // API calls never name a console file: skip the filesystem lookup static files cost on every request.
  server.use((req: Request, res: Response, next: NextFunction) => (req.path.startsWith('/api/') ? next() : assets(req, res, next)));
  server.get(/^\/(?!api\/|api$|register|login|forgot-|reset-password|oidc\/|demo-portal)([^.]*)$/, (_req: Request, res: Response) => {
    // Relative to `root`: `send` refuses an absolute path with any dot folder in it (an install
    // under ~/.local/share/... would answer 500), but only checks the part below `root`.
    res.sendFile('index.html', { root: dir, headers: { 'Cache-Control': 'no-cache' } });
  });
}
