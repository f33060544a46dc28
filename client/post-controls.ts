// What each control in a post's `div.post-actions` does, whichever markup carries it: the server's
// no-JavaScript forms (engineer A's post-actions partial), or a clone of the same partial from the
// page's <template> for a post that arrived live. Pure helpers; author-controls.ts wires them.

export type Intent = 'edit' | 'pin' | 'key' | 'delete';

const INTENTS: Record<string, Intent> = { edit: 'edit', pin: 'pin', unpin: 'pin', key: 'key', unkey: 'key', delete: 'delete' };

/** The control's intent from its data-action, else from the last segment of its form's action or link. */
export function intentOf(control: { action?: string; dataAction?: string; href?: string }): Intent | null {
  const named = control.dataAction?.toLowerCase();
  if (named && INTENTS[named]) return INTENTS[named];
  const url = control.action || control.href || '';
  const last = url.split(/[?#]/)[0]?.split('/').filter(Boolean).pop()?.toLowerCase() ?? '';
  return INTENTS[last] ?? null;
}

/** A control's name for screen readers: its visible label, then which post it acts on. */
export function accessibleName(label: string, post: { author: string; time: string; headline?: string }): string {
  const which = post.headline ? `“${post.headline}”` : `the update by ${post.author}${post.time ? ` at ${post.time}` : ''}`;
  return `${label}: ${which}`;
}

/** The fields that carry a toggle's new state (blank in the template's forms). */
const STATE_FIELDS = new Set(['pinned', 'keyMoment']);

/**
 * The fields a toggle form sends: its own, with its state field set to the new state and a fresh
 * idempotency key (the page's key would replay the first click's answer).
 */
export function toggleFields(fields: [string, string][], turnOn: boolean, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of fields) {
    if (name === '_csrf') continue;
    out[name] = STATE_FIELDS.has(name) || value === 'true' || value === 'false' ? String(turnOn) : value;
  }
  out.key = key;
  return out;
}

/** Ctrl/⌘+Enter saves, Escape cancels: what a key press in an editor asks for. */
export function editorKey(event: { key: string; ctrlKey: boolean; metaKey: boolean }): 'save' | 'cancel' | null {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) return 'save';
  if (event.key === 'Escape') return 'cancel';
  return null;
}
