// Edit, pin, key and delete on each post the author may change, by fetch instead of a page load.
// The controls are the server's own: its no-JavaScript forms in `div.post-actions`, or (for a post
// that arrived live) a clone of the same partial from the page's <template>. Nothing is built here
// but a note saying why an action failed.
import { accessibleName, intentOf, type Intent, toggleFields } from './post-controls.ts';
import { PostEditor } from './post-editor.ts';
import { sendChange } from './send-change.ts';
import { clearFailure, showFailure } from './failure.ts';

function cloneTemplate(id: string): HTMLElement | null {
  const template = document.getElementById(id) as HTMLTemplateElement | null;
  return (template?.content.firstElementChild?.cloneNode(true) as HTMLElement | undefined) ?? null;
}

/** Forms, links and lone buttons in an actions bar, each with what it does. */
function controlsOf(bar: HTMLElement): { element: HTMLElement; intent: Intent }[] {
  const found: { element: HTMLElement; intent: Intent }[] = [];
  for (const element of bar.querySelectorAll<HTMLElement>('form, a, button[data-action]')) {
    if (element instanceof HTMLButtonElement && element.form) continue; // its form stands for it
    const intent = intentOf({
      // A form's own data-action, else its (first) button's: Pin and Unpin share one form.
      dataAction: element.dataset.action ?? element.querySelector<HTMLElement>('[data-action]')?.dataset.action,
      action: element instanceof HTMLFormElement ? (element.getAttribute('action') ?? '') : undefined,
      href: element instanceof HTMLAnchorElement ? (element.getAttribute('href') ?? '') : undefined,
    });
    if (intent) found.push({ element, intent });
  }
  return found;
}

const buttonOf = (element: HTMLElement) =>
  element instanceof HTMLFormElement ? element.querySelector<HTMLButtonElement>('button:not([hidden])') : (element as HTMLButtonElement);

/** "14:05" in the reader's time: a stable name (the visible "5 min ago" keeps changing). */
const clockOf = (time: HTMLTimeElement | null) =>
  time?.dateTime ? new Date(time.dateTime).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';

export class AuthorControls {
  /** Names, not ids: user names are public (they sign every post) and unique; ids stay inside. */
  private readonly userName: string;
  private readonly admin: boolean;
  private readonly csrf: string;
  private readonly editor: PostEditor;

  constructor(
    tools: HTMLElement,
    private readonly slug: string,
  ) {
    this.userName = tools.dataset.user ?? '';
    this.admin = tools.dataset.admin === 'true';
    this.csrf = tools.dataset.csrf ?? '';
    this.editor = new PostEditor(slug, this.csrf);
  }

  decorate(article: HTMLElement): void {
    const id = article.dataset.postId ?? '';
    let bar = article.querySelector<HTMLElement>('div.post-actions');
    if (!bar) {
      // A post that arrived live: the template's forms, pointed at this post.
      bar = cloneTemplate('post-actions');
      if (!bar) return;
      const own = this.admin || article.dataset.author === this.userName;
      for (const { element, intent } of controlsOf(bar)) {
        if (!own && (intent === 'edit' || intent === 'delete')) element.remove();
        else if (element instanceof HTMLFormElement && !element.getAttribute('action')) element.setAttribute('action', `/s/${this.slug}/posts/${id}/${intent}`);
      }
      (article.querySelector('footer.post-footer') ?? article.lastElementChild)?.after(bar);
    }
    // Without script, Edit is a link to the edit page; here it edits in place, so it is a button.
    for (const link of bar.querySelectorAll<HTMLAnchorElement>('a[data-action=edit]')) {
      const button = cloneTemplate('post-actions')?.querySelector<HTMLElement>('button[data-action=edit]');
      if (!button) continue;
      button.replaceChildren(...link.childNodes);
      link.replaceWith(button);
    }
    for (const { element, intent } of controlsOf(bar)) this.enhance(article, element, intent);
    this.label(article, bar);
  }

  /** Toggles show the post's state, and every control names its post for screen readers. */
  private label(article: HTMLElement, bar: HTMLElement): void {
    for (const [intent, state] of [
      ['pin', 'pinned'],
      ['key', 'key'],
    ] as const) {
      const on = article.dataset[state] === 'true';
      const turnOn = bar.querySelector<HTMLElement>(`[data-action=${intent}]`);
      const turnOff = bar.querySelector<HTMLElement>(`[data-action=un${intent}]`);
      if (turnOn && turnOff) {
        turnOn.hidden = on;
        turnOff.hidden = !on;
      }
    }
    const headline = article.querySelector('.post-headline')?.textContent?.trim();
    const post = { author: article.dataset.author ?? '', time: clockOf(article.querySelector('.post-meta time[datetime]')), headline: headline || undefined };
    // The server's own controls name their post in a visually hidden span; the template's do not.
    for (const control of bar.querySelectorAll<HTMLElement>('button, a')) {
      if (!control.querySelector('.visually-hidden')) control.setAttribute('aria-label', accessibleName(control.textContent?.trim() ?? '', post));
    }
  }

  private enhance(article: HTMLElement, element: HTMLElement, intent: Intent): void {
    if (element.dataset.enhanced) return;
    element.dataset.enhanced = 'true';
    const run = (event: Event) => {
      event.preventDefault();
      void this.act(article, element, intent);
    };
    if (element instanceof HTMLFormElement) element.addEventListener('submit', run);
    else element.addEventListener('click', run);
  }

  private async act(original: HTMLElement, element: HTMLElement, intent: Intent): Promise<void> {
    // A live change may have re-rendered the post since the page was drawn.
    const article = (document.getElementById(original.id) as HTMLElement | null) ?? original;
    const id = article.dataset.postId ?? '';
    const base = `/s/${this.slug}/posts/${id}`;
    if (intent === 'edit') return this.editor.open(article, element);
    if (intent === 'delete' && !confirm('Delete this post for every viewer?')) return;
    const form = element instanceof HTMLFormElement ? element : null;
    const url = form?.action || `${base}/${intent}`;
    const key = crypto.randomUUID();
    let fields: Record<string, string>;
    if (intent === 'delete') fields = { ...(form ? toggleFields([...new FormData(form)] as [string, string][], false, key) : {}), baseSeq: article.dataset.seq ?? '', key };
    else {
      const turnOn = article.dataset[intent === 'pin' ? 'pinned' : 'key'] !== 'true';
      fields = form ? toggleFields([...new FormData(form)] as [string, string][], turnOn, key) : { [intent === 'pin' ? 'pinned' : 'keyMoment']: String(turnOn), key };
    }
    const button = buttonOf(element);
    if (button) button.disabled = true;
    const result = await sendChange(url, fields, this.csrf);
    if (button) button.disabled = false;
    const bar = element.closest('.post-actions') ?? element;
    if (!result.ok) return showFailure(bar, result.message);
    clearFailure(bar);
    // Without a live feed (an older page) no frame brings the change: show it here.
    if (document.getElementById('posts')?.dataset.live !== 'true') location.reload();
  }
}
