import { EntityManager } from 'typeorm';
import { Practice } from '../practices/practice.entity';

/**
 * Calendar days as the practice lives them. "Today" at a clinic in Portland starts at midnight in
 * Portland, not in UTC, so "resets today" and a `to` date typed in the audit log filter mean the
 * same day the staff see on the wall clock.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClockAt(instant: Date, timeZone: string): WallClock {
  const parts = formatterFor(timeZone).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((part) => part.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second') };
}

/** How far the zone's wall clock is ahead of UTC at that instant, in milliseconds. */
function offsetMs(instant: Date, timeZone: string): number {
  const wall = wallClockAt(instant, timeZone);
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return wallAsUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant at which the zone's wall clock shows the given local time. Two passes, because
 * the offset at the guess can differ from the offset at the answer around a DST change.
 */
export function zonedTimeToInstant(
  local: { year: number; month: number; day: number; hour?: number; minute?: number; second?: number; millisecond?: number },
  timeZone: string,
): Date {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour ?? 0, local.minute ?? 0, local.second ?? 0, local.millisecond ?? 0);
  const firstGuess = wall - offsetMs(new Date(wall), timeZone);
  return new Date(wall - offsetMs(new Date(firstGuess), timeZone));
}

/** `YYYY-MM-DD` of the instant in the zone. */
export function calendarDateIn(instant: Date, timeZone: string): string {
  const wall = wallClockAt(instant, timeZone);
  return `${String(wall.year).padStart(4, '0')}-${String(wall.month).padStart(2, '0')}-${String(wall.day).padStart(2, '0')}`;
}

/** Midnight at the start of a `YYYY-MM-DD` day in the zone; `addDays` moves to a later day. */
export function startOfDayIn(date: string, timeZone: string, addDays = 0): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  // Date.UTC normalises day overflow (Jan 32 → Feb 1) before the zone is applied.
  const shifted = new Date(Date.UTC(year, month - 1, day + addDays));
  return zonedTimeToInstant({ year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() }, timeZone);
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The practice's IANA time zone; UTC when the stored name is unusable rather than failing a page. */
export async function practiceTimeZone(manager: EntityManager, practiceId: string): Promise<string> {
  const practice = await manager.findOne(Practice, { where: { id: practiceId }, select: { id: true, timeZone: true } });
  const zone = practice?.timeZone;
  return zone && isValidTimeZone(zone) ? zone : 'UTC';
}
