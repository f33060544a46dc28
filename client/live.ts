// The viewer's and author's page script. The page works without it; with it, changes appear live,
// the connection heals itself and resumes exactly where it left off, and authors publish, edit,
// pin and delete without leaving the page.

// The protocol's types are the server's own (a type-only import: nothing of the server is bundled).
import type { Frame } from '../server/live/frames.ts';
import type { StreamStatus as Status } from '../server/log/records.ts';

/** Silence longer than this means a dead link: the server sends something every ~20 s. */
const SILENCE_MS = 45_000;
const MAX_BACKOFF_MS = 15_000;
/** Websocket attempts that fail before opening, after which Server-Sent Events are used instead. */
const WEBSOCKET_FAILURES_BEFORE_SSE = 2;

/** One live connection, whichever transport carries it. */
interface Link {
  close(): void;
}

class LiveConnection {
  private seq: number;
  /** The head announced by the last hello: until we reach it, replay frames may skip seqs. */
  private replayUntil = 0;
  private readonly epoch: string;
  private readonly slug: string;
  private attempts = 0;
  private websocketFailures = 0;
  private useSse = false;
  private link: Link | undefined;
  private watchdog: number | undefined;
  private retry: number | undefined;
  private unseen = 0;
  private readonly status = document.getElementById('live-status')!;
  private readonly newUpdates = document.getElementById('new-updates');

