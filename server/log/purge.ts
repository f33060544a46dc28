import type { ChangeStore } from './store.ts';

export interface PurgeResult {
  /** Change records whose post snapshot was removed. */
  records: number;
  /** Photos deleted because nothing refers to them any more. */
  photos: number;
}

/** Where photos are deleted from: the log only says which ones nothing shows any more. */
export interface PhotoRemover {
  remove(ids: string[]): Promise<void>;
}

/**
 * Redacts a post's history for a legal or privacy request: every snapshot but the current one (all
 * of them for a deleted post) is removed from the log, and photos no longer referred to anywhere
 * are deleted. The one deliberate exception to "the log is never updated": the records stay, so
 * seqs stay contiguous, and they fold as they did (a later change holds the post's state). Served
 * content does not change: replay only ever sends a post's latest state.
 */
export async function purgePost(store: ChangeStore, photos: PhotoRemover, stream: string, postId: string): Promise<PurgeResult | null> {
  const records = await store.postHistory(stream, postId);
  const latest = records.at(-1);
  if (!latest) return null;
  const keep = latest.type === 'delete' ? undefined : latest;
  const purge = records.filter((r) => r !== keep && r.post);
  // One by one: FerretDB applies updates per document anyway, and a failure leaves a clear state.
  for (const record of purge) await store.redact(record._id);
  const kept = new Set((keep?.post?.media ?? []).map((m) => m.id));
  const candidates = [...new Set(purge.flatMap((r) => (r.post?.media ?? []).map((m) => m.id)))].filter((id) => !kept.has(id));
  if (candidates.length === 0) return { records: purge.length, photos: 0 };
  // Photos are shared by content: keep any another post (in any stream) still shows.
  const stillUsed = await store.photosReferred();
  const unused = candidates.filter((id) => !stillUsed.has(id));
  await photos.remove(unused);
  return { records: purge.length, photos: unused.length };
}
