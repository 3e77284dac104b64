import { Chip, type ChipProps } from '@mui/material';

const LABELS: Record<string, [string, NonNullable<ChipProps['color']>]> = {
  queued: ['Queued', 'default'],
  running: ['Running', 'info'],
  done: ['Done', 'success'],
  failed: ['Failed', 'error'],
};

export const ImportStatusChip = ({ value }: { value: string }) => {
  const [label, color] = LABELS[value] ?? [value, 'default'];
  return <Chip size="small" label={label} color={color} />;
};

export const SOURCE_LABELS: Record<string, string> = { upload: 'Upload', cli: 'Command line', sync: 'EHR sync' };
