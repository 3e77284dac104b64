import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compactVerify, importJWK } from 'jose';
import { AuditChainHead, AuditEvent } from '../../src/audit/audit-event.entity';
import { auditEventHash } from '../../src/audit/audit-log.service';
import { KeyedAuditChain1765100000000 } from '../../src/database/migrations/1765100000000-keyed-audit-chain';
import { assertApiError } from '../support/api-assertions';
import { patientIdsWith } from '../support/fixtures';
import { MAPLE_ADMIN, MAPLE_DESK, RIVERSIDE_ADMIN, StaffClient } from '../support/staff-client';
import { MAPLE_GROVE_ID, RIVERSIDE_ID } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { tamper } from '../admin/admin-support';

/**
 * The audit chain is keyed: an attacker who can write the database, but does not hold APP_SECRET,
 * edits a row and recomputes what they can (the plain SHA-256 of the row and of every later row,
 * and the chain head) and /verify still names the edited row. Chains written before the key
 * existed stay verifiable up to the mark the migration left.
 */
describe('keyed audit chain and signed checkpoints', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let admin: StaffClient;
  let desk: StaffClient;
  let patients: string[];

  const events = (practiceId = MAPLE_GROVE_ID) => t.dataSource.getRepository(AuditEvent).find({ where: { practiceId }, order: { seq: 'ASC' } });
  const head = async (practiceId = MAPLE_GROVE_ID) => await t.dataSource.getRepository(AuditChainHead).findOneByOrFail({ practiceId });
  const verify = async () => {
    const response = await admin.get('/api/audit-events/verify');
    assert.equal(response.status, 200);
    return response.body as { valid: boolean; checked: number; firstBrokenId: string | null };
  };
  const someActivity = async (n = 3) => {
    for (let i = 0; i < n; i++) await desk.get(`/api/patients/${patients[i % patients.length]}/chart`).expect(200);
  };

  /** What an attacker with database access does: rewrite from `victim` on with plain hashes, then the head. */
  const forgeFrom = async (victimId: string, edit: (event: AuditEvent) => void) => {
    const all = await events();
    const at = all.findIndex((e) => e.id === victimId);
    let prevHash = all[at - 1]?.hash ?? null;
    for (const event of all.slice(at)) {
      if (event.id === victimId) edit(event);
      event.prevHash = prevHash;
      const { hash: _old, ...content } = event;
      event.hash = auditEventHash(content);
      await tamper(t, 'UPDATE audit_events SET actorName = ?, actorId = ?, ip = ?, prevHash = ?, hash = ? WHERE id = ?', [
        event.actorName,
        event.actorId,
        event.ip,
        event.prevHash,
        event.hash,
        event.id,
      ]);
      prevHash = event.hash;
    }
    await tamper(t, 'UPDATE audit_chain_heads SET lastHash = ? WHERE practiceId = ?', [prevHash, MAPLE_GROVE_ID]);
  };
  /** Puts the rows (and head) back exactly as they were. */
  const restore = async (saved: AuditEvent[]) => {
    for (const event of saved) {
      await tamper(t, 'UPDATE audit_events SET actorName = ?, actorId = ?, ip = ?, prevHash = ?, hash = ? WHERE id = ?', [
        event.actorName,
        event.actorId,
        event.ip,
        event.prevHash,
        event.hash,
        event.id,
      ]);
    }
    await tamper(t, 'UPDATE audit_chain_heads SET lastHash = ? WHERE practiceId = ?', [saved[saved.length - 1]!.hash, MAPLE_GROVE_ID]);
  };

  before(async () => {
    t = await startTestApp({ seedPatients: 6, label: 'hauditkey' });
    admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    patients = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    await someActivity(6);
  });
  after(async () => t?.close());

  it('hashes new chains with the key from the first event: a plain SHA-256 of a row is not its hash', async () => {
    assert.equal((await head()).keyedFromSeq, 1);
    for (const event of await events()) {
      const { hash, ...content } = event;
      assert.match(hash, /^[0-9a-f]{64}$/);
      assert.notEqual(hash, auditEventHash(content), `event ${event.seq} carries a plain hash`);
    }
    assert.equal((await verify()).valid, true);
  });

  it('names an event whose actor and IP were edited and re-hashed plainly, with every later hash and the head recomputed', async () => {
    const saved = await events();
    const victim = saved[Math.floor(saved.length / 2)]!;
    try {
      await forgeFrom(victim.id, (event) => {
        event.actorName = 'Somebody Else';
        event.actorId = null;
        event.ip = '203.0.113.9';
      });
      const forged = await events();
      assert.equal((await head()).lastHash, forged[forged.length - 1]!.hash, 'the attacker made the head agree');
      assert.deepEqual(await verify(), { valid: false, checked: saved.indexOf(victim), firstBrokenId: victim.id });
    } finally {
      await restore(saved);
    }
    assert.equal((await verify()).valid, true);
  });

  it('names the last event when only it and the head were forged', async () => {
    const saved = await events();
    const last = saved[saved.length - 1]!;
    try {
      await forgeFrom(last.id, (event) => {
        event.ip = '198.51.100.7';
      });
      assert.deepEqual(await verify(), { valid: false, checked: saved.length - 1, firstBrokenId: last.id });
    } finally {
      await restore(saved);
    }
  });

  describe('chains from before the key (the migration marks where keying starts)', () => {
    it('verifies the old plain segment as before and the keyed one from the mark on, and catches either being edited', async () => {
      // Riverside's chain as the previous version wrote it: every hash plain SHA-256.
      const riverside = await StaffClient.signIn(t.server, RIVERSIDE_ADMIN);
      const riversidePatient = (await patientIdsWith(t.dataSource, RIVERSIDE_ID, 'active'))[0]!;
      for (let i = 0; i < 4; i++) await riverside.get(`/api/patients/${riversidePatient}/chart`).expect(200);
      let prevHash: string | null = null;
      for (const event of await events(RIVERSIDE_ID)) {
        const { hash: _keyed, ...content } = event;
        const plain = auditEventHash({ ...content, prevHash });
        await tamper(t, 'UPDATE audit_events SET prevHash = ?, hash = ? WHERE id = ?', [prevHash, plain, event.id]);
        prevHash = plain;
      }
      await tamper(t, 'UPDATE audit_chain_heads SET lastHash = ? WHERE practiceId = ?', [prevHash, RIVERSIDE_ID]);

      // The migration, run again over that chain, marks the first keyed seq as one past its end.
      const runner = t.dataSource.createQueryRunner();
      try {
        await new KeyedAuditChain1765100000000().down(runner);
        await new KeyedAuditChain1765100000000().up(runner);
      } finally {
        await runner.release();
      }
      const plainCount = (await events(RIVERSIDE_ID)).length;
      assert.equal((await head(RIVERSIDE_ID)).keyedFromSeq, plainCount + 1);
      assert.equal((await head(MAPLE_GROVE_ID)).keyedFromSeq, (await head(MAPLE_GROVE_ID)).lastSeq + 1);
      // Maple Grove's chain was keyed from seq 1; put its mark back where it was.
      await tamper(t, 'UPDATE audit_chain_heads SET keyedFromSeq = 1 WHERE practiceId = ?', [MAPLE_GROVE_ID]);

      for (let i = 0; i < 3; i++) await riverside.get(`/api/patients/${riversidePatient}/chart`).expect(200);
      const all = await events(RIVERSIDE_ID);
      const firstKeyed = all[plainCount]!;
      assert.notEqual(firstKeyed.hash, auditEventHash((({ hash: _h, ...rest }) => rest)(firstKeyed)), 'new events are keyed');
      assert.equal(firstKeyed.prevHash, all[plainCount - 1]!.hash, 'the keyed segment continues the plain one');
      const verifyRiverside = async () => (await riverside.get('/api/audit-events/verify').expect(200)).body;
      assert.deepEqual(await verifyRiverside(), { valid: true, checked: all.length, firstBrokenId: null });

      // An edit in the old segment, not re-hashed, is caught as before.
      const old = all[1]!;
      await tamper(t, 'UPDATE audit_events SET ip = ? WHERE id = ?', ['192.0.2.1', old.id]);
      assert.deepEqual(await verifyRiverside(), { valid: false, checked: 1, firstBrokenId: old.id });
      await tamper(t, 'UPDATE audit_events SET ip = ? WHERE id = ?', [old.ip, old.id]);

      // A keyed event re-hashed plainly is caught too.
      const { hash: _h, ...content } = { ...firstKeyed, ip: '192.0.2.2' };
      await tamper(t, 'UPDATE audit_events SET ip = ?, hash = ? WHERE id = ?', ['192.0.2.2', auditEventHash(content), firstKeyed.id]);
      assert.deepEqual(await verifyRiverside(), { valid: false, checked: plainCount, firstBrokenId: firstKeyed.id });
      await tamper(t, 'UPDATE audit_events SET ip = ?, hash = ? WHERE id = ?', [firstKeyed.ip, firstKeyed.hash, firstKeyed.id]);
      assert.equal((await verifyRiverside()).valid, true);
    });
  });

  describe('signed checkpoints', () => {
    it('gives admins {practiceId, seq, hash, signedAt, signature} of the chain head, verifiable offline with the public key', async () => {
      const response = await admin.get('/api/audit-events/checkpoint');
      assert.equal(response.status, 200);
      const checkpoint = response.body;
      assert.deepEqual(Object.keys(checkpoint).sort(), ['hash', 'practiceId', 'seq', 'signature', 'signedAt']);
      const current = await head();
      assert.equal(checkpoint.practiceId, MAPLE_GROVE_ID);
      assert.equal(checkpoint.seq, current.lastSeq);
      assert.equal(checkpoint.hash, current.lastHash);
      assert.ok(Math.abs(Date.parse(checkpoint.signedAt) - Date.now()) < 60_000);

      // Offline: only the published public key and a standard JOSE library.
      const jwk = (await admin.get('/api/audit-events/checkpoint/key').expect(200)).body;
      assert.equal(jwk.kty, 'OKP');
      assert.equal(jwk.crv, 'Ed25519');
      assert.equal(jwk.d, undefined, 'the private part never leaves the server');
      const { payload, protectedHeader } = await compactVerify(checkpoint.signature, await importJWK(jwk, 'EdDSA'));
      assert.equal(protectedHeader.alg, 'EdDSA');
      assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)), {
        practiceId: checkpoint.practiceId,
        seq: checkpoint.seq,
        hash: checkpoint.hash,
        signedAt: checkpoint.signedAt,
      });
    });

    it('later confirms the chain still extends the checkpoint, and names a forged event before it', async () => {
      const checkpoint = (await admin.get('/api/audit-events/checkpoint').expect(200)).body;
      await someActivity(2);
      const later = await admin.post('/api/audit-events/checkpoint/verify', checkpoint);
      assert.equal(later.status, 200, JSON.stringify(later.body));
      assert.equal(later.body.valid, true);
      assert.equal(later.body.signatureValid, true);
      assert.equal(later.body.extendsCheckpoint, true);

      const saved = await events();
      const victim = saved[2]!;
      try {
        await forgeFrom(victim.id, (event) => {
          event.actorName = 'Nobody';
        });
        const forged = await admin.post('/api/audit-events/checkpoint/verify', checkpoint);
        assert.equal(forged.body.valid, false);
        assert.equal(forged.body.extendsCheckpoint, false, 'the event at the checkpoint no longer has its hash');
        assert.equal(forged.body.firstBrokenId, victim.id);
        assertApiError(await admin.get('/api/audit-events/checkpoint'), 409, new RegExp(victim.id));
      } finally {
        await restore(saved);
      }
    });

    it('refuses a checkpoint whose fields were altered after signing', async () => {
      const checkpoint = (await admin.get('/api/audit-events/checkpoint').expect(200)).body;
      const earlier = (await events())[1]!;
      const altered = await admin.post('/api/audit-events/checkpoint/verify', { ...checkpoint, seq: earlier.seq, hash: earlier.hash });
      assert.equal(altered.body.valid, false);
      assert.equal(altered.body.signatureValid, false);
      const garbage = await admin.post('/api/audit-events/checkpoint/verify', { ...checkpoint, signature: 'a.b.c' });
      assert.equal(garbage.body.signatureValid, false);
      assertApiError(await admin.post('/api/audit-events/checkpoint/verify', { ...checkpoint, extra: 1 }), 400);
      assertApiError(await admin.post('/api/audit-events/checkpoint/verify', { ...checkpoint, seq: 'x' }), 422);
    });

    it('is for admins of the practice only', async () => {
      const checkpoint = (await admin.get('/api/audit-events/checkpoint').expect(200)).body;
      assertApiError(await desk.get('/api/audit-events/checkpoint'), 403);
      assertApiError(await desk.post('/api/audit-events/checkpoint/verify', checkpoint), 403);
      const riverside = await StaffClient.signIn(t.server, RIVERSIDE_ADMIN);
      assertApiError(await riverside.post('/api/audit-events/checkpoint/verify', checkpoint), 404);
      assertApiError(await admin.postWithoutCsrf('/api/audit-events/checkpoint/verify', checkpoint), 403);
    });
  });
});
