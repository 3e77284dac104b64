/**
 * The floor behind a bare node:http server: the reset transaction of reset-floor.ts answered over
 * HTTP with no framework, no sign-in, no validation, no logging. bench:reset runs it in a child
 * process, as it runs the API, so the three figures differ by one layer each: the database
 * (floor), the HTTP transport on this machine (this), and everything ResetDesk adds (the API).
 *
 * Started by the bench with FLOOR_DATABASE_URL, FLOOR_PRACTICE_ID, FLOOR_STAFF_ID and
 * FLOOR_CONCURRENCY; tells its port over IPC.
 */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { createFloorPool, floorReset } from './reset-floor';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const pool = createFloorPool(env('FLOOR_DATABASE_URL'), Number(env('FLOOR_CONCURRENCY')));
const practiceId = env('FLOOR_PRACTICE_ID');
const staffId = env('FLOOR_STAFF_ID');
const route = /^\/api\/patients\/([0-9a-f-]{36})\/portal-reset$/;

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const patientId = route.exec(request.url ?? '')?.[1];
    if (request.method !== 'POST' || !patientId) {
      response.writeHead(404).end();
      return;
    }
    floorReset(pool, practiceId, staffId, patientId).then(
      () => {
        const body = JSON.stringify({ patientId });
        response.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      },
      (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(error.message),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
process.on('SIGTERM', () => {
  server.close();
  void pool.end().finally(() => process.exit(0));
});
