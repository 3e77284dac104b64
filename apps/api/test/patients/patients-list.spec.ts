import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PORTAL_STATUSES } from '@resetdesk/contracts';
import { chartChecksum } from '../../src/patients/chart-checksum';
import { ClinicalEntry } from '../../src/patients/clinical-entry.entity';
import { Patient } from '../../src/patients/patient.entity';
import { assertApiError } from '../support/api-assertions';
import { HttpError, SimpleRestProvider, loadSimpleRestProvider, sessionHttpClient, simpleRestSkip } from '../support/simple-rest-client';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { MAPLE_GROVE_ID } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

const LIST_FIELDS = [
  'active',
  'contactChangedAt',
  'dateOfBirth',
  'email',
  'firstName',
  'id',
  'inactiveReason',
  'lastLoginAt',
  'lastName',
  'mrn',
  'phone',
  'portalStatus',
  'portalUsername',
];
const DETAIL_FIELDS = [
  ...LIST_FIELDS,
  'addressLine1',
  'addressLine2',
  'availableActions',
  'chartChecksum',
  'city',
  'contactChangedRecently',
  'invitation',
  'invitationTtlHours',
  'portalAccount',
  'postalCode',
  'sex',
  'state',
].sort();
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PATIENTS = 120;

interface PatientRow {
  id: string;
  mrn: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  email: string | null;
  phone: string | null;
  phoneDigits: string | null;
}

const collator = new Intl.Collator('en', { sensitivity: 'base' });

/**
 * The patients list as the console sees it: every call goes through react-admin's real
 * ra-data-simple-rest data provider, over HTTP, with a staff session cookie.
 */
