// Edit, pin and delete on each post the author may change, and the stream's end/reopen button. The
// buttons and the edit form are the server's own partials (templates on the author's page), cloned.
import type { StreamStatus } from '../shared/protocol.ts';
import { sendChange } from './send-change.ts';

function cloneTemplate(id: string): HTMLElement {
  const template = document.getElementById(id) as HTMLTemplateElement;
  return template.content.firstElementChild?.cloneNode(true) as HTMLElement;
}

export class AuthorControls {
  /** Names, not ids: user names are public (they sign every post) and unique; ids stay inside. */
  private readonly userName: string;
  private readonly admin: boolean;
  private readonly csrf: string;

  constructor(
    tools: HTMLElement,
    private readonly slug: string,
  ) {
    this.userName = tools.dataset.user ?? '';
    this.admin = tools.dataset.admin === 'true';
    this.csrf = tools.dataset.csrf ?? '';
  }

  decorate(article: HTMLElement): void {
    const id = article.dataset.postId ?? '';
    const own = this.admin || article.dataset.author === this.userName;
    const pinned = article.dataset.pinned === 'true';
    const key = article.dataset.key === 'true';
    const bar = cloneTemplate('post-actions');
    const button = (action: string) => bar.querySelector<HTMLButtonElement>(`[data-action=${action}]`) as HTMLButtonElement;
    // The template's buttons sit in plain forms (the no-JavaScript page): the script acts instead.
    const on = (action: string, run: () => void) =>
      button(action).addEventListener('click', (event) => {
        event.preventDefault();
        run();
      });
    button(pinned ? 'pin' : 'unpin').remove();
    on(pinned ? 'unpin' : 'pin', () => void this.change(article, `/s/${this.slug}/posts/${id}/pin`, { pinned: String(!pinned) }));
    button(key ? 'key' : 'unkey').remove();
    on(key ? 'unkey' : 'key', () => void this.change(article, `/s/${this.slug}/posts/${id}/key`, { keyMoment: String(!key) }));
    if (own) {
      on('edit', () => void this.edit(article, id));
      on('delete', () => {
        if (confirm('Delete this post for every viewer?')) {
          void this.change(article, `/s/${this.slug}/posts/${id}/delete`, { baseSeq: article.dataset.seq ?? '' });
        }
      });
    } else {
      button('edit').remove();
      button('delete').remove();
    }
    // The server renders the same actions as plain forms; the scripted ones replace them.
    article.querySelector(':scope > .post-actions')?.remove();
    article.append(bar);
  }

  private async change(article: HTMLElement, url: string, fields: Record<string, string>): Promise<boolean> {
    const result = await sendChange(url, { ...fields, key: crypto.randomUUID() }, this.csrf);
    if (!result.ok) this.say(article, result.message);
    return result.ok;
  }

  private async edit(original: HTMLElement, id: string): Promise<void> {
    const response = await fetch(`/s/${this.slug}/posts/${id}`, { headers: { accept: 'application/json' } });
    // A live change may have re-rendered the post while we asked for its source.
    const article = document.getElementById(original.id) ?? original;
    if (!response.ok) return this.say(article, 'This post can no longer be edited');
    const post = (await response.json()) as { body: string; seq: number };
    const form = cloneTemplate('edit-form') as HTMLFormElement;
    const textarea = form.querySelector('textarea') as HTMLTextAreaElement;
    const save = form.querySelector('button[type=submit]') as HTMLButtonElement;
    textarea.value = post.body;
    form.querySelector('[data-action=cancel]')?.addEventListener('click', () => form.remove());
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      save.disabled = true;
      // The version we started from: if someone changed the post since, the server says 409.
      const ok = await this.change(article, `/s/${this.slug}/posts/${id}/edit`, { body: textarea.value, baseSeq: String(post.seq) });
      save.disabled = false;
      if (ok) form.remove(); // the live frame brings the new version
    });
    article.querySelector('.edit-form')?.remove();
    article.append(form);
    textarea.focus();
  }

  private say(original: HTMLElement, message: string): void {
    // The post may have been re-rendered by a live change since the action began.
    const article = document.getElementById(original.id) ?? original;
    let note = article.querySelector<HTMLElement>('.post-error');
    if (!note) {
      note = document.createElement('p');
      note.className = 'post-error error';
      note.setAttribute('role', 'alert');
      article.append(note);
    }
    note.textContent = message;
  }
}

/** Keeps the end/reopen button and the composer in step with the stream's status. */
export function followStatus(form: HTMLFormElement, compose: HTMLFormElement | null, csrf: string): void {
  const next = form.querySelector('input[name=status]') as HTMLInputElement;
  const apply = (status: StreamStatus) => {
    next.value = status === 'ended' ? 'live' : 'ended';
    const button = form.querySelector('button');
    if (button) button.textContent = status === 'ended' ? 'Reopen the stream' : 'End the stream';
    if (compose) compose.hidden = status === 'ended';
  };
  document.addEventListener('livelog:status', (event) => apply((event as CustomEvent<StreamStatus>).detail));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void sendChange(form.action, { status: next.value, key: crypto.randomUUID() }, csrf);
  });
}
