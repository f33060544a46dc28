// Date-time fields for scheduling: the server writes and reads them in UTC (so the form works
// without this script); with it, the author sees and types their own local time, and the page
// sends the exact instant. A field that takes part carries `data-utc`; its hint `.time-zone`.

/** `2026-12-01T18:00` (UTC) as the same instant in this browser's local time, for the field. */
function localValue(utc: string): string {
  const date = new Date(`${utc}Z`);
  if (Number.isNaN(date.getTime())) return utc;
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** Shows the UTC fields below `root` in local time, and says so. */
export function showLocalTimes(root: ParentNode): void {
  for (const field of root.querySelectorAll<HTMLInputElement>('input[data-utc]')) {
    if (field.value) field.value = localValue(field.value);
    field.defaultValue = field.value;
    const zone = field.closest('label')?.querySelector('.time-zone');
    if (zone) zone.textContent = 'your time';
  }
}

/** What to send for a field's local value: the instant, as ISO 8601 with `Z` (empty stays empty). */
export function instantOf(value: string): string {
  const date = new Date(value);
  return value && !Number.isNaN(date.getTime()) ? date.toISOString() : value;
}
