import { SetMetadata } from '@nestjs/common';
import type { StaffRole } from '@resetdesk/contracts';

export const PUBLIC_ROUTE = 'resetdesk:public';
export const REQUIRED_ROLES = 'resetdesk:roles';

/** Routes anyone may call: sign-in, health, docs, patient pages (they carry their own CSRF). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** Restricts a controller or route to the given staff roles. */
export const Roles = (...roles: StaffRole[]) => SetMetadata(REQUIRED_ROLES, roles);
