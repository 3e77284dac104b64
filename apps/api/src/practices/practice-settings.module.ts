import { Module } from '@nestjs/common';
import { PracticeSettingsController } from './practice-settings.controller';
import { PracticeSettingsService } from './practice-settings.service';

/** GET/PUT /api/practice: the practice's patient-facing settings (security questions on or off). */
@Module({
  controllers: [PracticeSettingsController],
  providers: [PracticeSettingsService],
})
export class PracticeSettingsModule {}
