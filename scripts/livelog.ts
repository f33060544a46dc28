// Administration from the command line; see USAGE. Uses the database the server uses.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { actorOf, type Role, ROLES, roleChange, roleOf, Users } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import type { Database } from '../server/db/database.ts';
import { StreamNotFound, UserNotFound } from '../server/errors.ts';
import { setAuthor, setOrder } from '../server/log/commands.ts';
import { announceStart } from '../server/log/schedule-commands.ts';
import { MongoChangeStore } from '../server/log/mongo-store.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import { purgePost } from '../server/log/purge.ts';
import type { PostOrder } from '../server/log/records.ts';
import { Streams } from '../server/log/streams.ts';
import { Images } from '../server/media/images.ts';
import { backup } from '../server/backup/dump.ts';
import { restore } from '../server/backup/load.ts';
import { fail, withDatabase } from './tool-context.ts';
import { ACCESS_USAGE, accessCommand, visibilityOf } from './stream-access.ts';
import { loadConfig } from '../server/config.ts';

const USAGE = `usage:
  npm run livelog -- user add NAME --password PW [--admin]
  npm run livelog -- user passwd NAME --password PW   (ends the user's sessions)
  npm run livelog -- user disable NAME   (ends their sessions; their API tokens stop working)
  npm run livelog -- user enable NAME
  npm run livelog -- user role NAME admin|author|contributor   (contributors' posts wait for an editor's approval)
  npm run livelog -- token create NAME [--label TEXT] [--stream SLUG]   (prints the token once)
  npm run livelog -- token list
  npm run livelog -- token revoke ID
  npm run livelog -- stream create SLUG --title "TITLE" [--description TEXT] [--order newest|oldest] [--visibility public|unlisted|private]
  npm run livelog -- stream order SLUG newest|oldest   (the order readers see by default)
  npm run livelog -- stream starts-at SLUG 2026-12-01T18:00:00Z|none   ("Starts at …" on its page until the first post)
${ACCESS_USAGE}
  npm run livelog -- stream add-author SLUG NAME
  npm run livelog -- stream remove-author SLUG NAME
  npm run livelog -- post purge SLUG POST_ID   (removes a post's old versions, or all once deleted, and unused photos)
  npm run livelog -- backup DIR   (streams, posts, users, tokens, photos and scheduled posts, into a new folder)
  npm run livelog -- restore DIR [--force]   (into an empty database; --force drops Livelog's collections first)`;

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        password: { type: 'string' },
        admin: { type: 'boolean', default: false },
        label: { type: 'string' },
        stream: { type: 'string' },
        title: { type: 'string' },
        description: { type: 'string', default: '' },
        order: { type: 'string', default: 'newest' },
        visibility: { type: 'string', default: 'public' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
})();

const [noun, verb, first, second] = positionals;
if (values.help || !noun) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}
const orderOf = (text: string | undefined): PostOrder =>
  text === 'newest' || text === 'oldest' ? text : fail(`the order is "newest" or "oldest"\n${USAGE}`, 2);
const need = <T>(value: T | undefined, what: string): T => value ?? fail(`${what} is required\n${USAGE}`, 2);

