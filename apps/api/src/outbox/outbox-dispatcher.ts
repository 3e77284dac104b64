import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { SYSTEM_ACTOR } from '../audit/audit-events';
import { AuditLogService } from '../audit/audit-log.service';
import { maskEmail, maskPhone } from '../common/masking';
import { RequestContext } from '../common/request-context';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { AppSecrets } from '../common/app-secrets';
import { PermanentDeliveryError, describeDeliveryError } from '../mail/delivery-error';
import { MessageSender } from '../mail/message-sender';
import { DeliveryReceipt } from '../mail/outgoing-message';
import { MessageCancelled } from './message-definition';
import { MessageRenderer, RenderedMessage } from './message-renderer';
import { OutboxMessage } from './outbox-message.entity';
import { OutboxMessagesRepository } from './outbox-messages.repository';
import { OutboxService } from './outbox.service';
import { retryDelayMs } from './retry-backoff';

/** Messages claimed per round; each round's deliveries run side by side. */
export const DISPATCH_BATCH_SIZE = 10;
/**
 * How long a claim holds a message without news from its sender; one not renewed by then is
 * presumed dead and taken over. Short, so a crashed sender's messages go out again soon.
 */
export const CLAIM_MS = 30_000;
/** A live sender renews its claim this often while it delivers, so a slow delivery keeps it. */
export const HEARTBEAT_MS = 10_000;
/** Upper bound for one delivery. */
export const SEND_TIMEOUT_MS = 90_000;
export const POLL_MS = 1_000;
const MAX_IDLE_AFTER_ERRORS_MS = 30_000;

const ABANDONED = 'The previous delivery attempt did not finish (its sender stopped); trying again';

interface Claim {
  message: OutboxMessage;
  /** Our claim's expiry, also its fingerprint: outcomes are written only while it still matches. Moved on by each heartbeat. */
  claimedUntil: Date;
}

