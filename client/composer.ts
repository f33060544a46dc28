// Publishing without leaving the page. The draft stays in the browser until the server has it, and
// keeps its idempotency key: a retry of a post whose answer was lost publishes it once.
import { instantOf, showLocalTimes } from './local-time.ts';
import { sendChange } from './send-change.ts';

export class Composer {
  private readonly body: HTMLTextAreaElement;
  private readonly key: HTMLInputElement;
  private readonly status: HTMLElement;
  private readonly draftKey: string;

  constructor(
    private readonly form: HTMLFormElement,
    slug: string,
    private readonly csrf: string,
  ) {
    this.body = form.querySelector('textarea[name=body]') as HTMLTextAreaElement;
    this.key = form.querySelector('input[name=key]') as HTMLInputElement;
    this.status = form.querySelector('#compose-status') as HTMLElement;
    this.draftKey = `livelog:draft:${slug}`;
  }

  start(): void {
    showLocalTimes(this.form);
    // Text typed before this script ran (a slow connection) is newer than any saved draft.
    const typedEarly = this.body.value;
    const saved = localStorage.getItem(this.draftKey);
    if (saved) {
      const draft = JSON.parse(saved) as { body: string; key: string };
      this.body.value = draft.body;
      this.key.value = draft.key; // same key: a retry of an unacknowledged post publishes once
    }
    if (typedEarly.trim()) {
      this.body.value = typedEarly;
      this.saveDraft();
    }
    this.body.addEventListener('input', () => this.saveDraft());
    this.form.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && event.target !== this.form.querySelector('[type=file]')) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    // The prompt goes once the photo is described or marked decorative.
    this.form.addEventListener('input', () => {
      if (this.altPrompt && !this.undescribed()) this.altPrompt.hidden = true;
    });
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.publish();
    });
  }

  private saveDraft(): void {
    if (this.body.value.trim()) {
      localStorage.setItem(this.draftKey, JSON.stringify({ body: this.body.value, key: this.key.value }));
    } else {
      localStorage.removeItem(this.draftKey);
    }
  }

  private get altPrompt(): HTMLElement | null {
    return this.form.querySelector('#alt-prompt');
  }

  /** A photo is attached with neither a description nor the "decorative" box ticked. */
  private undescribed(): boolean {
    const photo = this.form.querySelector<HTMLInputElement>('input[name=photo]');
    const alt = this.form.querySelector<HTMLInputElement>('input[name=alt]');
    const decorative = this.form.querySelector<HTMLInputElement>('input[name=decorative]');
    return Boolean(photo?.files?.length) && !alt?.value.trim() && !decorative?.checked;
  }

  private async publish(): Promise<void> {
    if (this.undescribed() && this.altPrompt) {
      this.altPrompt.hidden = false;
      this.form.querySelector<HTMLInputElement>('input[name=alt]')?.focus();
      return;
    }
    const button = this.form.querySelector('button[type=submit]') as HTMLButtonElement;
    button.disabled = true;
    this.status.textContent = 'Publishing…';
    this.saveDraft();
    const photo = this.form.querySelector<HTMLInputElement>('input[name=photo]');
    const withPhoto = Boolean(photo?.files?.length);
    if (!withPhoto && !this.body.value.trim()) {
      this.status.textContent = 'Write something or add a photo first.';
      button.disabled = false;
      return;
    }
    const headline = this.form.querySelector<HTMLInputElement>('input[name=headline]')?.value ?? '';
    const publishAt = instantOf(this.form.querySelector<HTMLInputElement>('input[name=publishAt]')?.value ?? '');
    const fields = withPhoto ? new FormData(this.form) : { body: this.body.value, headline, key: this.key.value, publishAt };
    if (fields instanceof FormData && publishAt) fields.set('publishAt', publishAt);
    const result = await sendChange(this.form.action, fields, this.csrf);
    if (result.ok) {
      localStorage.removeItem(this.draftKey);
      this.form.reset();
      this.body.value = '';
      this.key.value = crypto.randomUUID();
      // A contributor's post waits for an editor: the form says so (data-done).
      this.status.textContent = publishAt ? 'Scheduled: it waits in the Scheduled list until its time.' : (this.form.dataset.done ?? 'Published.');
    } else if (result.code === 'LIVELOG_KEY_REUSED') {
      // An earlier attempt of this draft did reach the server (its answer was lost), and the text
      // has changed since: that earlier version is what was published.
      this.key.value = crypto.randomUUID();
      this.saveDraft();
      this.status.textContent = 'An earlier version of this draft was already published. Publish again to post this text as a new update.';
    } else {
      this.status.textContent = `Not published: ${result.message}. Your draft is kept; try again.`;
    }
    button.disabled = false;
  }
}
