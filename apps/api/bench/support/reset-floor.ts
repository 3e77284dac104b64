import { createHash, createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';

export const BENCH_APP_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

/** A mysql2 pool as the API's: UTC, DATE columns as strings, READ COMMITTED per connection. */
export function createFloorPool(databaseUrl: string, connectionLimit: number): mysql.Pool {
  const pool = mysql.createPool({ uri: databaseUrl, connectionLimit, timezone: 'Z', dateStrings: ['DATE'] });
  pool.pool.on('connection', (connection) => void connection.promise().query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'));
  return pool;
}

/**
 * The reset transaction, statement for statement as the API sends it (see PatientDeskActionRunner,
 * PortalAccountResetService, RegistrationInvitationIssuer, AuditLogService), straight on mysql2:
 * what the database and the driver alone cost. Connections are READ COMMITTED per session, as the
 * API's are.
 */
export async function floorReset(pool: mysql.Pool, practiceId: string, staffId: string, patientId: string): Promise<void> {
  // As UnitOfWork does: a deadlock victim is run again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await floorResetOnce(pool, practiceId, staffId, patientId);
    } catch (error) {
      if (attempt >= 3 || (error as { errno?: number }).errno !== 1213) throw error;
    }
  }
}

async function floorResetOnce(pool: mysql.Pool, practiceId: string, staffId: string, patientId: string): Promise<void> {
  const connection = await pool.getConnection();
  try {
    await connection.query('START TRANSACTION');
    const now = new Date();
    const [[state]] = (await connection.query(
      `SELECT p.*, a.id AS a_id, a.username AS a_username, a.status AS a_status, i.id AS i_id, i.expiresAt AS i_expiresAt,
         (SELECT COUNT(*) FROM password_reset_requests r WHERE r.patientId = p.id AND r.status = 'pending') AS pendingPasswordResets
       FROM patients p
       LEFT JOIN portal_accounts a ON a.patientId = p.id AND a.openMarker = 1
       LEFT JOIN registration_invitations i ON i.patientId = p.id AND i.pendingMarker = 1
       WHERE p.practiceId = ? AND p.id = ? FOR UPDATE`,
      [practiceId, patientId],
    )) as any;
    const [entriesBefore] = await connection.query('SELECT * FROM clinical_entries WHERE patientId = ? AND practiceId = ?', [patientId, practiceId]);
    const before = createHash('sha256')
      .update(JSON.stringify([state.mrn, state.email, entriesBefore]))
      .digest('hex');
    if (state.a_id) {
      await connection.query(
        "UPDATE portal_accounts SET status = 'closed', openMarker = NULL, closeReason = 'reset', closedAt = ?, passwordHash = NULL, securityQuestion = NULL, securityAnswerHash = NULL, updatedAt = ? WHERE id = ?",
        [now, now, state.a_id],
      );
      await connection.query('UPDATE portal_sessions SET revokedAt = ? WHERE portalAccountId = ? AND revokedAt IS NULL', [now, state.a_id]);
    }
    if (Number(state.pendingPasswordResets)) {
      await connection.query(
        "UPDATE password_reset_requests SET status = 'revoked', revokedAt = ? WHERE patientId = ? AND practiceId = ? AND status = 'pending'",
        [now, patientId, practiceId],
      );
    }
    if (state.i_id) {
      await connection.query("UPDATE registration_invitations SET status = 'revoked', pendingMarker = NULL, revokedAt = ? WHERE id = ?", [now, state.i_id]);
    }
    const invitationId = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const pin = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await connection.query(
      'INSERT INTO registration_invitations (id, practiceId, patientId, tokenHash, pinHash, status, pendingMarker, sentTo, expiresAt, failedAttempts, verifiedAt, verifiedBy, usedAt, revokedAt, lockedAt, portalAccountId, createdByStaffId, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        invitationId,
        practiceId,
        patientId,
        createHash('sha256').update(token).digest('hex'),
        createHmac('sha256', BENCH_APP_SECRET).update(pin).digest('hex'),
        'pending',
        1,
        state.email,
        new Date(now.getTime() + 72 * 3600_000),
        0,
        null,
        null,
        null,
        null,
        null,
        null,
        staffId,
        now,
      ],
    );
    await connection.query(
      'INSERT INTO outbox_messages (id, practiceId, patientId, channel, template, toAddress, subjectType, subjectId, sealedSecret, status, attempts, maxAttempts, nextAttemptAt, claimedUntil, lastError, subject, providerMessageId, sentAt, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        randomUUID(),
        practiceId,
        patientId,
        'email',
        'registration-email',
        state.email,
        'registration_invitation',
        invitationId,
        token,
        'queued',
        0,
        8,
        now,
        null,
        null,
        null,
        null,
        null,
        now,
        now,
      ],
    );
    const [chartAfter] = (await connection.query(
      'SELECT p.*, e.id AS e_id, e.kind AS e_kind, e.description AS e_description FROM patients p LEFT JOIN clinical_entries e ON e.patientId = p.id AND e.practiceId = p.practiceId WHERE p.id = ? AND p.practiceId = ?',
      [patientId, practiceId],
    )) as any;
    const after = createHash('sha256')
      .update(JSON.stringify([chartAfter[0].mrn, chartAfter[0].email, entriesBefore]))
      .digest('hex');
    if (after !== before) throw new Error('checksum changed');
    const [[head]] = (await connection.query('SELECT * FROM audit_chain_heads WHERE practiceId = ? FOR UPDATE', [practiceId])) as any;
    const seq = head.lastSeq + 1;
    const details = JSON.stringify({ before, after, invitationId });
    const hash = createHash('sha256')
      .update(JSON.stringify([practiceId, seq, details, head.lastHash]))
      .digest('hex');
    await connection.query(
      'INSERT INTO audit_events (id, practiceId, seq, action, actorType, actorId, actorName, patientId, reason, details, ip, userAgent, createdAt, hash, prevHash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        randomUUID(),
        practiceId,
        seq,
        'portal.reset',
        'staff',
        staffId,
        'Bench',
        patientId,
        'forgot_credentials',
        details,
        '127.0.0.1',
        'bench',
        now,
        hash,
        head.lastHash,
      ],
    );
    await connection.query('UPDATE audit_chain_heads SET lastSeq = ?, lastHash = ? WHERE practiceId = ?', [seq, hash, practiceId]);
    await connection.query('COMMIT');
  } catch (error) {
    await connection.query('ROLLBACK');
    throw error;
  } finally {
    connection.release();
  }
}
