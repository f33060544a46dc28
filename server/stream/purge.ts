import type { Collection } from 'mongodb';
import type { Images } from '../media/images.ts';
import type { ChangeRecord } from './types.ts';

export interface PurgeResult {
  /** Change records whose post snapshot was removed. */
  records: number;
  /** Photos deleted because nothing refers to them any more. */
  photos: number;
}

/**
 * Redacts a post's history for a legal or privacy request: every snapshot but the current one (all
 * of them for a deleted post) is removed from the log, and photos no longer referred to anywhere
 * are deleted. The one deliberate exception to "the log is never updated": the records stay, so
 * seqs stay contiguous, and they fold as they did (a later change holds the post's state). Served
 * content does not change: replay only ever sends a post's latest state.
 */
export async function purgePost(changes: Collection<ChangeRecord>, images: Images, stream: string, postId: string): Promise<PurgeResult | null> {
  const records = await changes.find({ stream, postId }).sort({ seq: 1 }).toArray();
  if (records.length === 0) return null;
  const latest = records.at(-1)!;
  const keep = latest.type === 'delete' ? undefined : latest;
  const purge = records.filter((r) => r !== keep && r.post);
  for (const record of purge) {
    // One by one: FerretDB applies updates per document anyway, and a failure leaves a clear state.
    await changes.updateOne({ _id: record._id }, { $unset: { post: '' }, $set: { purged: true } });
  }
  const kept = new Set((keep?.post?.media ?? []).map((m) => m.id));
  const candidates = [...new Set(purge.flatMap((r) => (r.post?.media ?? []).map((m) => m.id)))].filter((id) => !kept.has(id));
  let photos = 0;
  if (candidates.length) {
    // Photos are shared by content: keep any another post (in any stream) still shows.
    const stillUsed = new Set<string>();
    for await (const record of changes.find({ 'post.media': { $exists: true } }, { projection: { 'post.media': 1 } })) {
      for (const media of record.post?.media ?? []) stillUsed.add(media.id);
    }
    const unused = candidates.filter((id) => !stillUsed.has(id));
    await images.remove(unused);
    photos = unused.length;
  }
  return { records: purge.length, photos };
}
