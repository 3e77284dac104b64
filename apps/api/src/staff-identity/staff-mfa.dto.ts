import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class MfaCodeDto {
  @ApiProperty({ example: '123456', description: 'The 6-digit code from the authenticator app, or a recovery code' })
  @MaxLength(64, { message: 'That code is too long.' })
  @MinLength(1, { message: 'Enter the code.' })
  @IsString({ message: 'Enter the code.' })
  code: string;
}