/**
 * Delivers the outbox. Each round claims due messages in a short transaction (FOR UPDATE SKIP
 * LOCKED on MySQL, so dispatchers in several processes take different rows), marks them
 * `sending` for CLAIM_MS and commits; only then sends, outside any transaction, so a slow mail
 * server holds no locks; and finally records each outcome in its own short transaction, with
 * its audit event. Runs inside the API when RUN_DISPATCHER is on (the default), and in
 * `npm run worker`.
 */
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxDispatcher');
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wakeRequested = false;
  private wake: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** CLAIM_MS and HEARTBEAT_MS; a test may shorten them to watch a claim being renewed. */
  claimMs = CLAIM_MS;
  heartbeatMs = HEARTBEAT_MS;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLogService,
    private readonly outbox: OutboxService,
    private readonly renderer: MessageRenderer,
    private readonly sender: MessageSender,
    private readonly secrets: AppSecrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.runDispatcher) this.start();
  }

  /** Stop while the database is still open, so deliveries in flight can record their outcome. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  get running(): boolean {
    return this.loop !== null;
  }

  /**
   * Polls every POLL_MS, and at once when a writer calls `outbox.notifyCommitted()`. Its timers
   * never keep the process alive: the API exits when asked, and the worker holds itself open.
   */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.unsubscribe = this.outbox.onCommitted(() => this.requestWake());
    if (this.config.env === 'production' && (!this.config.mail.smtpUrl || !this.config.sms.webhookUrl)) {
      this.logger.warn(
        `${!this.config.mail.smtpUrl ? 'SMTP_URL' : 'SMS_WEBHOOK_URL'} is not set: those messages will wait in the outbox (the dev mailbox is refused in production)`,
      );
    }
    this.loop = this.poll();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.wake?.();
    const loop = this.loop;
    if (loop) await loop;
    this.loop = null;
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * One round: claim due messages, deliver them, record the outcomes. Answers how many messages
   * it processed (delivered, failed, or given up on), 0 when nothing was due.
   */
  runOnce(): Promise<number> {
    // Outside any HTTP request: audit events get no IP or user agent even when a request's wake-up started the round.
    const work = RequestContext.run({ requestId: `outbox-${randomUUID()}`, ip: null, userAgent: null }, () => this.dispatchRound());
    this.inFlight.add(work);
    work.then(
      () => this.inFlight.delete(work),
      () => this.inFlight.delete(work),
    );
    return work;
  }

  private async poll(): Promise<void> {
    let consecutiveErrors = 0;
    while (!this.stopping) {
      this.wakeRequested = false;
      let processed = 0;
      try {
        processed = await this.runOnce();
        if (consecutiveErrors > 0) this.logger.log('The outbox is reachable again');
        consecutiveErrors = 0;
      } catch (error) {
        consecutiveErrors++;
        if (consecutiveErrors === 1 || consecutiveErrors % 50 === 0) {
          this.logger.warn(`Could not claim outbox messages (${describeDeliveryError(error)}); will keep trying`);
        }
      }
      if (this.stopping) break;
      if (processed >= DISPATCH_BATCH_SIZE) continue;
      const idle = consecutiveErrors ? Math.min(MAX_IDLE_AFTER_ERRORS_MS, POLL_MS * 2 ** consecutiveErrors) : POLL_MS;
      await this.sleep(idle);
    }
  }

  private requestWake(): void {
    this.wakeRequested = true;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wake = done;
    });
  }

  private async dispatchRound(): Promise<number> {
    const { claims, gaveUp } = await this.claimDue();
    await Promise.all(claims.map((claim) => this.deliver(claim)));
    return claims.length + gaveUp;
  }

  private claimDue(): Promise<{ claims: Claim[]; gaveUp: number }> {
    const now = new Date();
    const claimedUntil = new Date(now.getTime() + this.claimMs);
    return this.uow.run(async (manager) => {
      const messages = OutboxMessagesRepository.on(manager);
      const rows = await messages.due(this.uow, now, DISPATCH_BATCH_SIZE);

      const claims: Claim[] = [];
      let gaveUp = 0;
      for (const row of rows) {
        if (row.status === 'sending') {
          // Its sender stopped mid-delivery. That counts as a failed attempt, so a message that
          // crashes every sender ends up dead instead of going round for ever.
          row.attempts += 1;
          row.lastError = ABANDONED;
          if (row.attempts >= row.maxAttempts) {
            await this.markAbandonedDead(manager, row, now);
            gaveUp++;
            continue;
          }
          await messages.update(row.id, { attempts: row.attempts, lastError: ABANDONED });
        }
        claims.push({ message: row, claimedUntil });
      }
      await messages.markSending(
        claims.map((c) => c.message.id),
        claimedUntil,
        now,
      );
      return { claims, gaveUp };
    });
  }

  private async deliver(claim: Claim): Promise<void> {
    const { message } = claim;
    let secret: string | null = null;
    let rendered: RenderedMessage;
    let receipt: DeliveryReceipt;
    const stopHeartbeat = this.keepClaimed(claim);
    try {
      secret = message.sealedSecret ? this.unseal(message.sealedSecret) : null;
      rendered = await this.renderer.renderForDelivery(message, secret);
      receipt = await withTimeout(
        this.sender.send({
          outboxMessageId: message.id,
          practiceId: message.practiceId,
          channel: message.channel,
          to: message.toAddress,
          subject: rendered.subject,
          text: rendered.text,
          html: rendered.html,
        }),
        SEND_TIMEOUT_MS,
        `Delivery did not finish within ${SEND_TIMEOUT_MS / 1000} s`,
      );
    } catch (error) {
      await stopHeartbeat();
      if (error instanceof MessageCancelled) {
        await this.recordOutcome(message, () => this.recordCancelled(claim, error));
        return;
      }
      await this.recordOutcome(message, () => this.recordFailure(claim, error, secret));
      return;
    }
    await stopHeartbeat();
    await this.recordOutcome(message, () => this.recordSent(claim, rendered.subject, receipt));
  }

  /**
   * Renews the claim every heartbeatMs while the delivery runs; answers the function that stops
   * renewing, once any renewal in flight has landed (the outcome is written against its expiry).
   */
  private keepClaimed(claim: Claim): () => Promise<void> {
    let renewal: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewal = renewal.then(async () => {
        const renewedUntil = new Date(Date.now() + this.claimMs);
        try {
          const renewed = await OutboxMessagesRepository.on(this.uow.dataSource.manager).renewClaim(claim.message.id, claim.claimedUntil, renewedUntil);
          if (renewed) claim.claimedUntil = renewedUntil;
        } catch (error) {
          this.logger.warn(`Could not renew the claim on outbox message ${claim.message.id}: ${describeDeliveryError(error)}`);
        }
      });
    }, this.heartbeatMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await renewal;
    };
  }

  /**
   * A lost outcome is not a lost message: the claim expires and the message is tried again
   * (at worst delivered twice, never silently dropped), so this only logs.
   */
  private async recordOutcome(message: OutboxMessage, record: () => Promise<void>): Promise<void> {
    try {
      await record();
    } catch (error) {
      this.logger.error(`Could not record the outcome of outbox message ${message.id}: ${describeDeliveryError(error)}`);
    }
  }

  private unseal(sealed: string): string {
    try {
      return this.secrets.unsealFromOutbox(sealed);
    } catch {
      throw new PermanentDeliveryError('The sealed link or code could not be opened (was APP_SECRET changed?); not sent');
    }
  }

  private async recordSent(claim: Claim, subject: string | null, receipt: DeliveryReceipt): Promise<void> {
    const { message } = claim;
    const now = new Date();
    await this.uow.run(async (manager) => {
      const updated = await this.updateIfStillClaimed(manager, claim, {
        status: 'sent',
        attempts: message.attempts + 1,
        sentAt: now,
        providerMessageId: receipt.providerMessageId,
        // The link or code has been delivered: from here on no table holds it, not even sealed.
        sealedSecret: null,
        subject: subject ? subject.slice(0, 255) : null,
        lastError: null,
        claimedUntil: null,
        updatedAt: now,
      });
      if (!updated) return;
      await this.audit.append(
        manager,
        message.practiceId,
        {
          action: 'email.sent',
          patientId: message.patientId,
          details: {
            outboxMessageId: message.id,
            template: message.template,
            channel: message.channel,
            to: maskedRecipient(message),
            attempts: message.attempts + 1,
          },
        },
        SYSTEM_ACTOR,
      );
    });
  }

  /**
   * Replaced by a newer message before it went out (a busy practice resets often): not a failure,
   * so no warning and no failure event; the row says why, and keeps no secret.
   */
  private async recordCancelled(claim: Claim, reason: MessageCancelled): Promise<void> {
    const now = new Date();
    const updated = await this.uow.run((manager) =>
      this.updateIfStillClaimed(manager, claim, {
        status: 'cancelled',
        lastError: describeDeliveryError(reason),
        sealedSecret: null,
        claimedUntil: null,
        nextAttemptAt: now,
        updatedAt: now,
      }),
    );
    if (updated) this.logger.log(`Outbox message ${claim.message.id} (${claim.message.template}) cancelled: ${reason.message}`);
  }

  private async recordFailure(claim: Claim, error: unknown, secret: string | null): Promise<void> {
    const { message } = claim;
    const now = new Date();
    const permanent = error instanceof PermanentDeliveryError;
    const attempts = message.attempts + 1;
    const dead = permanent || attempts >= message.maxAttempts;
    const lastError = describeDeliveryError(error, [secret, message.sealedSecret]);
    await this.uow.run(async (manager) => {
      const updated = await this.updateIfStillClaimed(manager, claim, {
        status: dead ? 'dead' : 'retrying',
        attempts,
        lastError,
        nextAttemptAt: dead ? now : new Date(now.getTime() + retryDelayMs(attempts)),
        claimedUntil: null,
        updatedAt: now,
        // Nothing can ever send a message that failed for good: keep no secret for it.
        ...(permanent ? { sealedSecret: null } : {}),
      });
      if (!updated) return;
      await this.audit.append(
        manager,
        message.practiceId,
        {
          action: 'email.failed',
          patientId: message.patientId,
          details: {
            outboxMessageId: message.id,
            template: message.template,
            channel: message.channel,
            to: maskedRecipient(message),
            attempts,
            error: lastError,
            dead,
          },
        },
        SYSTEM_ACTOR,
      );
    });
    this.logger.warn(`Outbox message ${message.id} (${message.template}) failed, attempt ${attempts}${dead ? ', gave up' : ', will retry'}: ${lastError}`);
  }

  private async markAbandonedDead(manager: EntityManager, row: OutboxMessage, now: Date): Promise<void> {
    await OutboxMessagesRepository.on(manager).update(row.id, {
      status: 'dead',
      attempts: row.attempts,
      lastError: ABANDONED,
      claimedUntil: null,
      nextAttemptAt: now,
      updatedAt: now,
    });
    await this.audit.append(
      manager,
      row.practiceId,
      {
        action: 'email.failed',
        patientId: row.patientId,
        details: {
          outboxMessageId: row.id,
          template: row.template,
          channel: row.channel,
          to: maskedRecipient(row),
          attempts: row.attempts,
          error: ABANDONED,
          dead: true,
        },
      },
      SYSTEM_ACTOR,
    );
  }

  /** Writes an outcome only while our claim still holds: a sender that overran it must not overwrite the next one's. */
  private async updateIfStillClaimed(manager: EntityManager, claim: Claim, changes: Partial<OutboxMessage>): Promise<boolean> {
    const updated = await OutboxMessagesRepository.on(manager).updateIfClaimed(claim.message.id, claim.claimedUntil, changes);
    if (!updated) {
      this.logger.warn(`Outbox message ${claim.message.id}: its claim expired before the outcome was recorded; another dispatcher owns it now`);
      return false;
    }
    return true;
  }
}

function maskedRecipient(message: OutboxMessage): string {
  // An app's logout endpoint is not a patient's address: nothing to mask.
  if (message.channel === 'backchannel_logout') return message.toAddress;
  return message.channel === 'email' ? maskEmail(message.toAddress) : maskPhone(message.toAddress);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
