import type { ChangeRecord } from '../log/records.ts';
import { postSummary } from './post-html.ts';

// One line of a stream's history, in words an organiser reads: what a change of its log did.

const ORDER_WORDS = { newest: 'newest first', oldest: 'oldest first' } as const;

export function describeChange(record: ChangeRecord): string {
  const about = record.post ? ` “${postSummary(record.post, 60)}”` : record.purged ? ' (text purged)' : '';
  switch (record.type) {
    case 'post':
      return `published${about}`;
    case 'edit':
      return `edited${about}`;
    case 'pin':
      return `${record.post?.pinned ? 'pinned' : 'unpinned'}${about}`;
    case 'key':
      return `${record.post?.key ? 'marked as a key moment' : 'unmarked as a key moment'}${about}`;
    case 'delete':
      return 'deleted a post';
    case 'status':
      return record.status === 'ended' ? 'ended the stream' : 'reopened the stream';
    case 'member':
      return record.active ? `added ${record.member?.name ?? 'someone'} as an author` : `removed ${record.member?.name ?? 'someone'} from the authors`;
    case 'order':
      return `set the order to ${ORDER_WORDS[record.order ?? 'newest']}`;
    case 'visibility':
      return `made the stream ${record.visibility ?? 'public'}`;
    case 'viewer-link':
      return 'made a viewer link';
    case 'revoke-links':
      return 'revoked every viewer link';
    case 'submit':
      return `submitted${about} for review`;
    case 'approve':
      return `approved${about}`;
    case 'reject':
      return `rejected a submission: ${record.reason ?? ''}`;
    case 'schedule':
      return `scheduled${about} for ${record.publishAt?.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    case 'unschedule':
      return 'cancelled a scheduled post';
    case 'publish':
      return `published${about} at its scheduled time`;
    case 'announce':
      return record.startsAt ? `announced the start for ${record.startsAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'withdrew the announced start';
    default:
      // A kind of change this page does not know yet still shows, by its name.
      return String(record.type);
  }
}
