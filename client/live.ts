// The viewer's and author's page script (and the embed's). The page works without it; with it,
// changes appear live, the connection heals itself and resumes exactly where it left off, authors
// act without leaving the page, and readers share posts and follow key moments. This file only
// wires the parts together.
import type { ChangeFrame } from '../shared/protocol.ts';
import { AuthorControls } from './author-controls.ts';
import { Composer } from './composer.ts';
import { LiveConnection } from './connection.ts';
import { reportHeight } from './embed-frame.ts';
import { enableSnippet } from './embed-snippet.ts';
import { Feed } from './feed.ts';
import { KeyMomentsList } from './key-moments.ts';
import { LiveStatus } from './live-status.ts';
import { KeyMomentNotifier } from './notify.ts';
import { followReview } from './review.ts';
import { focusHighlighted } from './permalink.ts';
import { enableSharing } from './share.ts';
import { reloadWhenSignInCheckable } from './sign-in-check.ts';
import { followStatus } from './status-form.ts';
import { HiddenTabCounter } from './tab-title.ts';
import { clockTime, showRelativeTimes } from './time.ts';
import { browserTransports } from './transports.ts';

const posts = document.getElementById('posts');
if (posts) {
  const slug = posts.dataset.stream ?? '';
  const tools = document.getElementById('author-tools');
  const controls = tools ? new AuthorControls(tools, slug) : null;
  const prepare = (article: HTMLElement) => {
    showRelativeTimes(article);
    // Share needs this script: the page without it (and the export) leaves the button hidden.
    article.querySelector('.post-footer')?.removeAttribute('hidden');
    controls?.decorate(article);
  };
  posts.querySelectorAll<HTMLElement>('article.post').forEach(prepare);
  for (const time of document.querySelectorAll<HTMLTimeElement>('#key-moments time[datetime]')) time.textContent = clockTime(new Date(time.dateTime));
  window.setInterval(() => showRelativeTimes(posts), 30_000);
  // Paper keeps no "5 min ago": print each post's full date and time, and go back after.
  window.addEventListener('beforeprint', () => {
    for (const time of posts.querySelectorAll<HTMLTimeElement>('time[datetime]')) time.textContent = new Date(time.dateTime).toLocaleString();
  });
  window.addEventListener('afterprint', () => showRelativeTimes(posts));
  enableSharing(document.body);
  focusHighlighted(posts);
  if (posts.dataset.live === 'true') follow(posts, slug, prepare);
  if (tools) {
    const csrf = tools.dataset.csrf ?? '';
    const compose = document.getElementById('compose') as HTMLFormElement | null;
    if (compose) new Composer(compose, slug, csrf).start();
    const statusForm = document.getElementById('status-form') as HTMLFormElement | null;
    if (statusForm) followStatus(statusForm, compose, csrf);
    const snippet = document.getElementById('embed-snippet');
    if (snippet) enableSnippet(snippet);
  }
  const contribution = document.getElementById('contributor-tools');
  const submitForm = contribution?.querySelector<HTMLFormElement>('#compose');
  if (submitForm) new Composer(submitForm, slug, contribution?.dataset.csrf ?? '').start();
  const review = document.getElementById('review');
  if (review) followReview(review);
  if (document.body.classList.contains('embed')) reportHeight(slug);
  const unchecked = document.getElementById('sign-in-unchecked');
  if (unchecked) reloadWhenSignInCheckable(unchecked);
}

function follow(list: HTMLElement, slug: string, prepare: (article: HTMLElement) => void): void {
  const feed = new Feed(list, prepare);
  const status = new LiveStatus(document.getElementById('live-status') as HTMLElement);
  // The server wrote the last change's time in UTC: the reader's own clock from here on.
  const lastUpdated = document.querySelector<HTMLTimeElement>('#live-status time.last-updated[datetime]');
  if (lastUpdated) status.updated(new Date(lastUpdated.dateTime));
  const keyNav = document.getElementById('key-moments');
  const keyMoments = keyNav ? new KeyMomentsList(keyNav, slug) : null;
  const tabTitle = new HiddenTabCounter(document);
  const header = document.querySelector<HTMLElement>('header.stream-header');
  const notifier = header && !document.body.classList.contains('embed') ? new KeyMomentNotifier(header, header.querySelector('h1')?.textContent ?? '') : null;
  notifier?.knowExisting(list);
  // An ended stream has no key moments to come (a reopened one offers it on the next visit).
  if (document.getElementById('live-status')?.dataset.status !== 'ended') notifier?.offer();
  const changed = (frame: ChangeFrame) => {
    feed.change(frame);
    keyMoments?.change(frame);
    notifier?.change(frame);
    status.updated(new Date());
    if (frame.t === 'post') tabTitle.newPost();
    if (frame.t === 'stream') status.stream(frame.status);
  };
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
      change: changed,
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
