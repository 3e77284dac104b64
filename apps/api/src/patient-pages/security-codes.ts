import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager, IsNull } from 'typeorm';
import type { MessageChannel } from '@resetdesk/contracts';
import { AppSecrets } from '../common/app-secrets';
import { VerificationCode } from '../invitations/verification-code.entity';
import type { MessageKind } from '../outbox/message-definition';
import { SECURITY_CODE_TTL_MINUTES } from './security-code-message';
import { OutboxService } from '../outbox/outbox.service';

/** Failed answers of any kind (date of birth, PIN, phone, code, security answer) before a link locks. */
export const MAX_FAILED_ATTEMPTS = 5;
export const CODE_TTL_MS = SECURITY_CODE_TTL_MINUTES * 60_000;
export const CODE_RESEND_INTERVAL_MS = 60_000;
export const MAX_CODES_PER_LINK = 5;

export type CodeChannel = Extract<MessageChannel, 'sms' | 'voice'>;

/** The link a code belongs to: a registration invitation or a password-reset request. */
export interface CodeSubject {
  type: VerificationCode['subjectType'];
  /** The text or call that carries the code, as the link's feature registered it. */
  message: MessageKind;
  id: string;
  practiceId: string;
  patientId: string;
  /** The chart's phone number (E.164). */
  phone: string;
}

/** What the security-code page shows: whether a code just went out, or why not. */
export interface CodePage {
  kind: 'code_page';
  channel: CodeChannel | null;
  sent: boolean;
  notice: string | null;
  /** The queued text or call, when one was queued. */
  outboxMessageId?: string;
}

export type CodeCheck = 'match' | 'mismatch' | 'expired';

/**
 * The 6-digit codes sent by text or voice, for registration and for password recovery alike:
 * throttled per link (one a minute, five per link), stored only as keyed HMACs, carried to the
 * phone sealed in the outbox row, valid ten minutes and single use. Callers hold the link's row
 * lock, so the throttle and the single use cannot be raced.
 */
@Injectable()
export class SecurityCodes {
  constructor(
    private readonly secrets: AppSecrets,
    private readonly outbox: OutboxService,
  ) {}

  /** Newest first. */
  codesOf(manager: EntityManager, subject: Pick<CodeSubject, 'type' | 'id'>): Promise<VerificationCode[]> {
    return manager.find(VerificationCode, { where: { subjectType: subject.type, subjectId: subject.id }, order: { createdAt: 'DESC' } });
  }

  /** The channel of the last code sent for this link, or null when none was. */
  async lastChannel(manager: EntityManager, subject: Pick<CodeSubject, 'type' | 'id'>): Promise<CodeChannel | null> {
    const [latest] = await this.codesOf(manager, subject);
    return (latest?.channel as CodeChannel | undefined) ?? null;
  }

  /**
   * "Request the code again": the last code's channel, throttled like any other. Null when this
   * link has had no code yet: only a browser that passed the phone check has one to repeat.
   */
  async reissue(manager: EntityManager, subject: CodeSubject): Promise<CodePage | null> {
    const channel = await this.lastChannel(manager, subject);
    if (!channel || !subject.phone) return null;
    return this.issue(manager, subject, channel);
  }

  /** Queues a new code to the chart's phone, unless this link has had one too recently or too often. */
  async issue(manager: EntityManager, subject: CodeSubject, channel: CodeChannel): Promise<CodePage> {
    const codes = await this.codesOf(manager, subject);
    const lastChannel = (codes[0]?.channel as CodeChannel | undefined) ?? null;
    if (codes.length >= MAX_CODES_PER_LINK) {
      return {
        kind: 'code_page',
        channel: lastChannel,
        sent: false,
        notice: "You have asked for as many codes as this link allows. Use the latest code we sent, or call your doctor's office.",
      };
    }
    const waitMs = codes[0] ? new Date(codes[0].createdAt).getTime() + CODE_RESEND_INTERVAL_MS - Date.now() : 0;
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      return {
        kind: 'code_page',
        channel: lastChannel,
        sent: false,
        notice: `We sent a code less than a minute ago. You can ask for a new code in ${seconds} second${seconds === 1 ? '' : 's'}.`,
      };
    }

    const now = new Date();
    const { code, codeHash } = this.secrets.newCode();
    await manager.insert(VerificationCode, {
      id: randomUUID(),
      practiceId: subject.practiceId,
      subjectType: subject.type,
      subjectId: subject.id,
      codeHash,
      channel,
      expiresAt: new Date(now.getTime() + CODE_TTL_MS),
      usedAt: null,
      createdAt: now,
    });
    const message = await this.outbox.enqueue(manager, {
      practiceId: subject.practiceId,
      patientId: subject.patientId,
      channel,
      kind: subject.message,
      // Always the chart's number, never the one typed: a match proves knowledge, not possession.
      toAddress: subject.phone,
      subjectId: subject.id,
      sealedSecret: this.secrets.sealForOutbox(code),
    });
    return { kind: 'code_page', channel, sent: true, notice: null, outboxMessageId: message.id };
  }

  /**
   * Compares against every unused code of the link (a resent text can arrive before the first
   * one). A match spends all of them: once one works, none of this link's codes may be tried again.
   */
  async check(manager: EntityManager, subject: Pick<CodeSubject, 'type' | 'id'>, code: string): Promise<CodeCheck> {
    const unused = (await this.codesOf(manager, subject)).filter((c) => !c.usedAt);
    const match = unused.find((c) => this.secrets.codeMatches(c.codeHash, code));
    if (!match) return 'mismatch';
    if (new Date(match.expiresAt).getTime() <= Date.now()) return 'expired';
    await manager.update(VerificationCode, { subjectType: subject.type, subjectId: subject.id, usedAt: IsNull() }, { usedAt: new Date() });
    return 'match';
  }
}
