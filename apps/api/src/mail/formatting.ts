/**
 * How messages show times, phone numbers and codes. Patients read these on a phone, often in a
 * hurry: dates are spelled out in the practice's own time zone, never as UTC timestamps.
 */

/**
 * `+15035550100` → `(503) 555-0100`; other numbers stay as stored (E.164, which every phone can
 * dial). The one phone formatter of messages and patient pages alike.
 */
export function formatPhoneForDisplay(e164: string | null | undefined): string {
  if (!e164) return '';
  const digits = e164.replace(/\D/g, '');
  if (digits.length === 11 && digits.startsWith('1')) return `(${digits.slice(1, 4)}) ${digits.slice(4, 7)}-${digits.slice(7)}`;
  return e164;
}

/**
 * "Friday, November 27, 2026 at 3:04 PM PST". Built from parts rather than format(), because
 * ICU versions differ in the separators they emit (", " vs " at ", narrow no-break spaces).
 */
export function formatDateTimeInZone(date: Date, timeZone: string): string {
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = dateTimeFormatter(timeZone);
  } catch {
    // A mistyped zone on the practice row should not stop a patient's email.
    formatter = dateTimeFormatter('UTC');
  }
  const part = (type: Intl.DateTimeFormatPartTypes) => formatter.formatToParts(date).find((p) => p.type === type)?.value ?? '';
  return `${part('weekday')}, ${part('month')} ${part('day')}, ${part('year')} at ${part('hour')}:${part('minute')} ${part('dayPeriod')} ${part('timeZoneName')}`;
}

function dateTimeFormatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'long',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    hour12: true,
    timeZoneName: 'short',
  });
}

/** "1 hour", "90 minutes", "3 days": the whole unit that reads naturally. */
export function describeDuration(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (minutes % (24 * 60) === 0) return plural(minutes / (24 * 60), 'day');
  if (minutes % 60 === 0) return plural(minutes / 60, 'hour');
  return plural(minutes, 'minute');
}

/** "1 2 3 4 5": text-to-speech reads separate digits instead of "twelve thousand…". */
export function spacedDigits(code: string): string {
  return code.split('').join(' ');
}