const started = performance.now();
/** Progress of long commands on stderr, with the seconds since the start. */
const progress = (command: string) => (message: string) =>
  process.stderr.write(`${command}: ${message} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);

/** The command line acts as an admin; its changes are signed "command line". */
const CLI_ADMIN = { id: 'cli', name: 'command line', admin: true };

async function changeAuthors(database: Database, slug: string, name: string, active: boolean): Promise<void> {
  const user = await new Users(database).byName(name);
  if (!user) throw new UserNotFound(name);
  const projection = await loadStreamProjection(new MongoChangeStore(database), slug);
  if (!projection) throw new StreamNotFound(slug);
  const { id, name: userName } = actorOf(user);
  await setAuthor(projection, { actor: CLI_ADMIN, member: { id, name: userName }, active, key: `cli-${crypto.randomUUID()}` });
  console.log(`"${name}" ${active ? 'is now an author of' : 'is no longer an author of'} "${slug}"`);
}

try {
  await withDatabase(async ({ database }) => {
    const users = new Users(database);
    const tokens = new Tokens(database);
    const store = new MongoChangeStore(database);
    const command = noun === 'backup' || noun === 'restore' ? noun : `${noun} ${verb}`;
    switch (command) {
      case 'backup': {
        const dir = path.resolve(need(verb, 'DIR'));
        const manifest = await backup(database, dir, progress('backup'));
        console.log(`backup written to ${dir}: ${manifest.collections.map((c) => `${c.count} ${c.collection}`).join(', ')}`);
        break;
      }
      case 'restore': {
        const dir = path.resolve(need(verb, 'DIR'));
        const manifest = await restore(database, dir, { force: values.force }, progress('restore'));
        console.log(`restored ${dir} (backup of ${manifest.createdAt}): ${manifest.collections.map((c) => `${c.count} ${c.collection}`).join(', ')}`);
        break;
      }
      case 'user add': {
        const user = await users.add(need(first, 'NAME'), need(values.password, '--password'), values.admin);
        console.log(`user "${user.name}" added${user.admin ? ' (admin)' : ''}`);
        break;
      }
      case 'user passwd': {
        await users.setPassword(need(first, 'NAME'), need(values.password, '--password'));
        console.log(`password of "${first}" changed; their sessions are over`);
        break;
      }
      case 'user disable':
      case 'user enable': {
        const user = await users.change(need(first, 'NAME'), { disabled: verb === 'disable' });
        console.log(`user "${user.name}" ${user.disabled ? 'disabled: their sessions are over and their API tokens refused' : 'enabled'}`);
        break;
      }
      case 'user role': {
        const role = need(second, 'admin|author|contributor') as Role;
        if (!ROLES.includes(role)) fail(`the role is admin, author or contributor, not "${role}"\n${USAGE}`, 2);
        const user = await users.change(need(first, 'NAME'), roleChange(role));
        console.log(`user "${user.name}" is now ${{ admin: 'an admin', author: 'an author', contributor: 'a contributor' }[roleOf(user)]}`);
        break;
      }
      case 'token create': {
        const user = await users.byName(need(first, 'NAME'));
        if (!user) throw new UserNotFound(first);
        if (values.stream && !(await store.stream(values.stream))) throw new StreamNotFound(values.stream);
        const token = await tokens.create(user, values.label ?? 'cli', values.stream);
        process.stderr.write(`API token for "${user.name}"${values.stream ? ` (stream "${values.stream}" only)` : ''}; shown once, keep it secret:\n`);
        console.log(token);
        break;
      }
      case 'token list': {
        const all = await tokens.list();
        if (all.length === 0) process.stderr.write('no API tokens (create one with: npm run livelog -- token create NAME)\n');
        for (const t of all) {
          const used = t.lastUsedAt ? `last used ${t.lastUsedAt.toISOString()}` : 'never used';
          console.log(`${t.id}  ${t.user}  "${t.name}"  ${t.stream ? `stream ${t.stream}` : 'all streams'}  ${used}`);
        }
        break;
      }
      case 'token revoke': {
        await tokens.revoke(need(first, 'ID'));
        console.log(`token ${first} revoked`);
        break;
      }
      case 'stream create': {
        const visibility = visibilityOf(values.visibility, (message) => fail(`${message}\n${USAGE}`, 2));
        const stream = await new Streams(store).create(need(first, 'SLUG'), need(values.title, '--title'), 'cli', values.description, orderOf(values.order), visibility);
        console.log(`${visibility} stream "${stream._id}" created: /s/${stream._id} (add authors with: npm run livelog -- stream add-author ${stream._id} NAME)`);
        break;
      }
      case 'stream order': {
        const order = orderOf(need(second, 'newest|oldest'));
        const slug = need(first, 'SLUG');
        const projection = await loadStreamProjection(store, slug);
        if (!projection) throw new StreamNotFound(slug);
        // A change in the log: running servers learn it as they learn any change.
        await setOrder(projection, { actor: CLI_ADMIN, order, key: `cli-${crypto.randomUUID()}` });
        console.log(`stream "${slug}" now shows ${order} first (pages opened from now on)`);
        break;
      }
      case 'stream starts-at': {
        const slug = need(first, 'SLUG');
        const when = need(second, 'TIME|none');
        const projection = await loadStreamProjection(store, slug);
        if (!projection) throw new StreamNotFound(slug);
        const startsAt = when === 'none' ? null : new Date(when);
        await announceStart(projection, { actor: CLI_ADMIN, startsAt, key: `cli-${crypto.randomUUID()}` });
        console.log(startsAt ? `stream "${slug}" starts at ${startsAt.toISOString()} (shown until its first post)` : `stream "${slug}" announces no start`);
        break;
      }
      case 'post purge': {
        const result = await purgePost(store, new Images(database), need(first, 'SLUG'), need(second, 'POST_ID'));
        if (!result) fail(`no post ${second} in stream "${first}"`);
        console.log(`purged ${result.records} old version(s) of post ${second} and ${result.photos} photo(s) nothing else shows`);
        break;
      }
      case 'stream add-author':
      case 'stream remove-author':
        await changeAuthors(database, need(first, 'SLUG'), need(second, 'NAME'), verb === 'add-author');
        break;
      default: {
        const access = { store, actor: CLI_ADMIN, slug: first, argument: second, publicUrl: loadConfig().LIVELOG_PUBLIC_URL };
        if (!(await accessCommand(command, { ...access, fail: (message) => fail(`${message}\n${USAGE}`, 2) }))) fail(`unknown command "${command}"\n${USAGE}`, 2);
      }
    }
  });
} catch (error) {
  fail((error as Error).message);
}
