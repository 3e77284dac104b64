import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'desk@maplegrove.test' })
  @MaxLength(254, { message: 'That email address is too long.' })
  @MinLength(3, { message: 'Enter your email address.' })
  @IsString({ message: 'Enter your email address.' })
  email: string;

  @ApiProperty({ example: 'ResetDesk-demo-2026' })
  @MaxLength(256, { message: 'That password is too long.' })
  @MinLength(1, { message: 'Enter your password.' })
  @IsString({ message: 'Enter your password.' })
  password: string;
}
