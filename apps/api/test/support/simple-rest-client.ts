import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The console's data provider, react-admin's real `ra-data-simple-rest`, driven from Node against
 * the running API. It is an ES module: tsc turns `import()` into `require()` in this CommonJS
 * build, so the import goes through a Function to stay a real dynamic import.
 */
export interface SimpleRestProvider {
  getList(
    resource: string,
    params: { pagination: { page: number; perPage: number }; sort: { field: string; order: 'ASC' | 'DESC' }; filter: object },
  ): Promise<{ data: any[]; total?: number }>;
  getOne(resource: string, params: { id: string }): Promise<{ data: any }>;
  getMany(resource: string, params: { ids: string[] }): Promise<{ data: any[] }>;
}

export interface FetchJsonResult {
  status: number;
  headers: Headers;
  body: string;
  json: any;
}

export type HttpClient = (url: string, options?: RequestInit & { headers?: Headers | Record<string, string> }) => Promise<FetchJsonResult>;

/** What ra-core's HttpError carries: react-admin shows `message` and reads `status` and `body`. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: any,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<any>;

function resolveSimpleRest(): string | null {
  try {
    return require.resolve('ra-data-simple-rest');
  } catch {
    return null;
  }
}

const ci = /^(1|true)$/i.test(process.env.CI || '');

/** Skip reason for a laptop without the package; under CI=true a missing package fails instead. */
export const simpleRestSkip: string | false =
  resolveSimpleRest() || ci
    ? false
    : 'ra-data-simple-rest is not installed (add it as a devDependency of @resetdesk/api, or set NODE_PATH to a node_modules that has it)';

export async function loadSimpleRestProvider(): Promise<(apiUrl: string, httpClient: HttpClient) => SimpleRestProvider> {
  const entry = resolveSimpleRest();
  if (!entry) throw new Error('ra-data-simple-rest is not installed: add it as a devDependency of @resetdesk/api');
  // Prefer the package's ES module build (what Vite bundles into the console) over its CJS twin.
  const esm = join(dirname(entry), 'index.js');
  const mod = await dynamicImport(pathToFileURL(existsSync(esm) ? esm : entry).href);
  const factory = typeof mod.default === 'function' ? mod.default : mod.default?.default;
  if (typeof factory !== 'function') throw new Error(`ra-data-simple-rest at ${entry} has no default export`);
  return factory;
}

/**
 * A `fetchUtils.fetchJson`-compatible client on global fetch, carrying a staff session the way
 * the browser's cookie jar does for the console.
 */
export function sessionHttpClient(cookies: readonly string[], onResponse?: (response: Response) => void): HttpClient {
  return async (url, options = {}) => {
    const headers = new Headers(options.headers as ConstructorParameters<typeof Headers>[0]);
    if (!headers.has('Accept')) headers.set('Accept', 'application/json');
    if (options.body && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
    headers.set('Cookie', cookies.join('; '));
    const response = await fetch(url, { ...options, headers });
    onResponse?.(response);
    const body = await response.text();
    let json: any;
    try {
      json = body ? JSON.parse(body) : undefined;
    } catch {
      json = undefined;
    }
    if (response.status < 200 || response.status >= 300) {
      throw new HttpError(json?.message ?? response.statusText, response.status, json);
    }
    return { status: response.status, headers: response.headers, body, json };
  };
}
