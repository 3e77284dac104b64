import { parentPort, workerData } from 'node:worker_threads';

/**
 * The HTTP client side of a latency run, in its own thread so that issuing requests and parsing
 * responses does not queue behind the server on the app's event loop (and inflate its numbers).
 */
export interface LoadJob {
  baseUrl: string;
  cookie: string;
  /** Request paths, issued in order by `concurrency` parallel clients. */
  paths: string[];
  concurrency: number;
  /** No new request starts after this many seconds: a pathological plan must not take hours. */
  budgetSeconds: number;
  /** A request still unanswered after this long counts as failed. */
  timeoutSeconds: number;
}

export interface LoadOutcome {
  /** Milliseconds of each completed request, in completion order. */
  latencies: number[];
  /** Whether each completed request answered 200. */
  ok: boolean[];
  /** `total` of each completed response's Content-Range; -1 when it had none. */
  totals: number[];
  /** Paths never issued because the budget ran out. */
  skipped: number;
  errors: string[];
  wallSeconds: number;
}

async function run(job: LoadJob): Promise<LoadOutcome> {
  const outcome: LoadOutcome = { latencies: [], ok: [], totals: [], skipped: 0, errors: [], wallSeconds: 0 };
  const started = performance.now();
  const deadline = started + job.budgetSeconds * 1000;
  let next = 0;

  async function client(): Promise<void> {
    while (next < job.paths.length && performance.now() < deadline) {
      const path = job.paths[next++]!;
      const begin = performance.now();
      let ok = false;
      let total = -1;
      try {
        const response = await fetch(job.baseUrl + path, {
          headers: { cookie: job.cookie, accept: 'application/json' },
          signal: AbortSignal.timeout(job.timeoutSeconds * 1000),
        });
        const body = await response.text();
        if (response.status === 200) {
          ok = true;
          const range = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
          total = range ? Number(range[1]) : -1;
        } else if (outcome.errors.length < 20) {
          outcome.errors.push(`${response.status} ${path}: ${body.slice(0, 200)}`);
        }
      } catch (error) {
        if (outcome.errors.length < 20) outcome.errors.push(`${path}: ${(error as Error).message}`);
      }
      outcome.latencies.push(performance.now() - begin);
      outcome.ok.push(ok);
      outcome.totals.push(total);
    }
  }

  await Promise.all(Array.from({ length: job.concurrency }, client));
  outcome.skipped = job.paths.length - next;
  outcome.wallSeconds = (performance.now() - started) / 1000;
  return outcome;
}

if (parentPort) {
  run(workerData as LoadJob).then(
    (outcome) => parentPort!.postMessage(outcome),
    (error: Error) => parentPort!.postMessage({ latencies: [], ok: [], totals: [], skipped: 0, errors: [error.message], wallSeconds: 0 }),
  );
}
