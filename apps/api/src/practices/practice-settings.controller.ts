import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { PracticeSettingsView } from '@resetdesk/contracts';
import { Roles } from '../auth/auth.decorators';
import { UpdatePracticeSettingsDto } from './practice-settings.dto';
import { PracticeSettingsService } from './practice-settings.service';

@ApiTags('practice')
@Controller('api/practice')
export class PracticeSettingsController {
  constructor(private readonly settings: PracticeSettingsService) {}

  @Get()
  @ApiOperation({ summary: "The signed-in user's practice and its settings (any staff)" })
  get(): Promise<PracticeSettingsView> {
    return this.settings.get();
  }

  @Put()
  @Roles('practice_admin')
  @ApiOperation({ summary: 'Change practice settings: {allowSecurityQuestions?, staffMfa?} (admins; audited as practice.settings_updated)' })
  update(@Body() body: UpdatePracticeSettingsDto): Promise<PracticeSettingsView> {
    return this.settings.update(body);
  }
}
