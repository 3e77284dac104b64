import { AddressInfo, createServer } from 'node:net';

/** A TCP port nobody listens on right now, for a server a test starts as a child process. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((closed) => server.close(() => closed()));
  return port;
}
