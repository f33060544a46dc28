// The page's posts as data, in display order, changed by the log's frames. No DOM: the feed does to
// the page exactly what this model says, and tests check the model against the log.
import type { ChangeFrame, PostFrame } from '../shared/protocol.ts';

/** A post as the page shows it: which one, where it ranks, and at which version (seq). */
export interface ShownPost {
  id: string;
  createdSeq: number;
  pinned: boolean;
  seq: number;
}

/** What the page must do for one change. */
export type FeedEdit =
  /** Show the post (in place of its old version, if shown) just before the post `before`, or last. */
  | { kind: 'show'; frame: PostFrame; before: string | null }
  | { kind: 'remove'; id: string }
  | { kind: 'none' };

/** Which end of the list new posts join: the top (newest first) or the bottom (oldest first). */
export type FeedOrder = 'newest' | 'oldest';

/** Pinned first in both orders, then by creation: newest or oldest first. */
function ranksBefore(a: ShownPost, b: ShownPost, order: FeedOrder): boolean {
  if (a.pinned !== b.pinned) return a.pinned;
  return order === 'newest' ? a.createdSeq > b.createdSeq : a.createdSeq < b.createdSeq;
}

export class FeedModel {
  /** In display order. */
  private shown: ShownPost[];

  constructor(
    posts: ShownPost[] = [],
    readonly order: FeedOrder = 'newest',
  ) {
    this.shown = [...posts];
  }

  get posts(): readonly ShownPost[] {
    return this.shown;
  }

  apply(frame: ChangeFrame): FeedEdit {
    switch (frame.t) {
      case 'stream':
        return { kind: 'none' };
      case 'delete': {
        const before = this.shown.length;
        this.shown = this.shown.filter((p) => p.id !== frame.id);
        return this.shown.length === before ? { kind: 'none' } : { kind: 'remove', id: frame.id };
      }
      default: {
        const post: ShownPost = { id: frame.id, createdSeq: frame.createdSeq, pinned: frame.pinned, seq: frame.seq };
        const index = this.shown.findIndex((p) => p.id === post.id);
        if (index !== -1) this.shown.splice(index, 1);
        const at = this.shown.findIndex((p) => ranksBefore(post, p, this.order));
        const before = this.shown[at]?.id ?? null;
        this.shown.splice(at === -1 ? this.shown.length : at, 0, post);
        return { kind: 'show', frame, before };
      }
    }
  }
}
