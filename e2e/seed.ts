import { randomBytes } from 'node:crypto';
import { connectDatabase } from '../server/db/database.ts';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { Streams } from '../server/stream/streams.ts';
import { loadStreamProjection } from '../server/stream/projections.ts';
import { setAuthor } from '../server/stream/posts.ts';
import { renderPost } from '../server/render/views.ts';
import { E2E_DATABASE } from '../playwright.config.ts';

export interface Seeded {
  slug: string;
  author: string;
  password: string;
  token: string;
}

/** A fresh stream and author for one test file, written straight into the server's database. */
export async function seed(title: string, url = process.env.MONGODB_URL!): Promise<Seeded> {
  const suffix = randomBytes(4).toString('hex');
  const database = await connectDatabase(url, E2E_DATABASE);
  try {
    const author = `author-${suffix}`;
    const password = 'e2e password 123';
    const user = await new Users(database.users).add(author, password);
    const token = await new Tokens(database.tokens, database.users).create(user, 'e2e');
    const slug = `e2e-${suffix}`;
    await new Streams(database.streams).create(slug, title, user._id);
    const projection = (await loadStreamProjection(database, slug, renderPost))!;
    const admin = { id: 'e2e-admin', name: 'e2e admin', admin: true };
    await setAuthor(projection, { actor: admin, member: { id: user._id, name: user.name }, active: true, key: `author-${user._id}` });
    return { slug, author, password, token };
  } finally {
    await database.close();
  }
}
