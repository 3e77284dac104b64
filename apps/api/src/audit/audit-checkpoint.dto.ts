import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';

/** A checkpoint as GET /api/audit-events/checkpoint gave it, sent back to be checked. */
export class AuditCheckpointDto {
  @ApiProperty({ example: '7d3b2a6e-1c9f-4f55-9d0e-2b1e8c5a4f10' })
  @MaxLength(36, { message: 'practiceId is not a practice id.' })
  @IsString({ message: 'practiceId is not a practice id.' })
  practiceId: string;

  @ApiProperty({ example: 1234 })
  @Min(0, { message: 'seq must be a whole number from 0.' })
  @IsInt({ message: 'seq must be a whole number from 0.' })
  seq: number;

  @ApiProperty({ example: '3f5a…', nullable: true })
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/, { message: 'hash must be 64 lowercase hex digits.' })
  @IsString({ message: 'hash must be 64 lowercase hex digits.' })
  hash: string | null;

  @ApiProperty({ example: '2026-12-06T05:00:00.000Z' })
  @IsISO8601({ strict: true }, { message: 'signedAt must be an ISO date-time.' })
  @IsString({ message: 'signedAt must be an ISO date-time.' })
  signedAt: string;

  @ApiProperty({ description: 'Compact JWS (EdDSA) over {practiceId, seq, hash, signedAt}' })
  @MaxLength(2000, { message: 'signature is not a checkpoint signature.' })
  @IsString({ message: 'signature is not a checkpoint signature.' })
  signature: string;
}
