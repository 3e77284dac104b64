import { usePractice } from './usePractice';

export const browserTimeZone = (): string => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
};

const isValidTimeZone = (timeZone: string): boolean => {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
    return true;
  } catch {
    return false;
  }
};

/**
 * The practice's time zone for showing dates (GET /api/practice), so the console, emails and
 * texts name the same wall-clock time; the browser's only until the practice has loaded.
 */
export function useTimeZone(): string {
  const zone = usePractice()?.timeZone ?? '';
  return zone && isValidTimeZone(zone) ? zone : browserTimeZone();
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Formats an ISO timestamp in the given zone, labelled with it, e.g. "Mar 4, 2026, 2:05 PM PST". */
export function formatDateTime(value: string | null | undefined, timeZone: string): string {
  if (!value) return '—';
  if (DATE_ONLY.test(value)) return formatDateOnly(value);
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone,
  }).format(date);
}

/** Formats a calendar date (`YYYY-MM-DD`, e.g. a date of birth) without any zone shift. */
export function formatDateOnly(value: string | null | undefined): string {
  if (!value) return '—';
  const match = DATE_ONLY.exec(value);
  if (!match) return value;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

/** Today's date (`YYYY-MM-DD`) in the given zone. */
export function todayIn(timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    timeZone,
  }).formatToParts(new Date());
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** A timestamp in the practice's zone, as a <time> element. */
export const DateTimeText = ({ value }: { value: string | null | undefined }) => {
  const timeZone = useTimeZone();
  if (!value) return <span>—</span>;
  return <time dateTime={value}>{formatDateTime(value, timeZone)}</time>;
};

/** A calendar date such as a date of birth. */
export const DateOnlyText = ({ value }: { value: string | null | undefined }) => {
  if (!value) return <span>—</span>;
  return <time dateTime={value}>{formatDateOnly(value)}</time>;
};
