// "Embed this stream" in the author tools: the snippet with absolute addresses (the server's
// LIVELOG_PUBLIC_URL when it wrote them, else this page's origin) and a Copy button.

/** Makes the snippet's root-relative addresses absolute; ones already absolute stay. */
export function absoluteSnippet(snippet: string, origin: string): string {
  return snippet.replace(/(src=")\//g, `$1${origin}/`);
}

export function enableSnippet(details: HTMLElement): void {
  const code = details.querySelector('textarea');
  const button = details.querySelector<HTMLButtonElement>('button.copy');
  const status = details.querySelector<HTMLElement>('[role=status]');
  if (!code) return;
  code.value = absoluteSnippet(code.value, location.origin);
  button?.addEventListener('click', async () => {
    code.select();
    try {
      await navigator.clipboard.writeText(code.value);
      if (status) status.textContent = 'Copied';
    } catch {
      if (status) status.textContent = 'Press Ctrl+C (⌘+C) to copy the selected snippet';
    }
  });
}
