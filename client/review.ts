// The review part of the stream page, live: editors see contributors' submissions arrive and leave
// the queue, a contributor sees what became of theirs. The server pushes the whole list on a channel
// of its own (Server-Sent Events, signed-in users only); approving and rejecting stay on the page.
import { showFailure } from './failure.ts';
import { sendChange } from './send-change.ts';

export function followReview(section: HTMLElement): void {
  const content = section.querySelector<HTMLElement>('.review-content');
  const announce = section.querySelector<HTMLElement>('.review-announce');
  const url = section.dataset.events;
  if (!content || !url) return;
  const csrf = section.dataset.csrf ?? '';
  const editor = section.classList.contains('review-editor');
  const source = new EventSource(url);
  source.addEventListener('queue', (event) => {
    const { html, pending } = JSON.parse((event as MessageEvent<string>).data) as { html: string; pending: number };
    replaceKeepingInput(content, html);
    if (!editor) return;
    // The queue shows only while something waits.
    section.hidden = pending === 0;
    if (announce) announce.textContent = `${pending} waiting for review`;
  });
  content.addEventListener('submit', (event) => {
    const form = event.target as HTMLFormElement;
    if (!form.matches('.review-approve, .review-reject')) return;
    event.preventDefault();
    void review(form, csrf);
  });
}

async function review(form: HTMLFormElement, csrf: string): Promise<void> {
  const button = form.querySelector('button') as HTMLButtonElement;
  button.disabled = true;
  const reason = form.querySelector<HTMLInputElement>('input[name=reason]');
  const result = await sendChange(form.action, reason ? { reason: reason.value } : {}, csrf);
  // Done (by us or, at the same moment, another editor): the queue's next push removes it.
  if (result.ok || result.code === 'LIVELOG_ALREADY_REVIEWED') form.closest('li')?.setAttribute('aria-busy', 'true');
  if (!result.ok) showFailure(form, result.message);
  button.disabled = false;
}

/** Redraws the list, keeping what an editor is typing into a reason and where their focus is. */
function replaceKeepingInput(content: HTMLElement, html: string): void {
  const typed = new Map<string, string>();
  for (const input of content.querySelectorAll<HTMLInputElement>('input[name=reason]')) {
    const id = input.closest<HTMLElement>('[data-submission-id]')?.dataset.submissionId;
    if (id && input.value) typed.set(id, input.value);
  }
  const focused = document.activeElement?.closest<HTMLElement>('[data-submission-id]')?.dataset.submissionId;
  content.innerHTML = html;
  for (const [id, value] of typed) {
    const input = content.querySelector<HTMLInputElement>(`[data-submission-id="${CSS.escape(id)}"] input[name=reason]`);
    if (input) input.value = value;
  }
  if (focused) content.querySelector<HTMLElement>(`[data-submission-id="${CSS.escape(focused)}"] input[name=reason]`)?.focus();
}
