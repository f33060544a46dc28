// The Share button on every post: the system's share sheet where there is one, else the post's
// absolute permalink copied to the clipboard, said in a status next to the button.

export function absoluteUrl(path: string, origin: string): string {
  return new URL(path, origin).href;
}

async function share(button: HTMLButtonElement): Promise<void> {
  const url = absoluteUrl(button.dataset.shareUrl ?? location.pathname, location.origin);
  if (typeof navigator.share === 'function') {
    try {
      await navigator.share({ url, title: document.title });
      return;
    } catch (error) {
      // A cancelled share sheet: nothing to say. Refused (a frame without allow="web-share"): copy.
      if ((error as Error).name === 'AbortError') return;
    }
  }
  let status = button.parentElement?.querySelector<HTMLElement>('.share-status');
  if (!status) {
    status = document.createElement('span');
    status.className = 'share-status';
    status.setAttribute('role', 'status');
    button.after(status);
  }
  try {
    await navigator.clipboard.writeText(url);
    status.textContent = 'Link copied';
  } catch {
    status.textContent = `Copy this link: ${url}`;
  }
}

/** One listener for every Share button, including those of posts that arrive later. */
export function enableSharing(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>('button.share');
    if (button) void share(button);
  });
}
