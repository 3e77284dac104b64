import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Practice } from '../practices/practice.entity';
import { StaffUser } from '../staff/staff-user.entity';
import { AuthController } from './auth.controller';
import { LoginAttempt } from './login-attempt.entity';
import { SessionGuard } from './session.guard';
import { StaffAuthService } from './staff-auth.service';
import { StaffSession } from './staff-session.entity';
import { STAFF_IDENTITY_CONTROLLERS, STAFF_IDENTITY_PROVIDERS } from '../staff-identity/staff-identity.providers';

@Module({
  imports: [TypeOrmModule.forFeature([StaffUser, StaffSession, LoginAttempt, Practice])],
  controllers: [AuthController, ...STAFF_IDENTITY_CONTROLLERS],
  providers: [StaffAuthService, { provide: APP_GUARD, useClass: SessionGuard }, ...STAFF_IDENTITY_PROVIDERS],
  exports: [StaffAuthService],
})
export class AuthModule {}
