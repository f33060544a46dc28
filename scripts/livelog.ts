// Administration from the command line:
//   npm run livelog -- user add NAME --password PW [--admin]
//   npm run livelog -- user passwd NAME --password PW
//   npm run livelog -- token create NAME [--label TEXT]
//   npm run livelog -- stream create SLUG --title "TITLE" [--description TEXT]
import { parseArgs } from 'node:util';
import { Users, UserNotFound } from '../server/auth/users.ts';
import { Tokens } from '../server/auth/tokens.ts';
import { Streams } from '../server/stream/streams.ts';
import { fail, withDatabase } from './tool-context.ts';

const USAGE = `usage:
  npm run livelog -- user add NAME --password PW [--admin]
  npm run livelog -- user passwd NAME --password PW
  npm run livelog -- token create NAME [--label TEXT]
  npm run livelog -- stream create SLUG --title "TITLE" [--description TEXT]`;

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        password: { type: 'string' },
        admin: { type: 'boolean', default: false },
        label: { type: 'string' },
        title: { type: 'string' },
        description: { type: 'string', default: '' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
})();

const [noun, verb, name] = positionals;
if (values.help || !noun) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}
const need = <T>(value: T | undefined, what: string): T => value ?? fail(`${what} is required\n${USAGE}`, 2);

try {
  await withDatabase(async ({ database }) => {
    const users = new Users(database.users);
    const command = `${noun} ${verb}`;
    switch (command) {
      case 'user add': {
        const user = await users.add(need(name, 'NAME'), need(values.password, '--password'), values.admin);
        console.log(`user "${user.name}" added${user.admin ? ' (admin)' : ''}`);
        break;
      }
      case 'user passwd': {
        await users.setPassword(need(name, 'NAME'), need(values.password, '--password'));
        console.log(`password of "${name}" changed`);
        break;
      }
      case 'token create': {
        const user = await users.byName(need(name, 'NAME'));
        if (!user) throw new UserNotFound(name);
        const token = await new Tokens(database.tokens, database.users).create(user, values.label ?? 'cli');
        process.stderr.write(`API token for "${user.name}" (shown once; keep it secret):\n`);
        console.log(token);
        break;
      }
      case 'stream create': {
        const stream = await new Streams(database.streams).create(
          need(name, 'SLUG'),
          need(values.title, '--title'),
          'cli',
          values.description,
        );
        console.log(`stream "${stream._id}" created: /s/${stream._id}`);
        break;
      }
      default:
        fail(`unknown command "${command}"\n${USAGE}`, 2);
    }
  });
} catch (error) {
  fail((error as Error).message);
}
