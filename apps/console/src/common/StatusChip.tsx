import { Chip, type ChipProps } from '@mui/material';
import type { InvitationStatus, OutboxStatus, PortalAccountStatus, PortalStatus } from '@resetdesk/contracts';

import { ACCOUNT_STATUS_LABELS, INVITATION_STATUS_LABELS, OUTBOX_STATUS_LABELS, PORTAL_STATUS_LABELS, labelFor } from './labels';

type Color = NonNullable<ChipProps['color']>;

const PORTAL_COLORS: Record<PortalStatus, Color> = {
  active: 'success',
  locked: 'error',
  invited: 'info',
  link_locked: 'warning',
  none: 'default',
};
const ACCOUNT_COLORS: Record<PortalAccountStatus, Color> = {
  active: 'success',
  locked: 'error',
  closed: 'default',
};
const INVITATION_COLORS: Record<InvitationStatus, Color> = {
  pending: 'info',
  used: 'success',
  revoked: 'default',
  expired: 'warning',
  locked: 'error',
};
const OUTBOX_COLORS: Record<OutboxStatus, Color> = {
  queued: 'default',
  sending: 'info',
  sent: 'success',
  retrying: 'warning',
  dead: 'error',
  cancelled: 'default',
};

const make =
  <T extends string>(labels: Record<T, string>, colors: Record<T, Color>) =>
  ({ value, size = 'small' }: { value: T | null | undefined; size?: ChipProps['size'] }) => {
    if (!value) return <span>—</span>;
    const color = colors[value] ?? 'default';
    return <Chip size={size} color={color} variant={color === 'default' ? 'outlined' : 'filled'} label={labelFor(labels, value)} />;
  };

export const PortalStatusChip = make<PortalStatus>(PORTAL_STATUS_LABELS, PORTAL_COLORS);
export const AccountStatusChip = make<PortalAccountStatus>(ACCOUNT_STATUS_LABELS, ACCOUNT_COLORS);
export const InvitationStatusChip = make<InvitationStatus>(INVITATION_STATUS_LABELS, INVITATION_COLORS);
export const OutboxStatusChip = make<OutboxStatus>(OUTBOX_STATUS_LABELS, OUTBOX_COLORS);

/** "Deceased" or "Inactive in EHR" for a chart the EHR no longer treats as active; nothing otherwise. */
export const ChartStatusChip = ({ patient, size = 'small' }: { patient: { active?: boolean; inactiveReason?: string | null }; size?: ChipProps['size'] }) => {
  if (patient.active !== false) return null;
  const deceased = patient.inactiveReason === 'deceased';
  return <Chip size={size} color={deceased ? 'default' : 'warning'} variant="outlined" label={deceased ? 'Deceased' : 'Inactive in EHR'} />;
};
