import { randomBytes } from 'node:crypto';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { connectDatabase } from '../server/db/database.ts';
import { Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { Streams } from '../server/log/streams.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { setAuthor } from '../server/log/commands.ts';
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
    const user = await new Users(database).add(author, password);
    const token = await new Tokens(database).create(user, 'e2e');
    const slug = `e2e-${suffix}`;
    await new Streams(new MongoChangeStore(database)).create(slug, title, user._id);
    const projection = (await loadStreamProjection(new MongoChangeStore(database), slug))!;
    const admin = { id: 'e2e-admin', name: 'e2e admin', admin: true };
    await setAuthor(projection, { actor: admin, member: { id: user._id, name: user.name }, active: true, key: `author-${user._id}` });
    return { slug, author, password, token };
  } finally {
    await database.close();
  }
}
