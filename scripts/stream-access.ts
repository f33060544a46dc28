// The command line's `stream visibility`, `stream viewer-link` and `stream revoke-links` (see
// scripts/livelog.ts): each a change in the stream's log, so running servers learn it as they learn
// any change, and let go of the viewers it no longer admits.
import { StreamNotFound } from '../server/errors.ts';
import { addViewerLink, revokeViewerLinks, setVisibility } from '../server/log/access-commands.ts';
import type { Actor, Visibility } from '../server/log/records.ts';
import { loadStreamProjection } from '../server/log/projection.ts';
import type { ChangeStore } from '../server/log/store.ts';
import { isVisibility } from '../server/log/visibility.ts';
import { viewerLink } from '../server/render/links.ts';

export const ACCESS_USAGE = `  npm run livelog -- stream visibility SLUG public|unlisted|private
  npm run livelog -- stream viewer-link SLUG   (prints a new link that lets its holder watch a private stream)
  npm run livelog -- stream revoke-links SLUG   (every viewer link of the stream stops working)`;

/** A visibility named on the command line, or why not. */
export function visibilityOf(text: string | undefined, fail: (message: string) => never): Visibility {
  return isVisibility(text) ? text : fail(`the visibility is public, unlisted or private, not "${text ?? ''}"`);
}

/** Runs one of the commands above; false if `command` is none of them. */
export async function accessCommand(
  command: string,
  { store, actor, slug: given, argument, publicUrl, fail }: { store: ChangeStore; actor: Actor; slug?: string; argument?: string; publicUrl?: string; fail: (message: string) => never },
): Promise<boolean> {
  if (!['stream visibility', 'stream viewer-link', 'stream revoke-links'].includes(command)) return false;
  const slug = given || fail('SLUG is required');
  const projection = await loadStreamProjection(store, slug);
  if (!projection) throw new StreamNotFound(slug);
  const key = `cli-${crypto.randomUUID()}`;
  switch (command) {
    case 'stream visibility': {
      const visibility = visibilityOf(argument, fail);
      await setVisibility(projection, { actor, visibility, key });
      console.log(`stream "${slug}" is now ${visibility}${visibility === 'private' ? ' (members, admins and holders of a viewer link may watch)' : ''}`);
      break;
    }
    case 'stream viewer-link': {
      const made = await addViewerLink(projection, { actor, key });
      const base = publicUrl?.replace(/\/+$/, '') ?? '';
      process.stderr.write(`viewer link for "${slug}"; shown once, share it only with those who may watch${base ? '' : ' (set LIVELOG_PUBLIC_URL for a full address)'}:\n`);
      console.log(viewerLink(base, slug, made.key ?? fail('the new link came back without its key')));
      break;
    }
    case 'stream revoke-links':
      await revokeViewerLinks(projection, { actor, key });
      console.log(`every viewer link of "${slug}" is revoked; their viewers are let go`);
      break;
  }
  return true;
}
