import assert from 'node:assert/strict';
import type { TestApp } from '../support/test-app';

/**
 * RFC 4180 reader, written out here so the export is checked by something other than the code
 * that wrote it: quoted fields, doubled quotes, commas and line breaks inside quotes, CRLF rows.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
      continue;
    }
    if (c === '"') {
      assert.equal(field, '', `a quote in the middle of an unquoted field in row ${rows.length + 1}`);
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else {
      assert.ok(c !== '\n' && c !== '\r', `a bare line break outside quotes in row ${rows.length + 1}`);
      field += c;
      i++;
    }
  }
  assert.equal(quoted, false, 'the file ends inside a quoted field');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** The CSV as records keyed by the header row; the header must come first. */
export function csvRecords(text: string): { header: string[]; records: Record<string, string>[] } {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const [header, ...rows] = parseCsv(body);
  assert.ok(header, 'the CSV has a header row');
  for (const [index, row] of rows.entries()) {
    assert.equal(row.length, header.length, `row ${index + 2} has ${row.length} cells, the header ${header.length}`);
  }
  return { header, records: rows.map((row) => Object.fromEntries(header.map((name, k) => [name, row[k]!]))) };
}

export type Row = Record<string, any>;

export function sql(t: TestApp, query: string, params: unknown[] = []): Promise<Row[]> {
  return t.dataSource.query(query, params);
}

/** Runs a statement over the harness's own root connection, outside the application entirely. */
export async function tamper(t: TestApp, statement: string, params: unknown[] = []): Promise<void> {
  await t.db.admin.query(`USE \`${t.db.name}\``);
  // Stored datetimes are UTC; this connection would otherwise write Dates in the process's zone.
  const values = params.map((p) => (p instanceof Date ? p.toISOString().replace('T', ' ').replace('Z', '') : p));
  await t.db.admin.query(statement, values);
}

/** The same string with one character (the middle one) replaced by another. */
export function oneCharacterChanged(value: string): string {
  const at = Math.floor(value.length / 2);
  const replacement = value[at] === 'a' ? 'b' : 'a';
  return value.slice(0, at) + replacement + value.slice(at + 1);
}

/** Midnight starting the given day in an IANA zone, found by stepping hours (zones change on the hour). */
export function midnightIn(timeZone: string, date: string): Date {
  const format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' });
  const start = Date.parse(`${date}T00:00:00Z`) - 24 * 3_600_000;
  for (let h = 0; h < 72; h++) {
    const instant = new Date(start + h * 3_600_000);
    const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
    if (`${parts.year}-${parts.month}-${parts.day}` === date) return instant;
  }
  throw new Error(`no midnight found for ${date} in ${timeZone}`);
}

export function todayIn(timeZone: string, now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}
