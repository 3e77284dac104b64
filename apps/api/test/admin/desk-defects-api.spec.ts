import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { patientIdsWith } from '../support/fixtures';
import { MAPLE_ADMIN, MAPLE_DESK, StaffClient } from '../support/staff-client';
import { MAPLE_GROVE_ID } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { csvRecords, Row, sql } from './admin-support';

/** The API side of what staff found at the desk: the audit log names patients; installs under dot folders. */
describe('audit log names the patient; the console installs anywhere', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let admin: StaffClient;
  let patient: Row;
  let other: Row;

  before(async () => {
    t = await startTestApp({ seedPatients: 12, label: 'deskapi' });
    const [first, second] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    [patient] = await sql(t, 'SELECT id, mrn, firstName, lastName FROM patients WHERE id = ?', [first]);
    [other] = await sql(t, 'SELECT id, mrn, firstName, lastName FROM patients WHERE id = ?', [second]);
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    await desk.get(`/api/patients/${patient.id}/chart`).expect(200);
    await desk.get(`/api/patients/${other.id}/chart`).expect(200);
    admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
  });
  after(async () => t?.close());

  const list = (filter: object, extra: Record<string, string> = {}) =>
    admin.get('/api/audit-events').query({ filter: JSON.stringify(filter), range: '[0,99]', ...extra });

  it('list and detail carry the patient name and MRN; events about nobody carry nulls', async () => {
    const response = await list({ action: 'patient.viewed' }).expect(200);
    const viewed = response.body.find((e: Row) => e.patientId === patient.id);
    assert.equal(viewed.patientName, `${patient.firstName} ${patient.lastName}`);
    assert.equal(viewed.patientMrn, patient.mrn);
    const detail = await admin.get(`/api/audit-events/${viewed.id}`).expect(200);
    assert.equal(detail.body.patientName, `${patient.firstName} ${patient.lastName}`);
    assert.equal(detail.body.patientMrn, patient.mrn);
    const signIn = (await list({ action: 'staff.login' }).expect(200)).body[0];
    assert.equal(signIn.patientName, null);
    assert.equal(signIn.patientMrn, null);
  });

  it('filters by MRN, by last name, by "first last", and finds nothing for a stranger', async () => {
    const byMrn = await list({ patient: patient.mrn }).expect(200);
    assert.ok(byMrn.body.length >= 1);
    assert.ok(byMrn.body.every((e: Row) => e.patientId === patient.id));
    const byName = await list({ patient: `${patient.firstName} ${patient.lastName}` }).expect(200);
    assert.ok(byName.body.some((e: Row) => e.patientId === patient.id));
    assert.ok(byName.body.every((e: Row) => e.patientName === `${patient.firstName} ${patient.lastName}`));
    const byLast = await list({ patient: patient.lastName.slice(0, 3).toLowerCase() }).expect(200);
    assert.ok(byLast.body.some((e: Row) => e.patientId === patient.id));
    const nobody = await list({ patient: 'Zzyzx-no-such-patient' }).expect(200);
    assert.deepEqual(nobody.body, []);
    assert.match(nobody.headers['content-range'], /\/0$/);
  });

  it("accepts react-admin's default sort by id (append order), both ways", async () => {
    const down = await admin.get('/api/audit-events').query({ sort: '["id","DESC"]', range: '[0,9]' }).expect(200);
    const up = await admin.get('/api/audit-events').query({ sort: '["id","ASC"]', range: '[0,9]' }).expect(200);
    const seqOf = async (ids: string[]) =>
      (await sql(t, `SELECT id, seq FROM audit_events WHERE id IN (${ids.map(() => '?').join(',')})`, ids)).reduce(
        (m, r) => m.set(r.id, Number(r.seq)),
        new Map<string, number>(),
      );
    const downSeq = await seqOf(down.body.map((e: Row) => e.id));
    const seqs = down.body.map((e: Row) => downSeq.get(e.id)!);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => b - a),
    );
    assert.notEqual(up.body[0].id, down.body[0].id);
  });

  it('the CSV names the patient in its own columns', async () => {
    const response = await admin
      .get('/api/audit-events/export')
      .query({ filter: JSON.stringify({ patient: patient.mrn }) })
      .expect(200);
    const { header, records } = csvRecords(response.text);
    assert.deepEqual(header.slice(header.indexOf('patientId'), header.indexOf('patientId') + 3), ['patientId', 'patientName', 'patientMrn']);
    assert.ok(records.length >= 1);
    for (const record of records) {
      assert.equal(record.patientName, `${patient.firstName} ${patient.lastName}`);
      assert.equal(record.patientMrn, patient.mrn);
    }
  });

  it('a registration link locked by five wrong tries is its own status, "link_locked": list, filter, detail and dashboard; a new email ends it', async () => {
    const [invitedId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'invited');
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    const dashboardBefore = (await desk.get('/api/dashboard').expect(200)).body;
    await sql(
      t,
      "UPDATE registration_invitations SET status = 'locked', pendingMarker = NULL, failedAttempts = 5, lockedAt = ? WHERE patientId = ? AND pendingMarker = 1",
      [new Date(), invitedId],
    );

    const detail = (await desk.get(`/api/patients/${invitedId}`).expect(200)).body;
    assert.equal(detail.portalStatus, 'link_locked');
    assert.equal(detail.invitation.status, 'locked');
    const filtered = await desk
      .get('/api/patients')
      .query({ filter: JSON.stringify({ portalStatus: 'link_locked' }), range: '[0,499]' })
      .expect(200);
    assert.ok(filtered.body.some((p: Row) => p.id === invitedId));
    assert.ok(filtered.body.every((p: Row) => p.portalStatus === 'link_locked'));
    const none = await desk
      .get('/api/patients')
      .query({ filter: JSON.stringify({ portalStatus: 'none' }), range: '[0,499]' })
      .expect(200);
    assert.ok(!none.body.some((p: Row) => p.id === invitedId), 'not "No account"');
    const dashboard = (await desk.get('/api/dashboard').expect(200)).body;
    assert.equal(dashboard.lockedLinks, dashboardBefore.lockedLinks + 1);

    // The one action that helps: a new registration email.
    await desk.post(`/api/patients/${invitedId}/invitation/resend`).set('Idempotency-Key', `resend-${invitedId}`).expect(201);
    assert.equal((await desk.get(`/api/patients/${invitedId}`).expect(200)).body.portalStatus, 'invited');
    assert.equal((await desk.get('/api/dashboard').expect(200)).body.lockedLinks, dashboardBefore.lockedLinks);
  });

  it('"Invitations expiring within 24 hours" has its own filter, answering exactly what the dashboard counts', async () => {
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    const [, soonId, laterId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'invited');
    await sql(t, 'UPDATE registration_invitations SET expiresAt = ? WHERE patientId = ? AND pendingMarker = 1', [new Date(Date.now() + 2 * 3_600_000), soonId]);
    await sql(t, 'UPDATE registration_invitations SET expiresAt = ? WHERE patientId = ? AND pendingMarker = 1', [
      new Date(Date.now() + 48 * 3_600_000),
      laterId,
    ]);
    const { expiringInvitations } = (await desk.get('/api/dashboard').expect(200)).body;
    assert.ok(expiringInvitations > 0);
    const response = await desk
      .get('/api/patients')
      .query({ filter: JSON.stringify({ invitationExpiring: true }), range: '[0,499]' })
      .expect(200);
    assert.equal(response.body.length, expiringInvitations);
    assert.ok(response.body.some((p: Row) => p.id === soonId));
    assert.ok(!response.body.some((p: Row) => p.id === laterId), 'an invitation with two days left is not expiring');
    const soon = Date.now() + 24 * 3_600_000;
    for (const item of response.body) {
      assert.equal(item.portalStatus, 'invited');
      const detail = (await desk.get(`/api/patients/${item.id}`).expect(200)).body;
      assert.ok(new Date(detail.invitation.expiresAt).getTime() <= soon, detail.invitation.expiresAt);
    }
    await desk
      .get('/api/patients')
      .query({ filter: JSON.stringify({ invitationExpiring: 'soon' }) })
      .expect(400);
  });

  it('GET / sends the console when it is installed under a folder whose name starts with a dot', async () => {
    const home = mkdtempSync(join(tmpdir(), 'rd-home-'));
    const consoleDir = join(home, '.local', 'share', 'resetdesk', 'console');
    mkdirSync(consoleDir, { recursive: true });
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>ResetDesk</title><div id="root"></div>');
    const installed = await startTestApp({ label: 'dotdir', env: { CONSOLE_DIR: consoleDir } });
    try {
      for (const path of ['/', '/patients']) {
        const response = await request(installed.server).get(path).expect(200);
        assert.match(response.text, /<title>ResetDesk<\/title>/, path);
      }
    } finally {
      await installed.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
