import type { Collection, Db } from 'mongodb';
import type { Logger } from 'pino';
import type { LiveHub } from '../live/hub.ts';
import { viewersFrame } from '../live/frames.ts';

interface PresenceRecord {
  _id: string; // instance:stream
  stream: string;
  n: number;
  at: Date;
}

/**
 * Viewer counts. Each instance knows its own viewers; with several instances each writes its own
 * count per stream (its own document: no update races) and reads the others', and a count older
 * than a few rounds is a dead instance's and is ignored. Viewers get `{t: "viewers", n}` on change.
 */
export class Presence {
  private readonly records: Collection<PresenceRecord> | undefined;
  private readonly sent = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly hub: LiveHub,
    private readonly instance: string,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    /** The shared database when several instances serve; absent for one instance. */
    db?: Db,
  ) {
    this.records = db?.collection<PresenceRecord>('presence');
  }

  start(): void {
    this.timer = setInterval(() => void this.round(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round: report ours, add up everyone's, tell viewers where the total changed. */
  async round(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const local = this.hub.counts();
      const streams = new Set([...local.keys(), ...this.sent.keys()]);
      const totals = this.records ? await this.shared(local, streams) : local;
      for (const stream of streams) {
        const total = totals.get(stream) ?? 0;
        if (this.sent.get(stream) === total) continue;
        if (local.has(stream)) this.hub.broadcast(stream, viewersFrame(total));
        if (total === 0 || !local.has(stream)) this.sent.delete(stream);
        else this.sent.set(stream, total);
      }
    } catch (error) {
      this.logger.debug({ err: error }, 'viewer counts not updated this round');
    } finally {
      this.running = false;
    }
  }

  private async shared(local: Map<string, number>, streams: Set<string>): Promise<Map<string, number>> {
    const records = this.records!;
    const now = new Date();
    await Promise.all(
      [...streams].map((stream) =>
        records.replaceOne(
          { _id: `${this.instance}:${stream}` },
          { stream, n: local.get(stream) ?? 0, at: now },
          { upsert: true },
        ),
      ),
    );
    const fresh = new Date(now.getTime() - 3 * this.intervalMs);
    const totals = new Map<string, number>();
    for (const record of await records.find({ stream: { $in: [...streams] }, at: { $gt: fresh } }).toArray()) {
      totals.set(record.stream, (totals.get(record.stream) ?? 0) + record.n);
    }
    return totals;
  }
}
