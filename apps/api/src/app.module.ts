import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from './auth/auth.module';
import { CommonModule } from './common/common.module';
import { GlobalExceptionFilter } from './common/global-exception.filter';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { buildDataSourceOptions } from './database/data-source-options';
import { HealthController } from './health/health.controller';
import { PasswordsModule } from './passwords/passwords.module';
import { PatientsModule } from './patients/patients.module';
import { AuditModule } from './audit/audit.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { EhrSyncModule } from './ehr-sync/ehr-sync.module';
import { OutboxModule } from './outbox/outbox.module';
import { NotificationsModule } from './notifications/notifications.module';
import { PortalResetModule } from './portal-reset/portal-reset.module';
import { RegistrationModule } from './registration/registration.module';
import { StaffModule } from './staff/staff.module';
import { PatientAuthModule } from './patient-auth/patient-auth.module';
import { PasswordResetsModule } from './password-resets/password-resets.module';
import { PracticeSettingsModule } from './practices/practice-settings.module';
import { OidcModule } from './oidc/oidc.module';
import { ChartImportModule } from './chart-import/chart-import.module';
import { PortalAccessModule } from './oidc/portal-access.module';
import { DemoPortalModule } from './demo-portal/demo-portal.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            genReqId: (req) => (req as unknown as { id: string }).id,
            redact: {
              paths: ['req.headers.cookie', 'req.headers.authorization', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]'],
              censor: '[redacted]',
            },
            // Registration and reset links carry their token in the path: never log it.
            serializers: {
              req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactTokenPaths(req.url) }),
            },
            autoLogging: { ignore: (req) => req.url === '/api/health' },
          },
        }),
        TypeOrmModule.forRoot(buildDataSourceOptions(config.database)),
        CommonModule,
        PasswordsModule,
        AuthModule,
        PatientsModule,
        OutboxModule,
        NotificationsModule,
        PortalResetModule,
        RegistrationModule,
        AuditModule,
        StaffModule,
        DashboardModule,
        PatientAuthModule,
        PasswordResetsModule,
        PracticeSettingsModule,
        PortalAccessModule,
        OidcModule,
        DemoPortalModule.forEnv(config.env),
        ChartImportModule,
        EhrSyncModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: APP_FILTER, useClass: GlobalExceptionFilter },
      ],
      exports: [APP_CONFIG],
    };
  }
}

export function redactTokenPaths(url: string): string {
  return url.replace(/\/(register|reset-password)\/[^/?#]+/g, '/$1/[token]');
}
