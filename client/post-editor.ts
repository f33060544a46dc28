// Editing a post in place: the page's edit-form <template> under the post, filled with the
// post's source; Ctrl/⌘+Enter saves, Escape cancels, and a refusal (a 409 when someone changed the
// post meanwhile) is said next to the form.
import { editorKey } from './post-controls.ts';
import { sendChange } from './send-change.ts';
import { clearFailure, showFailure } from './failure.ts';

export class PostEditor {
  constructor(
    private readonly slug: string,
    private readonly csrf: string,
  ) {}

  async open(article: HTMLElement, control: HTMLElement): Promise<void> {
    const id = article.dataset.postId ?? '';
    const bar = control.closest('.post-actions') ?? control;
    const response = await fetch(`/s/${this.slug}/posts/${id}`, { headers: { accept: 'application/json' } }).catch(() => null);
    if (!response?.ok) return showFailure(bar, 'This post can no longer be edited');
    const post = (await response.json()) as { body: string; seq: number; headline?: string };
    const template = document.getElementById('edit-form') as HTMLTemplateElement | null;
    const form = template?.content.firstElementChild?.cloneNode(true) as HTMLFormElement | undefined;
    if (!form) return;
    // The post may have been re-rendered while its source was on the way.
    const current = document.getElementById(article.id) ?? article;
    const body = form.querySelector('textarea') as HTMLTextAreaElement;
    body.value = post.body;
    const headline = form.querySelector<HTMLInputElement>('input[name=headline]');
    if (headline) headline.value = post.headline ?? '';
    const save = form.querySelector<HTMLButtonElement>('button[type=submit]');
    const close = () => {
      form.remove();
      (control.querySelector('button') ?? control).focus();
    };
    form.querySelector('[data-action=cancel]')?.addEventListener('click', close);
    form.addEventListener('keydown', (event) => {
      const wanted = editorKey(event);
      if (!wanted) return;
      event.preventDefault();
      if (wanted === 'save') form.requestSubmit();
      else close();
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (save) save.disabled = true;
      const fields: Record<string, string> = {};
      for (const [name, value] of new FormData(form)) if (typeof value === 'string' && name !== '_csrf') fields[name] = value;
      // The version we started from: if someone changed the post since, the server says 409.
      const result = await sendChange(`/s/${this.slug}/posts/${id}/edit`, { ...fields, baseSeq: String(post.seq), key: crypto.randomUUID() }, this.csrf);
      if (save) save.disabled = false;
      if (!result.ok) return showFailure(form, result.message);
      clearFailure(form);
      form.remove(); // the live frame brings the new version
      if (document.getElementById('posts')?.dataset.live !== 'true') location.reload();
    });
    current.querySelector('.edit-form')?.remove();
    current.append(form);
    body.focus();
  }
}
