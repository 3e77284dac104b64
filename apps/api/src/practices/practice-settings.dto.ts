import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';

export class UpdatePracticeSettingsDto {
  @ApiProperty({
    description: 'Registration asks for a security question and recovery offers it. NIST 800-63B advises against knowledge-based recovery; off leaves the texted/voice code.',
    example: true,
  })
  @IsBoolean({ message: 'Choose on (true) or off (false) for security questions.' })
  allowSecurityQuestions: boolean;
}
