import { runHttpLoad } from './http-load';

/**
 * The HTTP client side of a latency run, in its own process so that issuing requests and parsing
 * responses neither queues behind the server on the app's event loop nor shares its heap and
 * garbage collector (a worker thread did both, and added a few milliseconds to the server's p95).
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
  const totals: number[] = [];
  const ok: boolean[] = [];
  const errors: string[] = [];
  // Keep-alive http.request, not fetch: on 2 cores the client's CPU is taken from the server.
  const loadRun = await runHttpLoad(
    job.baseUrl,
    job.paths.map((path) => ({ method: 'GET', path, headers: { cookie: job.cookie, accept: 'application/json' } })),
    {
      concurrency: job.concurrency,
      budgetSeconds: job.budgetSeconds,
      timeoutMs: job.timeoutSeconds * 1000,
      onResponse: (response, index) => {
        const answered = response.status === 200;
        ok.push(answered);
        const range = /\/(\d+)$/.exec(String(response.headers['content-range'] ?? ''));
        totals.push(answered && range ? Number(range[1]) : -1);
        if (!answered && errors.length < 20) errors.push(`${response.status} ${job.paths[index]}: ${response.body.slice(0, 200)}`);
      },
    },
  );
  // Requests that never answered (timeouts, resets) are failures with their latency kept.
  for (const error of loadRun.errors) {
    if (errors.length < 20) errors.push(error);
  }
  const unanswered = loadRun.latencies.length - loadRun.completed;
  for (let i = 0; i < unanswered; i++) {
    ok.push(false);
    totals.push(-1);
  }
  return { latencies: loadRun.latencies, ok, totals, skipped: loadRun.skipped, errors, wallSeconds: loadRun.wallSeconds };
}

// Forked by the bench: one job in, one outcome out, then exit.
if (process.send) {
  process.once('message', (job: LoadJob) => {
    run(job).then(
      (outcome) => process.send!(outcome, () => process.exit(0)),
      (error: Error) => process.send!({ latencies: [], ok: [], totals: [], skipped: 0, errors: [error.message], wallSeconds: 0 }, () => process.exit(0)),
    );
  });
}
