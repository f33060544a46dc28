// An opt-in browser notification when a key moment is posted, while the tab is hidden. The button
// exists only with script and where the browser has notifications; permission is asked on click.
import type { ChangeFrame } from '../shared/protocol.ts';
import type { KeyedPostFrame } from './key-moments-model.ts';

export class KeyMomentNotifier {
  private enabled = false;
  /** Posts already announced: an edit of a key post is not a new key moment. */
  private readonly announced = new Set<string>();

  constructor(
    private readonly header: HTMLElement,
    private readonly streamTitle: string,
  ) {}

  /** Key posts already on the page are not news: only a post that becomes key is announced. */
  knowExisting(root: ParentNode): void {
    for (const article of root.querySelectorAll<HTMLElement>('article.post[data-key="true"]')) this.announced.add(article.dataset.postId ?? '');
  }

  offer(): void {
    if (!('Notification' in window)) return;
    this.enabled = Notification.permission === 'granted' && localStorage.getItem('livelog:notify') === 'true';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'notify';
    button.setAttribute('aria-pressed', String(this.enabled));
    button.textContent = 'Notify me of key moments';
    button.addEventListener('click', async () => {
      const permission = this.enabled ? 'denied' : await Notification.requestPermission();
      this.enabled = permission === 'granted';
      localStorage.setItem('livelog:notify', String(this.enabled));
      button.setAttribute('aria-pressed', String(this.enabled));
    });
    this.header.append(button);
  }

  change(frame: ChangeFrame): void {
    if (frame.t !== 'post' && frame.t !== 'edit') return;
    const post = frame as KeyedPostFrame;
    if (!post.key || this.announced.has(post.id)) return;
    this.announced.add(post.id);
    if (!this.enabled || document.visibilityState !== 'hidden') return;
    const article = document.getElementById(`post-${post.id}`);
    const text = post.headline || article?.querySelector('.post-body')?.textContent?.trim().slice(0, 140) || 'A key moment';
    const notification = new Notification(this.streamTitle, { body: text, tag: `livelog-${post.id}` });
    notification.addEventListener('click', () => {
      window.focus();
      article?.scrollIntoView();
    });
  }
}
