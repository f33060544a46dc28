// The key-moments list as data: posts marked key, oldest first, kept current by the live frames
// (`key`, `headline`). No DOM: key-moments.ts makes the list on the page look like this.
import type { ChangeFrame, PostFrame } from '../shared/protocol.ts';

export interface KeyMoment {
  id: string;
  /** NaN for a moment the page listed without saying where it ranks: kept where it was. */
  createdSeq: number;
  text: string;
  /** ISO time of the post, for the list's <time>. */
  datetime: string;
}

/** A post frame as engineer A's protocol extends it: optional until every server sends them. */
export type KeyedPostFrame = PostFrame & { key?: boolean; headline?: string };

export class KeyMomentsModel {
  private list: KeyMoment[];

  constructor(initial: KeyMoment[] = []) {
    this.list = [...initial];
  }

  get moments(): readonly KeyMoment[] {
    return this.list;
  }

  /** Applies a change; `detailsOf` gives a post's text and time when it joins. True if the list changed. */
  apply(frame: ChangeFrame, detailsOf: (frame: KeyedPostFrame) => Omit<KeyMoment, 'id' | 'createdSeq'>): boolean {
    if (frame.t === 'stream') return false;
    const at = this.list.findIndex((m) => m.id === frame.id);
    if (frame.t === 'delete' || !(frame as KeyedPostFrame).key) {
      if (at === -1) return false;
      this.list.splice(at, 1);
      return true;
    }
    const moment = { id: frame.id, createdSeq: frame.createdSeq, ...detailsOf(frame) };
    if (at !== -1) {
      const old = this.list[at] as KeyMoment;
      if (old.text === moment.text && old.datetime === moment.datetime) return false;
      this.list[at] = moment; // a new headline: same place
      return true;
    }
    const later = this.list.findIndex((m) => m.createdSeq > moment.createdSeq);
    this.list.splice(later === -1 ? this.list.length : later, 0, moment);
    return true;
  }
}

/** How a key moment without a headline is listed: the start of its text. */
export function excerpt(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
