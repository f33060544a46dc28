// The viewer's and author's page script. The page works without it; with it, new posts appear
// live, the connection heals itself, and the author's form publishes without leaving the page.

interface PostFrame { t: 'post'; seq: number; id: string; createdSeq: number; html: string }
interface HelloFrame { t: 'hello'; epoch: string; seq: number }
type Frame = PostFrame | HelloFrame | { t: 'ping' };

/** Silence longer than this means a dead link: the server sends something every ~20 s. */
const SILENCE_MS = 45_000;
const MAX_BACKOFF_MS = 15_000;

class LiveConnection {
  private seq: number;
  private readonly epoch: string;
  private readonly slug: string;
  private attempts = 0;
  private watchdog: number | undefined;
  private retry: number | undefined;
  private socket: WebSocket | undefined;
  private unseen = 0;
  private readonly status = document.getElementById('live-status');
  private readonly newUpdates = document.getElementById('new-updates');

  constructor(private readonly list: HTMLElement) {
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
    window.addEventListener('online', () => this.reconnectNow());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.reconnectNow();
    });
  }

  connect(): void {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${location.host}/s/${this.slug}/live?since=${this.epoch}.${this.seq}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.setStatus('live', 'Live');
      this.armWatchdog();
    };
    socket.onmessage = (event) => {
      this.armWatchdog();
      this.receive(JSON.parse(String(event.data)) as Frame);
    };
    socket.onclose = (event) => this.drop(socket, event.code);
  }

  /** Forgets a socket (closed, or silent too long) and schedules the next attempt. */
  private drop(socket: WebSocket, code = 0): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    window.clearTimeout(this.watchdog);
    socket.close();
    if (code === 4404) return this.setStatus('offline', 'This stream no longer exists');
    this.setStatus('reconnecting', 'Reconnecting…');
    // Exponential backoff with full jitter: a restarted server is not hit by every viewer at once.
    const delay = Math.random() * Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempts++);
    this.retry = window.setTimeout(() => this.connect(), delay);
  }

  /** Back online or back from sleep: skip the rest of the backoff wait. */
  private reconnectNow(): void {
    if (this.socket) return;
    window.clearTimeout(this.retry);
    this.attempts = 0;
    this.connect();
  }

  private receive(frame: Frame): void {
    if (frame.t === 'hello' && frame.epoch !== this.epoch) {
      // The stream was restored or re-created: our copy is from another life of it.
      location.reload();
    } else if (frame.t === 'post' && frame.seq > this.seq) {
      this.seq = frame.seq;
      this.show(frame);
    }
  }

  private show(frame: PostFrame): void {
    const template = document.createElement('template');
    template.innerHTML = frame.html; // server-rendered and sanitised, same partial as the page
    const article = template.content.firstElementChild as HTMLElement | null;
    if (!article) return;
    relativeTimes(article);
    const existing = document.getElementById(`post-${frame.id}`);
    if (existing) {
      existing.replaceWith(article);
    } else {
      // Newest first by creation; a late-arriving older post slots into its place.
      const after = [...this.list.children].find(
        (el) => Number((el as HTMLElement).dataset.createdSeq) < frame.createdSeq,
      );
      this.list.insertBefore(article, after ?? null);
      article.classList.add('fresh');
      document.getElementById('empty')?.remove();
      if (window.scrollY > this.list.offsetTop + 50) this.countUnseen();
    }
  }

  private countUnseen(): void {
    this.unseen++;
    if (!this.newUpdates) return;
    this.newUpdates.hidden = false;
    this.newUpdates.querySelector('button')!.textContent =
      this.unseen === 1 ? '1 new update' : `${this.unseen} new updates`;
  }

  private clearUnseen(): void {
    this.unseen = 0;
    if (this.newUpdates) this.newUpdates.hidden = true;
  }

  private armWatchdog(): void {
    window.clearTimeout(this.watchdog);
    const socket = this.socket;
    if (socket) this.watchdog = window.setTimeout(() => this.drop(socket), SILENCE_MS);
  }

  private setStatus(state: string, text: string): void {
    if (!this.status) return;
    this.status.dataset.state = state;
    this.status.querySelector('.label')!.textContent = text;
  }
}

/** Publishes without leaving the page; keeps the draft in the browser until the server has it. */
class Composer {
  private readonly body: HTMLTextAreaElement;
  private readonly key: HTMLInputElement;
  private readonly status: HTMLElement | null;
  private readonly draftKey: string;

  constructor(private readonly form: HTMLFormElement, slug: string) {
    this.body = form.querySelector('textarea[name=body]')!;
    this.key = form.querySelector('input[name=key]')!;
    this.status = form.querySelector('#compose-status');
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
    this.say('Publishing…');
    try {
      const response = await fetch(this.form.action, {
        method: 'POST',
        headers: { accept: 'application/json' },
        body: new URLSearchParams(new FormData(this.form) as unknown as Record<string, string>),
        credentials: 'same-origin',
      });
      if (response.ok) {
        localStorage.removeItem(this.draftKey);
        this.body.value = '';
        this.key.value = crypto.randomUUID();
        this.say('Published.');
      } else {
        const error = (await response.json().catch(() => ({}))) as { message?: string };
        this.say(`Not published: ${error.message ?? response.statusText}. Your draft is kept.`);
      }
    } catch {
      this.say('Not published: the server cannot be reached. Your draft is kept; try again.');
    } finally {
      button.disabled = false;
    }
  }

  private say(text: string): void {
    if (this.status) this.status.textContent = text;
  }
}

/** Shows each post's time in the reader's own time zone, and "5 min ago" for recent ones. */
function relativeTimes(root: HTMLElement): void {
  const update = (el: HTMLTimeElement) => {
    const date = new Date(el.dateTime);
    const minutes = Math.round((Date.now() - date.getTime()) / 60_000);
    const clock = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    el.textContent = minutes < 1 ? `just now · ${clock}` : minutes < 60 ? `${minutes} min ago · ${clock}` : date.toLocaleString();
    el.title = date.toLocaleString();
  };
  const times = () => root.querySelectorAll<HTMLTimeElement>('time[datetime]');
  times().forEach(update);
  if (root.id === 'posts') window.setInterval(() => times().forEach(update), 30_000);
}

const posts = document.getElementById('posts') as HTMLElement | null;
if (posts) {
  relativeTimes(posts);
  if (posts.dataset.live === 'true') new LiveConnection(posts).connect();
  const form = document.getElementById('compose') as HTMLFormElement | null;
  if (form) new Composer(form, posts.dataset.stream!).start();
}
