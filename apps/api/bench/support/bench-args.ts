/** A mistake on the command line: reported as a message and the usage, not a stack trace. */
export class BenchUsageError extends Error {}

/**
 * Tiny flag parser for the benchmarks: `--name value`, `--name=value` and boolean `--flag`.
 * Counts accept `100k`, `1m` and `1_000_000`, because nobody wants to type six zeros twice.
 */
export class BenchArgs {
  private readonly values = new Map<string, string | true>();

  constructor(
    argv: string[],
    private readonly known: Record<string, 'count' | 'flag' | 'string'>,
  ) {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === '--help' || arg === '-h') {
        this.values.set('help', true);
        continue;
      }
      const match = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(arg);
      if (!match) throw new BenchUsageError(`Unexpected argument "${arg}"`);
      const name = match[1]!;
      const kind = known[name];
      if (!kind)
        throw new BenchUsageError(
          `Unknown option --${name}. Options: ${Object.keys(known)
            .map((k) => '--' + k)
            .join(', ')}`,
        );
      if (kind === 'flag') {
        this.values.set(name, true);
      } else {
        const value = match[2] ?? argv[++i];
        if (value === undefined) throw new BenchUsageError(`--${name} needs a value`);
        this.values.set(name, value);
      }
    }
  }

  get help(): boolean {
    return this.values.has('help');
  }

  flag(name: string): boolean {
    return this.values.get(name) === true;
  }

  string(name: string, fallback: string): string {
    const value = this.values.get(name);
    return typeof value === 'string' ? value : fallback;
  }

  count(name: string, fallback: number, min = 1): number {
    const raw = this.values.get(name);
    if (typeof raw !== 'string') return fallback;
    const match = /^(\d[\d_]*(?:\.\d+)?)([km]?)$/i.exec(raw.trim());
    const scale = { '': 1, k: 1_000, m: 1_000_000 }[(match?.[2] ?? '').toLowerCase() as '' | 'k' | 'm'];
    const value = match ? Math.round(Number(match[1]!.replace(/_/g, '')) * scale) : NaN;
    if (!Number.isInteger(value) || value < min) throw new BenchUsageError(`--${name} must be a whole number ≥ ${min} (got "${raw}")`);
    return value;
  }
}
