// The viewer's and author's page script. The page works without it; with it, changes appear live,
// the connection heals itself and resumes exactly where it left off, and authors publish, edit,
// pin and delete without leaving the page. This file only wires the parts together.
import { AuthorControls, followStatus } from './author-controls.ts';
import { Composer } from './composer.ts';
import { LiveConnection } from './connection.ts';
import { Feed } from './feed.ts';
import { LiveStatus } from './live-status.ts';
import { showRelativeTimes } from './time.ts';
import { browserTransports } from './transports.ts';

const posts = document.getElementById('posts');
if (posts) {
  const slug = posts.dataset.stream ?? '';
  const tools = document.getElementById('author-tools');
  const controls = tools ? new AuthorControls(tools, slug) : null;
  const prepare = (article: HTMLElement) => {
    showRelativeTimes(article);
    controls?.decorate(article);
  };
  posts.querySelectorAll<HTMLElement>('article.post').forEach(prepare);
  window.setInterval(() => showRelativeTimes(posts), 30_000);
  if (posts.dataset.live === 'true') follow(posts, slug, prepare);
  if (tools) {
    const csrf = tools.dataset.csrf ?? '';
    const compose = document.getElementById('compose') as HTMLFormElement | null;
    if (compose) new Composer(compose, slug, csrf).start();
    followStatus(document.getElementById('status-form') as HTMLFormElement, compose, csrf);
  }
}

function follow(list: HTMLElement, slug: string, prepare: (article: HTMLElement) => void): void {
  const feed = new Feed(list, prepare);
  const status = new LiveStatus(document.getElementById('live-status') as HTMLElement);
  const timers = {
    setTimeout: (run: () => void, ms: number) => window.setTimeout(run, ms),
    clearTimeout: (id: number | undefined) => window.clearTimeout(id),
    random: Math.random,
  };
  const connection = new LiveConnection(
    list.dataset.epoch ?? '',
    Number(list.dataset.seq),
    browserTransports(slug),
    {
      state: (state) => status.connection(state),
      status: (streamStatus) => status.stream(streamStatus),
      change: (frame) => {
        feed.change(frame);
        if (frame.t === 'stream') status.stream(frame.status);
      },
      viewers: (n) => status.viewers(n),
      epochChanged: () => location.reload(),
    },
    timers,
  );
  window.addEventListener('offline', () => connection.disconnect());
  window.addEventListener('online', () => connection.reconnectNow());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') connection.reconnectNow();
  });
  connection.connect();
}
