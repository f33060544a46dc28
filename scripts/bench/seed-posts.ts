// Fills a stream's log with N realistic posts straight into the database (insertMany, in batches):
// publishing thousands through the API would measure the rate limit and the network, not the reader.
import { randomUUID } from 'node:crypto';
import { connectDatabase } from '../../server/db/database.ts';
import { changeId, type ChangeRecord } from '../../server/log/records.ts';

const author = { id: 'bench-author', name: 'Sam Reporter' };
const LINES = [
  '**Goal!** Home take the lead with a header from the corner. 1 – 0.',
  'Substitution for Away: number 9 off, number 14 on. The crowd is loud.',
  'Chance! A shot from the edge of the box goes *just* wide of the post.',
  'Yellow card for a late tackle in midfield. [Replay](https://example.org/replay) shows it was clumsy.',
  'The rain is getting heavier; the pitch is holding up well so far.',
  '> "We knew it would be tight," said the coach before kick-off.',
];

/** Appends `count` posts after the stream's head (assumed 0, a fresh stream); every 10th is key. */
export async function seedPosts(mongodbUrl: string, slug: string, count: number, start = new Date('2026-11-20T18:00:00Z')): Promise<void> {
  const database = await connectDatabase(mongodbUrl, 'livelog');
  const changes = database.db.collection<ChangeRecord>('changes');
  for (let from = 1; from <= count; from += 1000) {
    const batch: ChangeRecord[] = [];
    for (let seq = from; seq < Math.min(from + 1000, count + 1); seq++) {
      const id = randomUUID();
      const at = new Date(start.getTime() + seq * 30_000);
      const body = `${LINES[seq % LINES.length]} Minute ${seq % 90}.`;
      batch.push({
        _id: changeId(slug, seq),
        stream: slug,
        seq,
        key: `bench-${seq}`,
        fingerprint: `bench-${seq}`,
        at,
        type: 'post',
        by: author,
        postId: id,
        post: { id, author, body, createdAt: at, createdSeq: seq, pinned: false, ...(seq % 10 === 0 ? { key: true, headline: `Key moment ${seq / 10}` } : {}) },
      });
    }
    await changes.insertMany(batch, { ordered: true });
  }
  await database.close();
}
