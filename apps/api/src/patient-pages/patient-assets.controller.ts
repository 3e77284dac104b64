import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Public } from '../auth/auth.decorators';
import { patientPagesViewsDir } from './patient-page-renderer';

/** The patient pages' one stylesheet, served from our own origin (the CSP allows nothing else). */
@ApiExcludeController()
@Public()
@Controller('assets')
export class PatientAssetsController {
  private readonly stylesheet = readFileSync(join(patientPagesViewsDir(), 'patient.css'));

  @Get('patient.css')
  css(@Res() response: Response): void {
    response.type('text/css').setHeader('Cache-Control', 'public, max-age=3600');
    response.send(this.stylesheet);
  }
}

/**
 * The icon browsers ask for on every patient page (`/favicon.ico` by default): an answer instead
 * of a 404 in the log of every visit. SVG, which every current browser accepts under that name.
 */
@ApiExcludeController()
@Public()
@Controller()
export class FaviconController {
  private readonly icon = readFileSync(join(patientPagesViewsDir(), 'favicon.svg'));

  @Get(['favicon.ico', 'assets/favicon.svg'])
  send(@Res() response: Response): void {
    response.type('image/svg+xml').setHeader('Cache-Control', 'public, max-age=86400');
    response.send(this.icon);
  }
}
