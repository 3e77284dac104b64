import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { ConfigError, loadConfig } from './config/app-config';
import { OutboxDispatcher } from './outbox/outbox-dispatcher';

const SHUTDOWN_GRACE_MS = 30_000;

/**
 * `npm run worker`: the outbox dispatcher on its own, without HTTP, for setups that run the API
 * with RUN_DISPATCHER=false or want delivery in a separate process. Several workers (and APIs)
 * may run at once against MySQL: claims use FOR UPDATE SKIP LOCKED. On SQLite run only one.
 * Migrations are the API's job (it runs them on start).
 */
async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`ResetDesk worker cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const app = await NestFactory.createApplicationContext(AppModule.forRoot({ ...config, runDispatcher: true }), { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  if (!app.get(OutboxDispatcher).running) throw new Error('The outbox dispatcher did not start');
  // The dispatcher's timers deliberately do not hold a process open (the API must be able to exit); here, delivering is the whole job.
  const keepAlive = setInterval(() => undefined, 60 * 60_000);
  logger.log(
    `Outbox worker running: email via ${config.mail.smtpUrl ? 'SMTP ' + new URL(config.mail.smtpUrl).host : 'the dev mailbox'}, text and voice via ${config.sms.webhookUrl ? 'SMS_WEBHOOK_URL' : 'the dev mailbox'}`,
    'Worker',
  );

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    clearInterval(keepAlive);
    logger.log(`${signal} received: finishing deliveries in flight, then exiting`, 'Worker');
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error) => {
        console.error('Worker shutdown failed', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

void bootstrap();
