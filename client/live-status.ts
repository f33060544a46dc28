// The line under the stream's title: whether the page is live, reconnecting or gone, whether the
// stream has ended, and how many are watching. Authors' controls follow the status through the
// `livelog:status` event.
import type { StreamStatus } from '../shared/protocol.ts';
import type { ConnectionState } from './connection.ts';

const LABELS: Record<ConnectionState, string> = { live: 'Updates appear here as they are posted', reconnecting: 'Reconnecting…', gone: 'This stream no longer exists' };

export class LiveStatus {
  constructor(private readonly line: HTMLElement) {}

  connection(state: ConnectionState): void {
    this.line.dataset.state = state;
    // An ended stream says so whatever the link does; the dot still shows the link.
    if (this.line.dataset.status === 'ended' && state === 'live') return;
    this.label(LABELS[state]);
  }

  /** Heard only over an open link, so the page is live. */
  stream(status: StreamStatus): void {
    this.line.dataset.status = status;
    const badge = this.line.querySelector('.live-badge');
    if (badge) badge.textContent = status === 'ended' ? 'Ended' : 'Live';
    if (status === 'ended') this.label('This stream has ended');
    else this.connection('live');
    document.dispatchEvent(new CustomEvent('livelog:status', { detail: status }));
  }

  /** A change arrived: "Last updated 14:05", in the reader's own time. */
  updated(at: Date): void {
    const time = this.line.querySelector<HTMLTimeElement>('time.last-updated');
    if (!time) return;
    time.dateTime = at.toISOString();
    time.textContent = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    time.closest<HTMLElement>('.last-updated-line')?.removeAttribute('hidden');
  }

  viewers(n: number): void {
    const count = document.getElementById('viewers');
    if (count) count.textContent = n === 1 ? '· 1 viewer' : `· ${n} viewers`;
  }

  private label(text: string): void {
    const label = this.line.querySelector('.label');
    if (label) label.textContent = text;
  }
}
