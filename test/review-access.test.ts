import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { roleChange, Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import type { Visibility } from '../server/log/records.ts';
import { addAuthor, AUTHOR_PASSWORD, testApp, type TestApp } from './helpers.ts';
import { type Browser, loggedIn } from './browser.ts';
import { REVIEW_READ_ROUTES } from './fixtures/review-routes.ts';

// Who gets what from the review routes (the editors' queue, submissions, scheduled posts): nobody
// but the stream's editors and contributors, and a private stream one may not see answers exactly as
// a stream that does not exist (the visibility table leaves these routes to this file).

type Caller = 'anonymous' | 'outsider' | 'editor' | 'contributor';
const CALLERS: Caller[] = ['anonymous', 'outsider', 'editor', 'contributor'];
const SLUGS: Partial<Record<Visibility, string>> = { public: 'pub-review', private: 'prv-review' };
const twinOf = (slug: string) => `zz${slug.slice(2)}`;

let t: TestApp;
let base: string;
const browsers = {} as Record<Caller, Browser | undefined>;
const tokens = {} as Record<Caller, string | undefined>;

before(async () => {
  t = await testApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const users = new Users(t.database);
  const outsider = await users.add('outsider', AUTHOR_PASSWORD);
  await users.add('stringer', AUTHOR_PASSWORD);
  const contributor = await users.change('stringer', roleChange('contributor'));
  for (const [visibility, slug] of Object.entries(SLUGS)) {
    await t.app.livelog.streams.create(slug, `The ${visibility} one`, t.author._id, '', 'newest', visibility as Visibility);
    await addAuthor(t.app, slug, t.author);
    await addAuthor(t.app, slug, contributor);
  }
  browsers.outsider = await loggedIn(t.app, 'outsider', AUTHOR_PASSWORD);
  browsers.editor = await loggedIn(t.app, 'reporter', AUTHOR_PASSWORD);
  browsers.contributor = await loggedIn(t.app, 'stringer', AUTHOR_PASSWORD);
  tokens.outsider = await new Tokens(t.database).create(outsider, 'o');
  tokens.editor = t.token;
  tokens.contributor = await new Tokens(t.database).create(contributor, 'c');
});
after(() => t.close());

interface Answer {
  status: number;
  body: string;
}

async function review(slug: string, caller: Caller): Promise<Answer> {
  const cookie = Object.entries(browsers[caller]?.cookieJar() ?? {})
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
  const controller = new AbortController();
  const response = await fetch(`http://${base}/s/${slug}/review/events`, { headers: cookie ? { cookie } : {}, signal: controller.signal });
  const body = response.status === 200 ? '' : await response.text();
  controller.abort();
  return { status: response.status, body };
}

const api = (path: string) => async (slug: string, caller: Caller): Promise<Answer> => {
  const token = tokens[caller];
  const response = await t.app.inject({ url: `/api/streams/${slug}/${path}`, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.statusCode, body: response.body };
};

const ROUTES: Record<string, (slug: string, caller: Caller) => Promise<Answer>> = {
  'GET /s/:slug/review/events': review,
  'GET /api/streams/:slug/submissions': api('submissions'),
  'GET /api/streams/:slug/scheduled': api('scheduled'),
};

/** Not signed in: 401 before any stream is looked at. An outsider: 404 where the stream hides from
 *  them, else 403. The scheduled list is for editors only. */
function expected(route: string, visibility: Visibility, caller: Caller): number {
  if (caller === 'anonymous') return 401;
  if (caller === 'outsider') return visibility === 'private' ? 404 : 403;
  if (caller === 'contributor' && route === 'GET /api/streams/:slug/scheduled') return 403;
  return 200;
}

test('the table lists every review route', () => {
  assert.deepEqual(Object.keys(ROUTES).sort(), [...REVIEW_READ_ROUTES].sort());
});

for (const [visibility, slug] of Object.entries(SLUGS) as [Visibility, string][]) {
  test(`the review routes of a ${visibility} stream: only its editors and contributors get them`, async () => {
    const failures: string[] = [];
    for (const [route, read] of Object.entries(ROUTES)) {
      for (const caller of CALLERS) {
        const answer = await read(slug, caller);
        const want = expected(route, visibility, caller);
        if (answer.status !== want) failures.push(`${route} as ${caller}: ${answer.status}, expected ${want}`);
        if (want !== 404) continue;
        const missing = await read(twinOf(slug), caller);
        if (missing.status !== 404 || missing.body.replaceAll(twinOf(slug), slug) !== answer.body) failures.push(`${route} as ${caller}: unlike a missing stream`);
      }
    }
    assert.deepEqual(failures, []);
  });
}
