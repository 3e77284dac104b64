import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { FhirResource } from './fhir-mapping';

/* stream-json is ESM-only; Node ≥ 20.19 loads it through require. Typed here by what is used. */
type Stage = unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const streamJsonParser = require('stream-json/parser.js') as { parser: (options?: object) => Stage };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { pick } = require('stream-json/filters/pick.js') as { pick: (options: { filter: string }) => Stage };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { streamArray } = require('stream-json/streamers/stream-array.js') as { streamArray: () => Stage };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { chain } = require('stream-chain') as { chain: (stages: Stage[]) => NodeJS.ReadWriteStream & AsyncIterable<unknown> };

export type ImportFormat = 'ndjson' | 'bundle' | 'errors';

/** One readable input of an import: an NDJSON file, a Bundle, or a Bulk Data `error` file (OperationOutcome lines). */
export interface ImportInput {
  fileName: string;
  stream: Readable | AsyncIterable<string | Buffer>;
  /** Default: `bundle` for names ending `.json`, else `ndjson`. */
  format?: ImportFormat;
}

export interface SourceRecord {
  file: string;
  /** From 1: the line of an NDJSON file, the entry's position in a Bundle. */
  line: number;
  resource?: FhirResource;
  /** Why the record is not a resource (not JSON, no resourceType). */
  error?: string;
  /** An OperationOutcome of an `error` file: the EHR's own reject. */
  outcome?: string;
}

export function formatOf(input: Pick<ImportInput, 'fileName' | 'format'>): ImportFormat {
  return input.format ?? (/\.json$/i.test(input.fileName) ? 'bundle' : 'ndjson');
}

function asReadable(stream: ImportInput['stream']): Readable {
  return stream instanceof Readable ? stream : Readable.from(stream);
}

function asResource(value: unknown): { resource?: FhirResource; error?: string } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { error: 'not a JSON object' };
  const resourceType = (value as { resourceType?: unknown }).resourceType;
  if (typeof resourceType !== 'string' || !resourceType) return { error: 'no resourceType' };
  return { resource: value as FhirResource };
}

/** Line by line: memory holds one line at a time, whatever the file's size. */
async function* ndjsonRecords(input: ImportInput): AsyncGenerator<SourceRecord> {
  const lines = createInterface({ input: asReadable(input.stream), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    const trimmed = text.trim();
    if (!trimmed) continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      yield { file: input.fileName, line, error: 'not valid JSON' };
      continue;
    }
    yield { file: input.fileName, line, ...asResource(value) };
  }
}

/** A Bundle's entries one by one through a streaming parser: the Bundle is never held whole. */
async function* bundleRecords(input: ImportInput): AsyncGenerator<SourceRecord> {
  const pipeline = chain([asReadable(input.stream), streamJsonParser.parser(), pick({ filter: 'entry' }), streamArray()]);
  let line = 0;
  try {
    for await (const item of pipeline) {
      line++;
      const entry = (item as { value?: { resource?: unknown; fullUrl?: unknown } }).value;
      const result = asResource(entry?.resource);
      // A transaction Bundle may name a new Patient only by its fullUrl (urn:uuid:…).
      if (result.resource && result.resource.id === undefined && typeof entry?.fullUrl === 'string' && entry.fullUrl.startsWith('urn:uuid:')) {
        result.resource.id = entry.fullUrl.slice('urn:uuid:'.length);
      }
      yield { file: input.fileName, line, ...(result.error ? { error: `entry ${line}: ${result.error}` } : result) };
    }
  } catch (error) {
    yield { file: input.fileName, line: line + 1, error: `not a valid JSON Bundle (${(error as Error).message})` };
  }
}

async function* errorRecords(input: ImportInput): AsyncGenerator<SourceRecord> {
  for await (const record of ndjsonRecords(input)) {
    if (!record.resource) continue;
    const issues = (record.resource.issue as { diagnostics?: string; details?: { text?: string }; code?: string }[] | undefined) ?? [];
    const first = issues[0];
    yield {
      file: record.file,
      line: record.line,
      outcome: first?.diagnostics || first?.details?.text || first?.code || 'reported by the EHR as an export error',
    };
  }
}

export function readRecords(input: ImportInput): AsyncGenerator<SourceRecord> {
  switch (formatOf(input)) {
    case 'bundle':
      return bundleRecords(input);
    case 'errors':
      return errorRecords(input);
    default:
      return ndjsonRecords(input);
  }
}
