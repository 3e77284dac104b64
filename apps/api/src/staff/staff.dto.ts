import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Allow, IsBoolean, IsEmail, IsIn, IsNotEmpty, IsString, MaxLength, ValidateIf } from 'class-validator';
import { STAFF_ROLES, type StaffRole } from '@resetdesk/contracts';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const ROLE_MESSAGE = `Choose a role: ${STAFF_ROLES.join(' or ')}.`;
/** Bounds the work argon2 and the strength check do; the policy itself says 128 at most. */
const PASSWORD_INPUT_MAX = 1024;

export class CreateStaffDto {
  @ApiProperty({ example: 'jordan.lee@maplegrove.test' })
  @MaxLength(254, { message: 'That email address is too long.' })
  @IsEmail({}, { message: 'Enter a valid email address, e.g. name@clinic.org.' })
  @IsString({ message: 'Enter the email address.' })
  @Transform(trim)
  email: string;

  @ApiProperty({ example: 'Jordan Lee' })
  @MaxLength(160, { message: 'Use at most 160 characters for the name.' })
  @IsNotEmpty({ message: 'Enter the name.' })
  @IsString({ message: 'Enter the name.' })
  @Transform(trim)
  name: string;

  @ApiProperty({ enum: STAFF_ROLES, example: 'front_desk' })
  @IsIn(STAFF_ROLES, { message: ROLE_MESSAGE })
  role: StaffRole;

  @ApiProperty({ description: 'Initial password: 12 to 128 characters, not common or guessable', example: 'maple-otter-lantern-42' })
  @MaxLength(PASSWORD_INPUT_MAX, { message: 'Use at most 128 characters.' })
  @IsString({ message: 'Enter an initial password.' })
  password: string;
}

/**
 * react-admin's `update` PUTs the whole record back, so the read-only fields of a staff item are
 * accepted here and never applied. The email address is the sign-in name and cannot be changed:
 * sending a different one is refused rather than silently dropped.
 */
export class UpdateStaffDto {
  @ApiPropertyOptional({ example: 'Jordan Lee' })
  @MaxLength(160, { message: 'Use at most 160 characters for the name.' })
  @IsNotEmpty({ message: 'Enter the name.' })
  @IsString({ message: 'Enter the name.' })
  @ValidateIf((dto: UpdateStaffDto) => dto.name !== undefined)
  @Transform(trim)
  name?: string;

  @ApiPropertyOptional({ enum: STAFF_ROLES })
  @IsIn(STAFF_ROLES, { message: ROLE_MESSAGE })
  @ValidateIf((dto: UpdateStaffDto) => dto.role !== undefined)
  role?: StaffRole;

  @ApiPropertyOptional({ description: 'false deactivates the account and ends its sessions' })
  @IsBoolean({ message: 'Active must be true or false.' })
  @ValidateIf((dto: UpdateStaffDto) => dto.active !== undefined)
  active?: boolean;

  @ApiPropertyOptional({ description: 'A new password for this staff member; ends their other sessions' })
  @MaxLength(PASSWORD_INPUT_MAX, { message: 'Use at most 128 characters.' })
  @IsString({ message: 'Enter the new password.' })
  @ValidateIf((dto: UpdateStaffDto) => dto.password !== undefined)
  password?: string;

  @ApiPropertyOptional({ type: String, description: 'Read-only: must equal the current address when sent' })
  @Allow()
  email?: unknown;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Read-only, ignored' })
  @Allow()
  id?: unknown;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Read-only, ignored' })
  @Allow()
  createdAt?: unknown;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Read-only, ignored' })
  @Allow()
  lastLoginAt?: unknown;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Read-only, ignored' })
  @Allow()
  practiceId?: unknown;
}
