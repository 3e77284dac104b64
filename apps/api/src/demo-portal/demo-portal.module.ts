import { DynamicModule, Module } from '@nestjs/common';
import { DemoPortalController } from './demo-portal.controller';

/** The demo relying party at /demo-portal/: development (and tests) only, never in production. */
@Module({})
export class DemoPortalModule {
  static forEnv(env: string): DynamicModule {
    return { module: DemoPortalModule, controllers: env === 'production' ? [] : [DemoPortalController] };
  }
}
