import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, type TestApp } from './helpers.ts';

// A token check reading the database while this process revokes the token: its answer (read before
// the delete) must not be kept after the revoke forgot the token, or the revoked token works for
// LIVELOG_TOKEN_TRUST_MS more in the very process that revoked it. Timing-dependent: before the fix
// it failed in 2 to 4 rounds of 30 on FerretDB; test/unit/token-cache.test.ts pins it exactly.

const apps: TestApp[] = [];
after(() => Promise.all(apps.map((t) => t.close())));

test('race: a check in flight while this process revokes the token must not trust it afterwards', async () => {
  const t = await testApp({ LIVELOG_TOKEN_TRUST_MS: '60000' });
  apps.push(t);
  const { tokens } = t.app.livelog;
  let stillTrusted = 0;
  const rounds = 40;
  for (let i = 0; i < rounds; i++) {
    const token = await tokens.create(t.author, `race ${i}`);
    const listed = (await tokens.list()).find((l) => l.name === `race ${i}`)!;
    const inFlight = tokens.use(token);
    await tokens.revoke(listed.id);
    await inFlight;
    if (await tokens.use(token)) stillTrusted++;
  }
  assert.equal(stillTrusted, 0, `revoked token still trusted after the revoke in ${stillTrusted}/${rounds} rounds`);
});
