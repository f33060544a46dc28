// Frames to page: each post shown, replaced or removed where the feed model says, a "N new updates"
// button when the reader has scrolled away, and the list's aria-live region announcing additions.
import type { ChangeFrame, PostFrame } from '../shared/protocol.ts';
import { type FeedOrder, FeedModel, type ShownPost } from './feed-model.ts';

/** The posts the server rendered into the page, as the model sees them. */
function shownOnPage(list: HTMLElement): ShownPost[] {
  return [...list.querySelectorAll<HTMLElement>(':scope > article.post')].map((article) => ({
    id: article.dataset.postId ?? '',
    createdSeq: Number(article.dataset.createdSeq),
    pinned: article.dataset.pinned === 'true',
    seq: Number(article.dataset.seq),
  }));
}

export class Feed {
  private readonly model: FeedModel;
  private unseen = 0;
  private readonly newUpdates = document.getElementById('new-updates');

  constructor(
    private readonly list: HTMLElement,
    private readonly onPostShown: (article: HTMLElement) => void,
  ) {
    const order: FeedOrder = list.dataset.order === 'oldest' ? 'oldest' : 'newest';
    this.model = new FeedModel(shownOnPage(list), order);
    this.newUpdates?.querySelector('button')?.addEventListener('click', () => {
      if (order === 'newest') this.list.scrollIntoView({ behavior: 'smooth' });
      else this.list.lastElementChild?.scrollIntoView({ behavior: 'smooth', block: 'end' });
      this.clearUnseen();
    });
    window.addEventListener(
      'scroll',
      () => {
        if (this.newestInView()) this.clearUnseen();
      },
      { passive: true },
    );
  }

  change(frame: ChangeFrame): void {
    this.list.dataset.seq = String(frame.seq); // the seq the page shows
    const edit = this.model.apply(frame);
    if (edit.kind === 'remove') document.getElementById(`post-${edit.id}`)?.remove();
    else if (edit.kind === 'show') this.show(edit.frame, edit.before);
  }

  private show(frame: PostFrame, before: string | null): void {
    const template = document.createElement('template');
    template.innerHTML = frame.html; // server-rendered and sanitised, same partial as the page
    const article = template.content.firstElementChild as HTMLElement | null;
    if (!article) return;
    const existing = document.getElementById(`post-${frame.id}`);
    existing?.remove();
    this.list.insertBefore(article, before === null ? null : document.getElementById(`post-${before}`));
    this.onPostShown(article);
    // An author editing this post keeps their text; saving it then meets the 409 it deserves.
    const editing = existing?.querySelector('.edit-form');
    if (editing) article.append(editing);
    if (!existing) {
      article.classList.add('fresh');
      document.getElementById('empty')?.remove();
      if (!this.newestInView()) this.countUnseen();
    }
  }

  /** Whether the end of the list where new posts join is on screen (the top, or the bottom oldest-first). */
  private newestInView(): boolean {
    if (this.model.order === 'newest') return window.scrollY <= this.list.offsetTop + 50;
    return this.list.getBoundingClientRect().bottom <= window.innerHeight + 50;
  }

  private countUnseen(): void {
    this.unseen++;
    if (!this.newUpdates) return;
    this.newUpdates.hidden = false;
    const button = this.newUpdates.querySelector('button');
    if (button) button.textContent = this.unseen === 1 ? '1 new update' : `${this.unseen} new updates`;
  }

  private clearUnseen(): void {
    this.unseen = 0;
    if (this.newUpdates) this.newUpdates.hidden = true;
  }
}