  constructor(private readonly list: HTMLElement, private readonly onPostShown: (article: HTMLElement) => void) {
    this.seq = Number(list.dataset.seq);
    this.epoch = list.dataset.epoch!;
    this.slug = list.dataset.stream!;
    this.newUpdates?.querySelector('button')?.addEventListener('click', () => {
      this.list.scrollIntoView({ behavior: 'smooth' });
      this.clearUnseen();
    });
    window.addEventListener('scroll', () => {
      if (window.scrollY < this.list.offsetTop) this.clearUnseen();
    }, { passive: true });
    window.addEventListener('offline', () => this.link && this.drop(this.link));
    window.addEventListener('online', () => this.reconnectNow());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.reconnectNow();
    });
  }

  connect(): void {
    const since = `${this.epoch}.${this.seq}`;
    this.link = this.useSse ? this.openSse(since) : this.openWebsocket(since);
  }

  private openWebsocket(since: string): Link {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/s/${this.slug}/live?since=${since}`);
    let opened = false;
    const link: Link = { close: () => socket.close() };
    socket.onopen = () => {
      opened = true;
      this.websocketFailures = 0;
      this.opened(link);
    };
    socket.onmessage = (event) => this.message(link, String(event.data));
    socket.onclose = (event) => {
      if (!opened && ++this.websocketFailures >= WEBSOCKET_FAILURES_BEFORE_SSE) this.useSse = true;
      this.drop(link, event.code);
    };
    return link;
  }

  private openSse(since: string): Link {
    const source = new EventSource(`/s/${this.slug}/events?since=${since}`);
    const link: Link = { close: () => source.close() };
    source.onopen = () => this.opened(link);
    source.onmessage = (event) => this.message(link, event.data);
    // EventSource would retry by itself; we retry ourselves so the resume point is always ours.
    source.onerror = () => this.drop(link);
    return link;
  }

  private opened(link: Link): void {
    if (this.link !== link) return;
    this.attempts = 0;
    this.showConnection('live');
    this.armWatchdog(link);
  }

  private message(link: Link, data: string): void {
    if (this.link !== link) return;
    this.armWatchdog(link);
    this.receive(link, JSON.parse(data) as Frame);
  }

  /** Forgets a link (closed, silent too long, or out of step) and schedules the next attempt. */
  private drop(link: Link, code = 0): void {
    if (this.link !== link) return;
    this.link = undefined;
    window.clearTimeout(this.watchdog);
    link.close();
    if (code === 4404) return this.showConnection('gone');
    this.showConnection('reconnecting');
    // Exponential backoff with full jitter: a restarted server is not hit by every viewer at once.
    const delay = Math.random() * Math.min(MAX_BACKOFF_MS, 250 * 2 ** this.attempts++);
    this.retry = window.setTimeout(() => this.connect(), delay);
  }

  /** Back online or back from sleep: skip the rest of the backoff wait. */
  private reconnectNow(): void {
    if (this.link) return;
    window.clearTimeout(this.retry);
    this.attempts = 0;
    this.connect();
  }

  private receive(link: Link, frame: Frame): void {
    switch (frame.t) {
      case 'hello':
        // The stream was restored or re-created: our copy is from another life of it.
        if (frame.epoch !== this.epoch) return location.reload();
        this.replayUntil = frame.seq;
        this.showStatus(frame.status);
        return;
      case 'viewers':
        document.getElementById('viewers')!.textContent = frame.n === 1 ? '· 1 viewer' : `· ${frame.n} viewers`;
        return;
      case 'ping':
        return;
    }
    if (frame.seq <= this.seq) return; // already shown
    if (frame.seq > this.replayUntil && frame.seq !== this.seq + 1) {
      // Live changes come one seq at a time: a jump means we missed one. Resume from what we hold.
      this.attempts = 0;
      return this.drop(link);
    }
    this.seq = frame.seq;
    this.list.dataset.seq = String(frame.seq);
    if (frame.t === 'stream') this.showStatus(frame.status);
    else if (frame.t === 'delete') document.getElementById(`post-${frame.id}`)?.remove();
    else this.showPost(frame);
  }

  private showPost(frame: Extract<Frame, { t: 'post' | 'edit' }>): void {
    const template = document.createElement('template');
    template.innerHTML = frame.html; // server-rendered and sanitised, same partial as the page
    const article = template.content.firstElementChild as HTMLElement | null;
    if (!article) return;
    const existing = document.getElementById(`post-${frame.id}`);
    existing?.remove();
    // Pinned first, then newest first by creation.
    const rank = (el: HTMLElement) => [el.dataset.pinned === 'true' ? 1 : 0, Number(el.dataset.createdSeq)] as const;
    const [pinned, created] = rank(article);
    const before = [...this.list.children].find((el) => {
      const [p, c] = rank(el as HTMLElement);
      return p < pinned || (p === pinned && c < created);
    });
    this.list.insertBefore(article, before ?? null);
    this.onPostShown(article);
    // An author editing this post keeps their text; saving it then meets the 409 it deserves.
    const editing = existing?.querySelector('.edit-form');
    if (editing) article.append(editing);
    if (!existing) {
      article.classList.add('fresh');
      document.getElementById('empty')?.remove();
      if (window.scrollY > this.list.offsetTop + 50) this.countUnseen();
    }
  }

  private showStatus(status: Status): void {
    this.status.dataset.status = status;
    if (status === 'ended') this.status.querySelector('.label')!.textContent = 'This stream has ended';
    else if (this.link) this.showConnection('live');
    document.dispatchEvent(new CustomEvent('livelog:status', { detail: status }));
  }

  private countUnseen(): void {
    this.unseen++;
    if (!this.newUpdates) return;
    this.newUpdates.hidden = false;
    this.newUpdates.querySelector('button')!.textContent = this.unseen === 1 ? '1 new update' : `${this.unseen} new updates`;
  }

  private clearUnseen(): void {
    this.unseen = 0;
    if (this.newUpdates) this.newUpdates.hidden = true;
  }

  private armWatchdog(link: Link): void {
    window.clearTimeout(this.watchdog);
    this.watchdog = window.setTimeout(() => this.drop(link), SILENCE_MS);
  }

  private showConnection(state: 'live' | 'reconnecting' | 'gone'): void {
    this.status.dataset.state = state;
    if (this.status.dataset.status === 'ended' && state === 'live') return;
    const label = { live: 'Live', reconnecting: 'Reconnecting…', gone: 'This stream no longer exists' }[state];
    this.status.querySelector('.label')!.textContent = label;
  }
}

/** Sends an author's change the way the plain form would, asking for JSON instead of a redirect. */
async function send(url: string, fields: Record<string, string> | FormData, csrf: string): Promise<{ ok: boolean; message: string; code?: string }> {
  let body: URLSearchParams | FormData;
  if (fields instanceof FormData) {
    fields.set('_csrf', csrf);
    body = fields; // multipart: it carries a photo
  } else {
    body = new URLSearchParams({ ...fields, _csrf: csrf });
  }
  try {
    const response = await fetch(url, { method: 'POST', headers: { accept: 'application/json' }, body, credentials: 'same-origin' });
    if (response.ok) return { ok: true, message: '' };
    const error = (await response.json().catch(() => ({}))) as { message?: string; code?: string };
    return { ok: false, message: error.message ?? response.statusText, code: error.code };
  } catch {
    return { ok: false, message: 'the server cannot be reached' };
  }
}

/** Publishes without leaving the page; keeps the draft in the browser until the server has it. */
class Composer {
  private readonly body: HTMLTextAreaElement;
  private readonly key: HTMLInputElement;
  private readonly status: HTMLElement;
  private readonly draftKey: string;

  constructor(private readonly form: HTMLFormElement, slug: string, private readonly csrf: string) {
    this.body = form.querySelector('textarea[name=body]')!;
    this.key = form.querySelector('input[name=key]')!;
    this.status = form.querySelector('#compose-status')!;
    this.draftKey = `livelog:draft:${slug}`;
  }

  start(): void {
    const saved = localStorage.getItem(this.draftKey);
    if (saved) {
      const draft = JSON.parse(saved) as { body: string; key: string };
      this.body.value = draft.body;
      this.key.value = draft.key; // same key: a retry of an unacknowledged post publishes once
    }
    this.body.addEventListener('input', () => this.saveDraft());
    this.body.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) this.form.requestSubmit();
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

  private async publish(): Promise<void> {
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
    const fields = withPhoto ? new FormData(this.form) : { body: this.body.value, key: this.key.value };
    const result = await send(this.form.action, fields, this.csrf);
    if (result.ok) {
      localStorage.removeItem(this.draftKey);
      this.form.reset();
      this.body.value = '';
      this.key.value = crypto.randomUUID();
      this.status.textContent = 'Published.';
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

/** Edit, pin and delete buttons on each post the author may change, and the stream's end/reopen. */
class AuthorControls {
  /** Names, not ids: user names are public (they sign every post) and unique; ids stay inside. */
  private readonly userName: string;
  private readonly admin: boolean;
  private readonly csrf: string;

  constructor(tools: HTMLElement, private readonly slug: string) {
    this.userName = tools.dataset.user!;
    this.admin = tools.dataset.admin === 'true';
    this.csrf = tools.dataset.csrf!;
  }

  decorate(article: HTMLElement): void {
    const id = article.dataset.postId!;
    const own = this.admin || article.dataset.author === this.userName;
    const bar = document.createElement('div');
    bar.className = 'post-actions';
    const button = (label: string, action: () => void) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      b.addEventListener('click', action);
      bar.append(b);
    };
    if (own) button('Edit', () => void this.edit(article, id));
    const pinned = article.dataset.pinned === 'true';
    button(pinned ? 'Unpin' : 'Pin', () => void this.change(article, `/s/${this.slug}/posts/${id}/pin`, { pinned: String(!pinned) }));
    if (own) {
      button('Delete', () => {
        if (confirm('Delete this post for every viewer?')) {
          void this.change(article, `/s/${this.slug}/posts/${id}/delete`, { baseSeq: article.dataset.seq! });
        }
      });
    }
    article.append(bar);
  }

  private async change(article: HTMLElement, url: string, fields: Record<string, string>): Promise<boolean> {
    const result = await send(url, { ...fields, key: crypto.randomUUID() }, this.csrf);
    if (!result.ok) this.say(article, result.message);
    return result.ok;
  }

  private async edit(original: HTMLElement, id: string): Promise<void> {
    const response = await fetch(`/s/${this.slug}/posts/${id}`, { headers: { accept: 'application/json' } });
    // A live change may have re-rendered the post while we asked for its source.
    const article = document.getElementById(original.id) ?? original;
    if (!response.ok) return this.say(article, 'This post can no longer be edited');
    const post = (await response.json()) as { body: string; seq: number };
    const form = document.createElement('form');
    form.className = 'edit-form';
    const textarea = document.createElement('textarea');
    textarea.name = 'body';
    textarea.value = post.body;
    textarea.rows = 4;
    textarea.setAttribute('aria-label', 'Edit post');
    const save = document.createElement('button');
    save.type = 'submit';
    save.textContent = 'Save';
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.textContent = 'Cancel';
    cancel.addEventListener('click', () => form.remove());
    form.append(textarea, save, cancel);
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
function followStatus(form: HTMLFormElement, compose: HTMLFormElement | null, csrf: string): void {
  const apply = (status: Status) => {
    (form.querySelector('input[name=status]') as HTMLInputElement).value = status === 'ended' ? 'live' : 'ended';
    form.querySelector('button')!.textContent = status === 'ended' ? 'Reopen the stream' : 'End the stream';
    if (compose) compose.hidden = status === 'ended';
  };
  document.addEventListener('livelog:status', (event) => apply((event as CustomEvent<Status>).detail));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const status = (form.querySelector('input[name=status]') as HTMLInputElement).value;
    void send(form.action, { status, key: crypto.randomUUID() }, csrf);
  });
}

/** Shows each post's time in the reader's own time zone, and "5 min ago" for recent ones. */
function relativeTime(el: HTMLTimeElement): void {
  const date = new Date(el.dateTime);
  const minutes = Math.round((Date.now() - date.getTime()) / 60_000);
  const clock = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  el.textContent = minutes < 1 ? `just now · ${clock}` : minutes < 60 ? `${minutes} min ago · ${clock}` : date.toLocaleString();
  el.title = date.toLocaleString();
}

const posts = document.getElementById('posts');
if (posts) {
  const slug = posts.dataset.stream!;
  const tools = document.getElementById('author-tools');
  const controls = tools ? new AuthorControls(tools, slug) : null;
  const prepare = (article: HTMLElement) => {
    article.querySelectorAll<HTMLTimeElement>('time[datetime]').forEach(relativeTime);
    controls?.decorate(article);
  };
  posts.querySelectorAll<HTMLElement>('article.post').forEach(prepare);
  window.setInterval(() => posts.querySelectorAll<HTMLTimeElement>('time[datetime]').forEach(relativeTime), 30_000);
  if (posts.dataset.live === 'true') new LiveConnection(posts, prepare).connect();
  if (tools) {
    const compose = document.getElementById('compose') as HTMLFormElement | null;
    if (compose) new Composer(compose, slug, tools.dataset.csrf!).start();
    followStatus(document.getElementById('status-form') as HTMLFormElement, compose, tools.dataset.csrf!);
  }
}
