import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Roles } from '../auth/auth.decorators';
import { DomainException } from '../common/domain.exception';
import { contentRange, parseListQuery } from '../common/list-query';
import { iso } from '../common/masking';
import { RequestContext } from '../common/request-context';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { ChartImport, ChartImportFormat } from './chart-import.entity';
import { ChartImportRepository } from './chart-import.repository';
import { ChartImportJobs } from './chart-import-jobs';
import { ChartImportService, ISSUES_SHOWN } from './chart-import.service';

const CONTENT_TYPES: Record<string, ChartImportFormat> = {
  'application/fhir+ndjson': 'ndjson',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/fhir+json': 'bundle',
  'application/json': 'bundle',
};

export interface ChartImportView {
  id: string;
  status: ChartImport['status'];
  source: ChartImport['source'];
  fileName: string;
  actorName: string | null;
  counts: { patientsCreated: number; patientsUpdated: number; patientsUnchanged: number; entries: number; skipped: number; rejected: number };
  progress: { processed: number; total: number | null };
  warnings: number;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

type IssueView = { file: string; line: number; resourceType: string | null; resourceId: string | null; reason: string };

function toView(row: ChartImport): ChartImportView {
  return {
    id: row.id,
    status: row.status,
    source: row.source,
    fileName: row.fileName,
    actorName: row.actorName,
    counts: {
      patientsCreated: row.patientsCreated,
      patientsUpdated: row.patientsUpdated,
      patientsUnchanged: row.patientsUnchanged,
      entries: row.entries,
      skipped: row.skipped,
      rejected: row.rejected,
    },
    progress: { processed: row.processed, total: row.total },
    warnings: row.warnings,
    error: row.error,
    createdAt: iso(row.createdAt)!,
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
  };
}

/** `filename="a.ndjson"` or RFC 5987 `filename*=UTF-8''a%20b.ndjson`; only the last path segment is kept. */
export function dispositionFileName(header: string | undefined): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*[^']*'[^']*'([^;]+)/i.exec(header);
  let name: string | null = null;
  if (extended) {
    try {
      name = decodeURIComponent(extended[1]!.trim());
    } catch {
      name = null;
    }
  }
  if (!name) name = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header)?.[1]?.replace(/\\(.)/g, '$1') ?? /filename\s*=\s*([^;\s]+)/i.exec(header)?.[1] ?? null;
  const base = name
    ?.split(/[\\/]/)
    .pop()
    ?.replace(/[\u0000-\u001f\u007f]/g, '')
    .trim();
  return base ? Array.from(base).slice(0, 255).join('') : null;
}

/** Chart imports of the practice: uploads (queued as jobs), and the CLI's and the sync's runs. */
@ApiTags('imports')
@Roles('practice_admin')
@Controller('api/imports')
export class ChartImportsController {
  private readonly repository = new ChartImportRepository();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly importer: ChartImportService,
    private readonly jobs: ChartImportJobs,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Upload a FHIR R4 export to import (the file is the body: application/fhir+ndjson or application/x-ndjson for NDJSON, application/fhir+json or application/json for a Bundle)',
    description: 'Streamed to disk, up to IMPORT_MAX_MB; answers 202 {id, status} and runs as a job. The file name comes from Content-Disposition.',
  })
  async upload(@Req() request: Request): Promise<{ id: string; status: string }> {
    const staff = RequestContext.staff();
    const mediaType = String(request.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    const format = CONTENT_TYPES[mediaType];
    if (!format) {
      request.resume();
      throw new DomainException(
        'unsupported_media_type',
        'Send the export as application/fhir+ndjson or application/x-ndjson (NDJSON), or application/fhir+json or application/json (a Bundle).',
      );
    }
    const maxBytes = this.config.chartImport.maxMb * 1024 * 1024;
    const tooLarge = () => new DomainException('too_large', `The file is larger than the import limit of ${this.config.chartImport.maxMb} MB (IMPORT_MAX_MB).`);
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      request.resume();
      throw tooLarge();
    }
    const folder = join(this.config.dataDir, 'imports');
    mkdirSync(folder, { recursive: true });
    const path = join(folder, `${randomUUID()}.upload`);
    let bytes = 0;
    let lines = 0;
    let lastByte = 10;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        if (bytes > maxBytes) return done(tooLarge());
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        lastByte = chunk[chunk.length - 1] ?? lastByte;
        done(null, chunk);
      },
    });
    try {
      await pipeline(request, counter, createWriteStream(path));
    } catch (error) {
      rmSync(path, { force: true });
      if (error instanceof DomainException) {
        request.resume();
        throw error;
      }
      throw new DomainException('bad_request', 'The upload was interrupted before the whole file arrived; try again.');
    }
    if (bytes === 0) {
      rmSync(path, { force: true });
      throw new DomainException('bad_request', 'The upload is empty: send the export file as the request body.');
    }
    const fileName = dispositionFileName(request.headers['content-disposition']) ?? (format === 'ndjson' ? 'upload.ndjson' : 'upload.json');
    const row = await this.importer.createImport({
      practiceId: staff.practiceId,
      source: 'upload',
      fileName,
      format,
      filePath: path,
      total: format === 'ndjson' ? lines + (lastByte === 10 ? 0 : 1) : null,
      actor: { type: 'staff', id: staff.id, name: staff.name },
    });
    this.jobs.notify();
    return { id: row.id, status: row.status };
  }

  @Get()
  @ApiOperation({ summary: 'Imports of the practice, newest first (ra-data-simple-rest protocol; Content-Range header)' })
  @ApiQuery({ name: 'range', required: false, example: '[0,24]' })
  @ApiQuery({ name: 'sort', required: false, example: '["createdAt","DESC"]' })
  async list(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) response: Response): Promise<ChartImportView[]> {
    const listQuery = parseListQuery(query, { sortable: ['createdAt', 'id'], filters: [], defaultSort: { field: 'createdAt', order: 'DESC' } });
    const { items, total } = await this.repository.listImports(
      this.uow.dataSource.manager,
      RequestContext.practiceId(),
      listQuery.offset,
      listQuery.limit,
      listQuery.sort?.order ?? 'DESC',
    );
    response.setHeader('Content-Range', contentRange('imports', listQuery.offset, items.length, total));
    return items.map(toView);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One import with live progress and its first 100 rejects (file, line, resourceType, resourceId, reason) and warnings' })
  async get(@Param('id') id: string): Promise<ChartImportView & { rejects: IssueView[]; warningList: IssueView[] }> {
    const manager = this.uow.dataSource.manager;
    const row = await this.repository.findImport(manager, id, RequestContext.practiceId());
    if (!row) throw DomainException.notFound('import');
    const [rejects, warnings] = await Promise.all([
      this.repository.listIssues(manager, id, 'reject', ISSUES_SHOWN),
      this.repository.listIssues(manager, id, 'warning', ISSUES_SHOWN),
    ]);
    const issue = (i: IssueView) => ({ file: i.file, line: i.line, resourceType: i.resourceType, resourceId: i.resourceId, reason: i.reason });
    return { ...toView(row), rejects: rejects.map(issue), warningList: warnings.map(issue) };
  }
}
