// Edit, pin, key and delete on each post the author may change, by fetch instead of a page load.
// The controls are the server's own: its no-JavaScript forms in `div.post-actions`, or (for a post
// that arrived live) a clone of the same partial from the page's <template>. Nothing is built here
// but a note saying why an action failed.
import { accessibleName, addressed, intentOf, type Intent, toggleFields, toggleLabel } from './post-controls.ts';
import { PostEditor } from './post-editor.ts';
import { sendChange } from './send-change.ts';
import { clearFailure, showFailure } from './failure.ts';

function cloneTemplate(id: string): HTMLElement | null {
  const template = document.getElementById(id) as HTMLTemplateElement | null;
  return (template?.content.firstElementChild?.cloneNode(true) as HTMLElement | undefined) ?? null;
}

/** Buttons, links and forms in an actions bar, each with what it does. */
function controlsOf(bar: HTMLElement): { element: HTMLElement; intent: Intent }[] {
  const found: { element: HTMLElement; intent: Intent }[] = [];
  for (const element of bar.querySelectorAll<HTMLElement>('form, a, button[data-action]')) {
    if (element instanceof HTMLButtonElement && element.form) continue; // its form stands for it
    const intent = intentOf({
      dataAction: element.dataset.action,
      action: element instanceof HTMLFormElement ? element.getAttribute('action') ?? '' : undefined,
      href: element instanceof HTMLAnchorElement ? element.getAttribute('href') ?? '' : undefined,
    });
    if (intent) found.push({ element, intent });
  }
  return found;
}

/** "14:05" in the reader's time: a stable name (the visible "5 min ago" keeps changing). */
const clockOf = (time: HTMLTimeElement | null) =>
  time?.dateTime ? new Date(time.dateTime).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';

const buttonOf = (element: HTMLElement) => (element instanceof HTMLFormElement ? element.querySelector<HTMLElement>('button, [type=submit]') : element);

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
      bar = cloneTemplate('post-actions');
      if (!bar) return;
      for (const form of bar.querySelectorAll('form')) form.setAttribute('action', addressed(form.getAttribute('action') ?? '', id));
      for (const link of bar.querySelectorAll('a')) link.setAttribute('href', addressed(link.getAttribute('href') ?? '', id));
      if (!(this.admin || article.dataset.author === this.userName)) {
        for (const { element, intent } of controlsOf(bar)) if (intent === 'edit' || intent === 'delete') element.remove();
      }
      (article.querySelector('footer.post-footer') ?? article.lastElementChild)?.after(bar);
    }
    for (const { element, intent } of controlsOf(bar)) this.enhance(article, element, intent);
    this.label(article, bar);
  }

  /** Toggles show the post's state, and every control names its post for screen readers. */
  private label(article: HTMLElement, bar: HTMLElement): void {
    const headline = article.querySelector('.post-headline')?.textContent?.trim();
    const post = {
      author: article.dataset.author ?? '',
      time: clockOf(article.querySelector<HTMLTimeElement>('.post-meta time[datetime]')),
      headline: headline || undefined,
    };
    const controls = controlsOf(bar);
    for (const { element, intent } of controls) {
      const button = buttonOf(element);
      if (!button) continue;
      if (intent === 'pin' || intent === 'key') {
        const on = article.dataset[intent === 'pin' ? 'pinned' : 'key'] === 'true';
        const named = element.dataset.action ?? button.dataset.action;
        // Separate Pin and Unpin controls: only the one that applies stays.
        if (named === `un${intent}` || (named === intent && controls.some((c) => c.element.dataset.action === `un${intent}`))) {
          if ((named === `un${intent}`) !== on) {
            element.hidden = true;
            continue;
          }
          element.hidden = false;
        } else {
          const text = [...button.childNodes].find((node) => node.nodeType === Node.TEXT_NODE && node.textContent?.trim());
          if (text) text.textContent = toggleLabel(intent, on);
          else button.textContent = toggleLabel(intent, on);
        }
      }
      const visible = [...button.childNodes].filter((n) => !(n instanceof HTMLElement && n.classList.contains('visually-hidden'))).map((n) => n.textContent).join('').trim();
      button.setAttribute('aria-label', accessibleName(visible, post));
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
      fields = form ? toggleFields([...new FormData(form)] as [string, string][], turnOn, key) : { pinned: String(turnOn), key };
    }
    const button = buttonOf(element) as HTMLButtonElement | null;
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
