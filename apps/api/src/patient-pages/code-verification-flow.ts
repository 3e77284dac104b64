import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { UnitOfWork } from '../database/unit-of-work';
import { OutboxService } from '../outbox/outbox.service';
import { FieldErrors, MESSAGES, codeProblem, collect } from './patient-form';
import { CodeChannel, CodePage, CodeSubject, SecurityCodes } from './security-codes';

export type Rejected = { kind: 'rejected'; errors: FieldErrors };

/**
 * What one kind of patient link (a registration invitation, a password-reset link) brings to the
 * security-code steps: how to lock it, whom the code is for, and how its audit trail and failure
 * count are kept. The steps themselves are the same for every link (CodeVerificationFlow).
 */
export interface CodeLink<Open extends { kind: 'open' }, Problem extends { kind: string }, Verified> {
  /** The link's rows locked for the rest of the transaction, and its state now. */
  lock(manager: EntityManager): Promise<Open | Problem>;
  subject(link: Open): CodeSubject;
  /** Audits a code that went out. */
  codeSent(manager: EntityManager, link: Open, page: CodePage): Promise<void>;
  /** Counts a wrong or expired code; the last allowed failure locks the link. */
  failed(manager: EntityManager, link: Open, reason: 'code_mismatch' | 'code_expired', errors: FieldErrors): Promise<Rejected | Problem>;
  verified(manager: EntityManager, link: Open): Promise<Verified>;
}

/**
 * Send, send again and check a 6-digit code for a patient link. Every step judges the link with
 * its rows locked, so parallel requests cannot slip past the throttles or the failure limit, and
 * wakes the outbox once a code is committed to it.
 */
@Injectable()
export class CodeVerificationFlow {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly codes: SecurityCodes,
    private readonly outbox: OutboxService,
  ) {}

  /** Sends a code by `channel` once `refuse`, run under the lock, finds nothing wrong with the answer (it returns null). */
  send<Open extends { kind: 'open' }, Problem extends { kind: string }, Verified>(
    link: CodeLink<Open, Problem, Verified>,
    channel: CodeChannel,
    refuse: (manager: EntityManager, open: Open) => Promise<Rejected | Problem | null>,
  ): Promise<CodePage | Rejected | Problem> {
    return this.sending(async (manager): Promise<CodePage | Rejected | Problem> => {
      const state = await link.lock(manager);
      if (!isOpen(state)) return state;
      const refused = await refuse(manager, state);
      if (refused) return refused;
      return this.announce(manager, link, state, await this.codes.issue(manager, link.subject(state), channel));
    });
  }

  /** "Request the code again": the last code's channel, to the chart's phone, throttled per link. */
  resend<Open extends { kind: 'open' }, Problem extends { kind: string }, Verified>(
    link: CodeLink<Open, Problem, Verified>,
  ): Promise<CodePage | Problem | { kind: 'no_code' }> {
    return this.sending(async (manager): Promise<CodePage | Problem | { kind: 'no_code' }> => {
      const state = await link.lock(manager);
      if (!isOpen(state)) return state;
      const page = await this.codes.reissue(manager, link.subject(state));
      return page ? this.announce(manager, link, state, page) : { kind: 'no_code' };
    });
  }

  async check<Open extends { kind: 'open' }, Problem extends { kind: string }, Verified>(
    link: CodeLink<Open, Problem, Verified>,
    answer: string,
  ): Promise<Rejected | Problem | Verified> {
    const errors = collect({ code: codeProblem(answer) });
    if (errors) return { kind: 'rejected', errors };
    const code = answer.trim();
    return this.uow.run(async (manager): Promise<Rejected | Problem | Verified> => {
      const state = await link.lock(manager);
      if (!isOpen(state)) return state;
      const check = await this.codes.check(manager, link.subject(state), code);
      if (check === 'mismatch') return link.failed(manager, state, 'code_mismatch', { code: MESSAGES.secretMismatch });
      if (check === 'expired') return link.failed(manager, state, 'code_expired', { code: MESSAGES.secretMismatch });
      return link.verified(manager, state);
    });
  }

  private async announce<Open extends { kind: 'open' }>(
    manager: EntityManager,
    link: Pick<CodeLink<Open, { kind: string }, unknown>, 'codeSent'>,
    open: Open,
    page: CodePage,
  ): Promise<CodePage> {
    if (page.sent) await link.codeSent(manager, open, page);
    return page;
  }

  /** A transaction that may queue a text or call: the dispatcher is woken once it has committed. */
  private async sending<T extends { kind: string }>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const outcome = await this.uow.run(work);
    if (outcome.kind === 'code_page' && (outcome as unknown as CodePage).sent) this.outbox.notifyCommitted();
    return outcome;
  }
}

function isOpen<Open extends { kind: 'open' }>(state: Open | { kind: string }): state is Open {
  return state.kind === 'open';
}
