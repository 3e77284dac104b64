import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { IDENTITY_VERIFICATION_METHODS, RESET_REASONS, type IdentityVerificationMethod, type ResetReason } from '@resetdesk/contracts';

export class PortalResetDto {
  @ApiProperty({ enum: RESET_REASONS })
  @IsIn(RESET_REASONS, { message: `Choose a reason: ${RESET_REASONS.join(', ')}.` })
  reason: ResetReason;

  @ApiProperty({ enum: IDENTITY_VERIFICATION_METHODS })
  @IsIn(IDENTITY_VERIFICATION_METHODS, { message: `Choose how you verified the caller's identity: ${IDENTITY_VERIFICATION_METHODS.join(', ')}.` })
  identityVerification: IdentityVerificationMethod;

  @ApiPropertyOptional({ maxLength: 500, description: "Required when reason or identityVerification is 'other'." })
  @IsOptional()
  @MaxLength(500, { message: 'Keep the note under 500 characters.' })
  @IsString({ message: 'The note must be text.' })
  note?: string | null;
}
