import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, Matches, ValidateIf } from 'class-validator';
import { STAFF_MFA_SETTINGS, type StaffMfaSetting } from '@resetdesk/contracts';

/** Each setting is optional: a PUT changes what it sends and leaves the rest as it is. */
export class UpdatePracticeSettingsDto {
  @ApiPropertyOptional({
    description:
      'Registration asks for a security question and recovery offers it. NIST 800-63B advises against knowledge-based recovery; off leaves the texted/voice code.',
    example: true,
  })
  @IsBoolean({ message: 'Choose on (true) or off (false) for security questions.' })
  @ValidateIf((dto: UpdatePracticeSettingsDto) => dto.allowSecurityQuestions !== undefined)
  allowSecurityQuestions?: boolean;

  @ApiPropertyOptional({
    enum: STAFF_MFA_SETTINGS,
    description: 'Staff two-step sign-in: required for everyone, or optional (only those who enrolled a factor)',
    example: 'required',
  })
  @IsIn(STAFF_MFA_SETTINGS, { message: 'Choose required or optional for two-step sign-in.' })
  @ValidateIf((dto: UpdatePracticeSettingsDto) => dto.staffMfa !== undefined)
  staffMfa?: StaffMfaSetting;

  @ApiPropertyOptional({
    description: 'The practice phone patients call, in E.164: named in every security notice ("If this wasn\'t you, call …") and on the patient pages',
    example: '+15035550100',
  })
  @Matches(/^\+[1-9]\d{7,14}$/, { message: 'Enter the phone in international form, for example +15035550100.' })
  @ValidateIf((dto: UpdatePracticeSettingsDto) => dto.phone !== undefined)
  phone?: string;
}
