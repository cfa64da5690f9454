// Durations as users write them in workflows (90m, 12h, 7d, 1d12h, 45s, or
// plain seconds), and instants as outputs and messages show them.

const UNITS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };

/** Seconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (/^\d+$/.test(value)) return Number(value);
  if (!/^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$/.test(value) || value === '') return undefined;
  let seconds = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+)([dhms])/g)) seconds += Number(amount) * (UNITS[unit ?? 's'] ?? 1);
  return seconds;
}

/** For people: "6d 23h 59m", "45m 10s", "0s". */
export function formatDuration(totalSeconds: number): string {
  let rest = Math.max(0, Math.floor(totalSeconds));
  const parts: string[] = [];
  for (const [unit, size] of Object.entries(UNITS)) {
    const amount = Math.floor(rest / size);
    rest -= amount * size;
    if (amount > 0) parts.push(`${amount}${unit}`);
  }
  return parts.slice(0, 3).join(' ') || '0s';
}

/** ISO 8601 UTC to the second: 2026-11-26T10:00:00Z. */
export function formatInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
