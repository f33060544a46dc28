import type { ChangeRecord } from './records.ts';
import type { ChangeStore } from './store.ts';

// A stream's history of changes, read back from its log for the admin page: who did what, when.
// Read by point lookups of `_id` (the one query FerretDB on SQLite serves from an index) for one
// page of seqs at a time, so a long log costs no more than a short one.

export const HISTORY_PAGE = 50;

export interface HistoryPage {
  /** Newest first. */
  records: ChangeRecord[];
  /** The `before` of the next older page; undefined at the first change. */
  older?: number;
}

/** Up to `limit` changes before seq `before` (the head's next by default), newest first. */
export async function streamHistory(store: ChangeStore, slug: string, head: number, before = head + 1, limit = HISTORY_PAGE): Promise<HistoryPage> {
  const newest = Math.min(before - 1, head);
  const seqs: number[] = [];
  for (let seq = newest; seq >= 1 && seqs.length < limit; seq--) seqs.push(seq);
  const found = await Promise.all(seqs.map((seq) => store.at(slug, seq)));
  const records = found.filter((record): record is ChangeRecord => record !== null);
  const oldest = seqs.at(-1);
  return { records, older: oldest !== undefined && oldest > 1 ? oldest : undefined };
}
