import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class MfaCodeDto {
  @ApiProperty({ example: '123456', description: 'The 6-digit code from the authenticator app, or a recovery code' })
  @MaxLength(64, { message: 'That code is too long.' })
  @MinLength(1, { message: 'Enter the code.' })
  @IsString({ message: 'Enter the code.' })
  code: string;
}

export class PasskeyResponseDto {
  @ApiProperty({ description: "The browser's WebAuthn answer as JSON (what @simplewebauthn/browser returns)" })
  @IsObject({ message: 'Send the passkey answer.' })
  response: Record<string, unknown>;
}

export class PasskeyRegistrationDto extends PasskeyResponseDto {
  @ApiPropertyOptional({ example: 'Front desk laptop' })
  @MaxLength(100, { message: 'Use at most 100 characters for the name.' })
  @IsString()
  @IsOptional()
  name?: string;
}
