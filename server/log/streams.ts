import { randomBytes } from 'node:crypto';
import { InvalidSlug, InvalidTitle, StreamExists } from '../errors.ts';
import { type PostOrder, SLUG_PATTERN, type StreamRecord, type Visibility } from './records.ts';
import type { ChangeStore } from './store.ts';

/** How many streams the home page and the admin page list at most. */
const MAX_LISTED = 500;

/** The streams themselves: created here, then everything else about them is in their log. */
/** A stream's epoch names one history of its seqs: a resume point of another epoch replays from the start. */
export function newEpoch(): string {
  return randomBytes(6).toString('base64url');
}

export class Streams {
  constructor(private readonly store: ChangeStore) {}

  async create(slug: string, title: string, createdBy: string, description = '', order: PostOrder = 'newest', visibility: Visibility = 'public'): Promise<StreamRecord> {
    if (!new RegExp(SLUG_PATTERN).test(slug)) throw new InvalidSlug();
    const cleanTitle = title.trim();
    if (!cleanTitle || cleanTitle.length > 200 || cleanTitle.includes('\0')) throw new InvalidTitle();
    const stream: StreamRecord = {
      _id: slug,
      title: cleanTitle,
      description: description.replaceAll('\0', '').slice(0, 1000),
      epoch: newEpoch(),
      order,
      // In the record from the first moment: a private stream is never public, not even briefly.
      ...(visibility === 'public' ? {} : { visibility }),
      createdBy,
      createdAt: new Date(),
    };
    if ((await this.store.insertStream(stream)) === 'taken') throw new StreamExists(slug);
    return stream;
  }

  /** Newest first. */
  list(): Promise<StreamRecord[]> {
    return this.store.listStreams(MAX_LISTED);
  }

  count(): Promise<number> {
    return this.store.countStreams();
  }
}
