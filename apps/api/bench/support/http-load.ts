import { Agent, IncomingHttpHeaders, request } from 'node:http';

/**
 * The client side of a load run, kept lean on purpose: on a 2-core machine the load generator
 * shares the CPU with the server and the database, and `fetch` (WHATWG streams, Headers objects)
 * costs several times what a keep-alive `http.request` does, which would be measured as the
 * server's latency.
 */
export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface LoadOptions {
  concurrency: number;
  /** No new request starts after this many seconds (a pathological plan must not take hours). */
  budgetSeconds?: number;
  /** A request unanswered after this long fails with an error. */
  timeoutMs?: number;
  /** Sees each answer (status, headers, body) as it completes. */
  onResponse?: (response: LoadResponse, index: number) => void;
}

export interface LoadRun {
  /** Milliseconds of each completed request, in completion order. */
  latencies: number[];
  /** Requests that answered, with their index in the input. */
  completed: number;
  /** Requests never issued because the budget ran out. */
  skipped: number;
  errors: string[];
  wallSeconds: number;
}

export function sendRequest(agent: Agent, baseUrl: URL, req: LoadRequest, timeoutMs: number): Promise<LoadResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const outgoing = request(
      { agent, host: baseUrl.hostname, port: baseUrl.port, method: req.method, path: req.path, headers, timeout: timeoutMs },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') }));
        incoming.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** Issues `requests` in order from `concurrency` parallel keep-alive connections. */
export async function runHttpLoad(baseUrl: string, requests: LoadRequest[], options: LoadOptions): Promise<LoadRun> {
  const base = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const run: LoadRun = { latencies: [], completed: 0, skipped: 0, errors: [], wallSeconds: 0 };
  const started = performance.now();
  const deadline = started + (options.budgetSeconds ?? Infinity) * 1000;
  let next = 0;

  async function client(): Promise<void> {
    while (next < requests.length && performance.now() < deadline) {
      const index = next++;
      const begin = performance.now();
      try {
        const response = await sendRequest(agent, base, requests[index]!, timeoutMs);
        run.latencies.push(performance.now() - begin);
        run.completed++;
        options.onResponse?.(response, index);
      } catch (error) {
        run.latencies.push(performance.now() - begin);
        if (run.errors.length < 20) run.errors.push(`${requests[index]!.method} ${requests[index]!.path}: ${(error as Error).message}`);
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: options.concurrency }, client));
  } finally {
    agent.destroy();
  }
  run.skipped = requests.length - next;
  run.wallSeconds = (performance.now() - started) / 1000;
  return run;
}