describe('patients list through ra-data-simple-rest', { skip: mysqlSkip || simpleRestSkip }, () => {
  let t: TestApp;
  let desk: StaffClient;
  let provider: SimpleRestProvider;
  let contentRanges: string[];
  let maple: PatientRow[];

  const all = (filter: object = {}, sort: { field: string; order: 'ASC' | 'DESC' } = { field: 'id', order: 'ASC' }) =>
    provider.getList('patients', { pagination: { page: 1, perPage: 500 }, sort, filter });
  const ids = (items: { id: string }[]) => items.map((p) => p.id).sort();
  const expectIds = (rows: PatientRow[]) => rows.map((p) => p.id).sort();

  before(async () => {
    t = await startTestApp({ seedPatients: PATIENTS, label: 'fdnlist' });
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    const factory = await loadSimpleRestProvider();
    contentRanges = [];
    provider = factory(
      `${t.url}/api`,
      sessionHttpClient(desk.cookies, (response) => contentRanges.push(response.headers.get('content-range') ?? '')),
    );
    maple = await t.dataSource.query('SELECT id, mrn, firstName, lastName, dateOfBirth, email, phone, phoneDigits FROM patients WHERE practiceId = ?', [
      MAPLE_GROVE_ID,
    ]);
    assert.equal(maple.length, PATIENTS);
  });
  after(async () => t?.close());

  describe('getList', () => {
    it('is never cached: Cache-Control no-store and no ETag on patient data', async () => {
      const response = await desk.get('/api/patients').query({ filter: JSON.stringify({ q: 'a' }), range: '[0,4]' });
      assert.equal(response.status, 200);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.headers.etag, undefined);
    });

    it('pages through every patient with the total from Content-Range', async () => {
      const perPage = 25;
      const seen: string[] = [];
      for (let page = 1; page <= Math.ceil(PATIENTS / perPage); page++) {
        const result = await provider.getList('patients', { pagination: { page, perPage }, sort: { field: 'lastName', order: 'ASC' }, filter: {} });
        assert.equal(result.total, PATIENTS);
        const start = (page - 1) * perPage;
        const count = Math.min(perPage, PATIENTS - start);
        assert.equal(result.data.length, count, `page ${page}`);
        assert.equal(contentRanges.at(-1), `patients ${start}-${start + count - 1}/${PATIENTS}`);
        seen.push(...result.data.map((p) => p.id));
      }
      assert.equal(new Set(seen).size, PATIENTS, 'pages neither overlap nor skip anyone');
      assert.deepEqual([...seen].sort(), expectIds(maple));

      const beyond = await provider.getList('patients', { pagination: { page: 99, perPage }, sort: { field: 'lastName', order: 'ASC' }, filter: {} });
      assert.deepEqual(beyond.data, []);
      assert.equal(beyond.total, PATIENTS);
    });

    for (const field of ['lastName', 'firstName', 'dateOfBirth', 'mrn']) {
      for (const order of ['ASC', 'DESC'] as const) {
        it(`sorts by ${field} ${order}`, async () => {
          const { data } = await all({}, { field, order });
          assert.equal(data.length, PATIENTS);
          for (let i = 1; i < data.length; i++) {
            const cmp = collator.compare(data[i - 1][field], data[i][field]);
            assert.ok(order === 'ASC' ? cmp <= 0 : cmp >= 0, `${field} ${order}: "${data[i - 1][field]}" then "${data[i][field]}" at ${i}`);
          }
          if (field === 'lastName') {
            // Same last name: first names in the same direction, as a person reading the list expects.
            for (let i = 1; i < data.length; i++) {
              if (data[i - 1].lastName !== data[i].lastName) continue;
              const cmp = collator.compare(data[i - 1].firstName, data[i].firstName);
              assert.ok(order === 'ASC' ? cmp <= 0 : cmp >= 0);
            }
          }
          const page1 = await provider.getList('patients', { pagination: { page: 1, perPage: 10 }, sort: { field, order }, filter: {} });
          assert.deepEqual(
            page1.data.map((p) => p.id),
            data.slice(0, 10).map((p) => p.id),
            'a page is a slice of the same order (ties broken deterministically)',
          );
        });
      }
    }

    it('answers items with exactly the spec fields and formats', async () => {
      const { data } = await all();
      const byId = new Map(maple.map((p) => [p.id, p]));
      for (const item of data) {
        assert.deepEqual(Object.keys(item).sort(), LIST_FIELDS);
        const row = byId.get(item.id)!;
        assert.equal(item.mrn, row.mrn);
        assert.equal(item.firstName, row.firstName);
        assert.equal(item.lastName, row.lastName);
        assert.match(item.dateOfBirth, /^\d{4}-\d{2}-\d{2}$/);
        assert.equal(item.dateOfBirth, row.dateOfBirth);
        assert.equal(item.email, row.email);
        assert.equal(item.phone, row.phone);
        assert.ok(item.phone === null || /^\+\d{8,15}$/.test(item.phone), `E.164 phone: ${item.phone}`);
        assert.ok(PORTAL_STATUSES.includes(item.portalStatus));
        assert.ok(item.lastLoginAt === null || ISO_INSTANT.test(item.lastLoginAt), `lastLoginAt: ${item.lastLoginAt}`);
        if (item.portalStatus === 'active' || item.portalStatus === 'locked') assert.equal(typeof item.portalUsername, 'string');
        else assert.equal(item.portalUsername, null);
      }
    });
  });

  describe('filters', () => {
    const startsWith = (value: string | null, prefix: string) => !!value && value.toLowerCase().startsWith(prefix.toLowerCase());
    const nameOrEmail = (prefix: string) =>
      maple.filter((p) => startsWith(p.firstName, prefix) || startsWith(p.lastName, prefix) || startsWith(p.email, prefix));

    it('q matches a prefix of the first name, case-insensitively', async () => {
      const sample = maple[3]!;
      const prefix = sample.firstName.slice(0, 3).toLowerCase();
      const { data, total } = await all({ q: prefix });
      assert.ok(data.some((p) => p.id === sample.id));
      assert.deepEqual(ids(data), expectIds(nameOrEmail(prefix)));
      assert.equal(total, data.length);
    });

    it('q matches a prefix of the last name, case-insensitively', async () => {
      const sample = maple.find((p) => p.lastName.length >= 5)!;
      const prefix = sample.lastName.slice(0, 4).toUpperCase();
      const { data } = await all({ q: prefix });
      assert.ok(data.some((p) => p.id === sample.id));
      assert.deepEqual(ids(data), expectIds(nameOrEmail(prefix)));
    });

    it('q matches a prefix of the email address, case-insensitively', async () => {
      const sample = maple.find((p) => p.email)!;
      const prefix = sample.email!.slice(0, sample.email!.indexOf('@') - 1).toUpperCase();
      const { data } = await all({ q: prefix });
      assert.deepEqual(ids(data), [sample.id], `only ${sample.email} starts with ${prefix}`);
    });

    it('q does not match the middle of a name (prefix search, not substring)', async () => {
      const sample = maple.find((p) => p.lastName.length >= 6 && !p.firstName.toLowerCase().startsWith(p.lastName.slice(2, 5).toLowerCase()))!;
      const middle = sample.lastName.slice(2, 5);
      const { data } = await all({ q: middle });
      assert.ok(!data.some((p) => p.id === sample.id), `"${middle}" does not find ${sample.lastName}`);
      assert.deepEqual(ids(data), expectIds(nameOrEmail(middle)));
    });

    it('q matches the MRN exactly, not by prefix', async () => {
      const sample = maple[7]!;
      assert.deepEqual(ids((await all({ q: sample.mrn })).data), [sample.id]);
      assert.deepEqual(ids((await all({ q: sample.mrn.slice(0, -1) })).data), [], 'a partial MRN finds nobody');
    });

    it('q matches the phone number exactly, comparing digits only, however it is typed', async () => {
      const sample = maple.find((p) => p.phone?.startsWith('+1'))!;
      const [, area, exchange, line] = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(sample.phone!)!;
      for (const typed of [
        `(${area}) ${exchange}-${line}`,
        sample.phone!,
        `${area}-${exchange}-${line}`,
        `${area}.${exchange}.${line}`,
        `1 ${area} ${exchange} ${line}`,
        `${area}${exchange}${line}`,
      ]) {
        const { data } = await all({ q: typed });
        assert.deepEqual(ids(data), [sample.id], `"${typed}" finds ${sample.phone}`);
      }
      assert.deepEqual(ids((await all({ q: `(${area}) ${exchange}-${line.slice(0, 3)}` })).data), [], 'a partial phone number finds nobody');
    });

    for (const status of PORTAL_STATUSES) {
      it(`portalStatus=${status} answers only patients in that status`, async () => {
        const { data, total } = await all({ portalStatus: status });
        assert.ok(data.length > 0, `the demo data has ${status} patients`);
        assert.equal(total, data.length);
        for (const item of data) assert.equal(item.portalStatus, status, item.id);
      });
    }

    it('the portal statuses partition the patients and agree with the stored accounts and invitations', async () => {
      const counts: Record<string, number> = {};
      const seen = new Set<string>();
      for (const status of PORTAL_STATUSES) {
        const { data } = await all({ portalStatus: status });
        counts[status] = data.length;
        for (const item of data) seen.add(item.id);
      }
      assert.equal(seen.size, PATIENTS);
      const [accounts] = await t.dataSource.query(
        "SELECT SUM(status = 'active') AS active, SUM(status = 'locked') AS locked FROM portal_accounts WHERE practiceId = ? AND openMarker = 1",
        [MAPLE_GROVE_ID],
      );
      const [invited] = await t.dataSource.query(
        `SELECT COUNT(DISTINCT ri.patientId) AS n FROM registration_invitations ri
           LEFT JOIN portal_accounts pa ON pa.patientId = ri.patientId AND pa.openMarker = 1
          WHERE ri.practiceId = ? AND ri.pendingMarker = 1 AND ri.expiresAt > ? AND pa.id IS NULL`,
        [MAPLE_GROVE_ID, new Date()],
      );
      assert.equal(counts.active, Number(accounts.active));
      assert.equal(counts.locked, Number(accounts.locked));
      assert.equal(counts.invited, Number(invited.n));
      const [linkLocked] = await t.dataSource.query(
        `SELECT COUNT(*) AS n FROM registration_invitations li WHERE li.practiceId = ? AND li.status = 'locked'
           AND NOT EXISTS (SELECT 1 FROM registration_invitations ln WHERE ln.patientId = li.patientId AND ln.createdAt > li.createdAt)
           AND NOT EXISTS (SELECT 1 FROM portal_accounts a WHERE a.patientId = li.patientId AND a.openMarker = 1)`,
        [MAPLE_GROVE_ID],
      );
      assert.equal(counts.link_locked, Number(linkLocked.n));
      assert.equal(counts.none, PATIENTS - counts.active! - counts.locked! - counts.invited! - counts.link_locked!);
    });

    it('dateOfBirth answers the patients born that day', async () => {
      const sample = maple[11]!;
      const { data } = await all({ dateOfBirth: sample.dateOfBirth });
      assert.deepEqual(ids(data), expectIds(maple.filter((p) => p.dateOfBirth === sample.dateOfBirth)));
      assert.deepEqual((await all({ dateOfBirth: '1899-01-01' })).data, []);
    });

    it('combines filters', async () => {
      const { data: locked } = await all({ portalStatus: 'locked' });
      const sample = locked[0];
      const { data } = await all({ portalStatus: 'locked', q: sample.lastName });
      assert.ok(data.length >= 1);
      assert.ok(data.every((p) => p.portalStatus === 'locked' && p.lastName === sample.lastName));
      assert.deepEqual((await all({ portalStatus: 'active', q: sample.mrn })).data, []);
    });
  });

  describe('getOne and getMany', () => {
    it('getOne answers the list item plus portalAccount, invitation and chartChecksum', async () => {
      const { data: list } = await all();
      const byStatus = (status: string) => list.find((p) => p.portalStatus === status)!;
      for (const item of [byStatus('active'), byStatus('locked'), byStatus('invited'), byStatus('none')]) {
        const { data } = await provider.getOne('patients', { id: item.id });
        assert.deepEqual(Object.keys(data).sort(), DETAIL_FIELDS);
        for (const field of LIST_FIELDS) assert.deepEqual(data[field], item[field], `${field} agrees with the list`);
        assert.match(data.chartChecksum, /^[0-9a-f]{64}$/);

        const patient = await t.dataSource.getRepository(Patient).findOneByOrFail({ id: item.id });
        const entries = await t.dataSource.getRepository(ClinicalEntry).findBy({ patientId: item.id });
        assert.equal(data.chartChecksum, chartChecksum(patient, entries), 'the checksum covers the stored chart');

        if (item.portalStatus === 'active' || item.portalStatus === 'locked') {
          assert.deepEqual(Object.keys(data.portalAccount).sort(), [
            'createdAt',
            'id',
            'lastLoginAt',
            'lockReason',
            'lockedAt',
            'lockedUntil',
            'status',
            'username',
          ]);
          assert.equal(data.portalAccount.status, item.portalStatus);
          assert.equal(data.portalAccount.username, item.portalUsername);
          assert.match(data.portalAccount.createdAt, ISO_INSTANT);
          if (item.portalStatus === 'locked') {
            assert.ok(data.portalAccount.lockReason);
            assert.match(data.portalAccount.lockedAt, ISO_INSTANT);
          } else {
            assert.equal(data.portalAccount.lockReason, null);
          }
        } else {
          assert.equal(data.portalAccount, null);
        }
        if (item.portalStatus === 'invited') {
          assert.deepEqual(Object.keys(data.invitation).sort(), ['emailStatus', 'expiresAt', 'id', 'sentTo', 'status']);
          assert.equal(data.invitation.status, 'pending');
          assert.match(data.invitation.expiresAt, ISO_INSTANT);
          assert.ok(new Date(data.invitation.expiresAt).getTime() > Date.now());
          assert.equal(data.invitation.sentTo, `${item.email[0]}***${item.email.slice(item.email.indexOf('@'))}`, 'the recipient is masked');
        }
        // "none" may still show the last invitation, but only one that can no longer be used.
        if (item.portalStatus === 'none') assert.ok(data.invitation === null || data.invitation.status !== 'pending', JSON.stringify(data.invitation));
      }
    });

    it('getOne of an unknown id rejects with the 404 the console shows', async () => {
      await assert.rejects(provider.getOne('patients', { id: '00000000-0000-4000-8000-000000000000' }), (error: HttpError) => {
        assert.equal(error.status, 404);
        assert.deepEqual(error.body, { statusCode: 404, error: 'Not Found', message: 'That patient was not found.', code: 'not_found' });
        return true;
      });
    });

    it('getMany answers exactly the asked ids', async () => {
      const wanted = [maple[0]!.id, maple[5]!.id, maple[9]!.id];
      const { data } = await provider.getMany('patients', { ids: wanted });
      assert.deepEqual(ids(data), [...wanted].sort());
      for (const item of data) assert.deepEqual(Object.keys(item).sort(), LIST_FIELDS);
    });

    it('getMany answers every asked id, also more than a default page (it sends no range)', async () => {
      const wanted = maple.slice(0, 60).map((p) => p.id);
      const { data } = await provider.getMany('patients', { ids: wanted });
      assert.deepEqual(ids(data), [...wanted].sort());
    });
  });

  describe('chart and portal history', () => {
    it('the chart groups allergies, medications, problems and encounters, and is audited as patient.viewed', async () => {
      const patient = maple.find((p) => p.email)!;
      const response = await desk.get(`/api/patients/${patient.id}/chart`);
      assert.equal(response.status, 200);
      assert.deepEqual(Object.keys(response.body).sort(), ['allergies', 'encounters', 'medications', 'problems']);
      const kindOf: Record<string, string> = { allergies: 'allergy', medications: 'medication', problems: 'problem', encounters: 'encounter' };
      let total = 0;
      for (const [group, entries] of Object.entries<Record<string, unknown>[]>(response.body)) {
        for (const entry of entries) {
          assert.equal(entry.kind, kindOf[group]);
          assert.deepEqual(Object.keys(entry).sort(), ['code', 'description', 'id', 'kind', 'notes', 'recordedOn', 'status']);
          assert.match(String(entry.recordedOn), /^\d{4}-\d{2}-\d{2}$/);
        }
        total += entries.length;
      }
      const [stored] = await t.dataSource.query('SELECT COUNT(*) AS n FROM clinical_entries WHERE patientId = ?', [patient.id]);
      assert.equal(total, Number(stored.n));
      assert.ok(response.body.encounters.length >= 1, 'every demo chart has an encounter');

      const [staff] = await t.dataSource.query('SELECT id, name FROM staff_users WHERE email = ?', [MAPLE_DESK]);
      const events = await t.dataSource.query("SELECT * FROM audit_events WHERE action = 'patient.viewed' AND patientId = ?", [patient.id]);
      assert.equal(events.length, 1);
      assert.equal(events[0].actorId, staff.id);
      assert.equal(events[0].actorName, staff.name);
      assert.equal(events[0].practiceId, MAPLE_GROVE_ID);
      assert.deepEqual(JSON.parse(events[0].details), { view: 'chart' });
    });

    it('portal history answers {accounts, invitations, events} of the patient, newest first', async () => {
      const [withHistory] = await t.dataSource.query(
        "SELECT patientId FROM portal_accounts WHERE practiceId = ? AND status = 'closed' ORDER BY patientId LIMIT 1",
        [MAPLE_GROVE_ID],
      );
      assert.ok(withHistory, 'the demo data has a patient with a closed account');
      const patientId = withHistory.patientId;
      await desk.get(`/api/patients/${patientId}/chart`);
      await desk.get(`/api/patients/${patientId}/chart`);

      const response = await desk.get(`/api/patients/${patientId}/portal-history`);
      assert.equal(response.status, 200);
      const { accounts, invitations, events } = response.body;
      assert.deepEqual(Object.keys(response.body).sort(), ['accounts', 'events', 'invitations']);
      assert.equal(accounts.length, 2, 'the closed account and the current one');
      assert.equal(accounts.filter((a: { status: string }) => a.status === 'closed').length, 1);
      for (const account of accounts)
        assert.deepEqual(Object.keys(account).sort(), ['createdAt', 'id', 'lastLoginAt', 'lockReason', 'lockedAt', 'lockedUntil', 'status', 'username']);
      assert.ok(Array.isArray(invitations));
      const chartViews = events.filter((e: { action: string; details: { view?: string } }) => e.action === 'patient.viewed' && e.details.view === 'chart');
      assert.equal(chartViews.length, 2);
      for (const event of events) {
        assert.deepEqual(Object.keys(event).sort(), [
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
        ]);
        assert.equal(event.patientId, patientId);
      }
      const newestFirst = (list: { createdAt: string }[]) => list.every((item, i) => i === 0 || item.createdAt <= list[i - 1]!.createdAt);
      assert.ok(newestFirst(accounts) && newestFirst(events));
      assert.equal(chartViews[1].hash, chartViews[0].prevHash, 'the newer view follows the older in the chain');
    });
  });

  describe('malformed list parameters answer 400 in the spec shape', () => {
    const cases: [string, Record<string, string>][] = [
      ['filter that is not JSON', { filter: '{"q":' }],
      ['filter that is an array', { filter: '["q"]' }],
      ['filter that is a string', { filter: '"smi"' }],
      ['unknown filter', { filter: '{"passwordHash":"x"}' }],
      ['q that is not a string', { filter: '{"q":5}' }],
      ['unknown portal status', { filter: '{"portalStatus":"deleted"}' }],
      ['date of birth that is not a date', { filter: '{"dateOfBirth":"1990-02-30"}' }],
      ['date of birth in another format', { filter: '{"dateOfBirth":"19900214"}' }],
      ['range that is not JSON', { range: '[0,' }],
      ['range with one number', { range: '[0]' }],
      ['range with strings', { range: '["a","b"]' }],
      ['range ending before it starts', { range: '[10,5]' }],
      ['range with a negative start', { range: '[-1,5]' }],
      ['range with fractions', { range: '[0.5,5]' }],
      ['range too large', { range: '[0,10000]' }],
      ['sort that is not JSON', { sort: '["lastName",' }],
      ['sort with one element', { sort: '["lastName"]' }],
      ['sort with an unknown order', { sort: '["lastName","UP"]' }],
      ['sort by an unknown field', { sort: '["passwordHash","ASC"]' }],
      ['sort by a non-string field', { sort: '[1,"ASC"]' }],
    ];
    for (const [what, query] of cases) {
      it(what, async () => {
        assertApiError(await desk.get('/api/patients').query(query), 400);
      });
    }

    it('a parameter given twice', async () => {
      assertApiError(await desk.get('/api/patients?range=[0,1]&range=[0,2]'), 400);
    });
  });
});
