import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditLogService } from '../../src/audit/audit-log.service';
import { AuditChainKeys } from '../../src/audit/audit-chain-keys';
import { UnitOfWork } from '../../src/database/unit-of-work';
import { MAPLE_GROVE_ID } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

/**
 * The append protocol of AuditLogService on MySQL: whatever interleaves (rollbacks, other
 * processes, many transactions at once), the chain stays gapless and verifiable.
 */
describe('audit chain appends on MariaDB/MySQL', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let uow: UnitOfWork;
  let audit: AuditLogService;

  const append = (service: AuditLogService, note: string) =>
    uow.run((manager) =>
      service.append(
        manager,
        MAPLE_GROVE_ID,
        { action: 'staff.updated', details: { staffUserId: 'test', changes: { note: { from: null, to: note } } } },
        { type: 'system', id: null, name: 'test' },
      ),
    );
  const head = async () => {
    const [row] = await t.dataSource.query('SELECT lastSeq, lastHash FROM audit_chain_heads WHERE practiceId = ?', [MAPLE_GROVE_ID]);
    return { lastSeq: Number(row.lastSeq), lastHash: row.lastHash as string | null };
  };
  const assertChainIntact = async () => {
    const seqs: { seq: number }[] = await t.dataSource.query('SELECT seq FROM audit_events WHERE practiceId = ? ORDER BY seq', [MAPLE_GROVE_ID]);
    assert.deepEqual(
      seqs.map((r) => Number(r.seq)),
      seqs.map((_, i) => i + 1),
      'sequence numbers without gaps or repeats',
    );
    const verified = await audit.verify(MAPLE_GROVE_ID);
    assert.deepEqual(verified, { valid: true, checked: seqs.length, firstBrokenId: null });
    assert.equal((await head()).lastSeq, seqs.length);
  };

  before(async () => {
    t = await startTestApp({ seedPatients: 2, label: 'auditappends' });
    uow = t.app.get(UnitOfWork);
    audit = t.app.get(AuditLogService);
  });
  after(async () => t?.close());

  it('builds each event on the one before it, in one process', async () => {
    for (let i = 0; i < 5; i++) {
      const event = await append(audit, `sequential ${i}`);
      assert.deepEqual(await head(), { lastSeq: event.seq, lastHash: event.hash });
    }
    await assertChainIntact();
  });

  it('continues from the head as it was when a transaction with an event rolls back', async () => {
    const before = await head();
    await assert.rejects(
      uow.run(async (manager) => {
        await audit.append(
          manager,
          MAPLE_GROVE_ID,
          { action: 'staff.updated', details: { staffUserId: 'test', changes: { note: { from: null, to: 'rolled back' } } } },
          { type: 'system', id: null, name: 'test' },
        );
        throw new Error('the change failed after its event was appended');
      }),
      /the change failed/,
    );
    assert.deepEqual(await head(), before, 'the head is back where it was');
    const event = await append(audit, 'after the rollback');
    assert.equal(event.seq, before.lastSeq + 1);
    assert.equal(event.prevHash, before.lastHash);
    await assertChainIntact();
  });

  it('continues the chain across appends from two writers (as from two processes)', async () => {
    const secondWriter = new AuditLogService(uow, t.app.get(AuditChainKeys));
    for (let i = 0; i < 6; i++) await append(i % 2 ? audit : secondWriter, `alternating ${i}`);
    await assertChainIntact();
  });

  it('keeps one gapless chain under many concurrent transactions from two writers', async () => {
    const secondWriter = new AuditLogService(uow, t.app.get(AuditChainKeys));
    await Promise.all(Array.from({ length: 40 }, (_, i) => append(i % 5 === 0 ? secondWriter : audit, `concurrent ${i}`)));
    await assertChainIntact();
  });
});
