// While the tab is hidden, its title counts the updates that arrived: "(3) Title · Livelog".

/** The page's title with `n` new updates in front (none when n is 0), whatever count it had. */
export function titleWithCount(title: string, n: number): string {
  const bare = title.replace(/^\(\d+\) /, '');
  return n > 0 ? `(${n}) ${bare}` : bare;
}

/** Counts new posts while the document is hidden and resets the title when it is shown again. */
export class HiddenTabCounter {
  private unseen = 0;

  constructor(private readonly doc: Pick<Document, 'title' | 'visibilityState' | 'addEventListener'>) {
    doc.addEventListener('visibilitychange', () => {
      if (doc.visibilityState === 'visible') this.show(0);
    });
  }

  newPost(): void {
    if (this.doc.visibilityState === 'hidden') this.show(this.unseen + 1);
  }

  private show(n: number): void {
    this.unseen = n;
    this.doc.title = titleWithCount(this.doc.title, n);
  }
}
