// The key-moments list at the top of the page (nav.key-moments), kept current from the frames.
import type { ChangeFrame } from '../shared/protocol.ts';
import { excerpt, type KeyedPostFrame, type KeyMoment, KeyMomentsModel } from './key-moments-model.ts';
import { clockTime } from './time.ts';

/** The moments the server listed; their rank is known where the post is on the page. */
function listedOnPage(nav: HTMLElement): KeyMoment[] {
  return [...nav.querySelectorAll<HTMLAnchorElement>('li a[data-post-id]')].map((link) => {
    const id = link.dataset.postId ?? '';
    const time = link.querySelector('time');
    const article = document.getElementById(`post-${id}`);
    return {
      id,
      createdSeq: Number(article?.dataset.createdSeq ?? Number.NaN),
      text: [...link.childNodes].filter((node) => node !== time).map((node) => node.textContent).join('').trim(),
      datetime: time?.dateTime ?? '',
    };
  });
}

/** A key post's list entry: its headline, else the start of its text, and its time. */
function describe(frame: KeyedPostFrame): Omit<KeyMoment, 'id' | 'createdSeq'> {
  const article = document.getElementById(`post-${frame.id}`);
  const body = article?.querySelector('.post-body')?.textContent ?? '';
  return {
    text: frame.headline?.trim() || excerpt(body) || 'Photo',
    datetime: article?.querySelector<HTMLTimeElement>('time[datetime]')?.dateTime ?? '',
  };
}

export class KeyMomentsList {
  private readonly model: KeyMomentsModel;

  constructor(
    private readonly nav: HTMLElement,
    private readonly slug: string,
  ) {
    this.model = new KeyMomentsModel(listedOnPage(nav));
  }

  /** Call after the feed has shown the frame's post: its text and time are read from the page. */
  change(frame: ChangeFrame): void {
    if (this.model.apply(frame, describe)) this.render();
  }

  private render(): void {
    const list = this.nav.querySelector('ol') ?? this.nav.appendChild(document.createElement('ol'));
    list.replaceChildren(
      ...this.model.moments.map((moment) => {
        const item = document.createElement('li');
        const link = item.appendChild(document.createElement('a'));
        link.href = `/s/${this.slug}/p/${moment.id}`;
        link.dataset.postId = moment.id;
        const time = link.appendChild(document.createElement('time'));
        time.dateTime = moment.datetime;
        time.textContent = moment.datetime ? clockTime(new Date(moment.datetime)) : '';
        link.append(` ${moment.text}`);
        return item;
      }),
    );
    this.nav.hidden = this.model.moments.length === 0;
  }
}
