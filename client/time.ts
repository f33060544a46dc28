// Post times in the reader's own time zone, and "5 min ago" for recent ones. The server writes UTC,
// which is what a page without script (or the export) shows.

/** Hours and minutes in the reader's time zone (the key-moments list). */
export function clockTime(date: Date): string {
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function describeTime(date: Date, now: number): string {
  const minutes = Math.round((now - date.getTime()) / 60_000);
  const clock = clockTime(date);
  return minutes < 1 ? `just now · ${clock}` : minutes < 60 ? `${minutes} min ago · ${clock}` : date.toLocaleString();
}

export function showRelativeTimes(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLTimeElement>('time[datetime]')) {
    const date = new Date(el.dateTime);
    el.textContent = describeTime(date, Date.now());
    el.title = date.toLocaleString();
  }
}
