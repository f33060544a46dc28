// The review part of the stream page, live: editors see contributors' submissions arrive and leave
// the queue, a contributor sees what became of theirs. The server pushes the whole list on a channel
// of its own (Server-Sent Events, signed-in users only); approving and rejecting stay on the page.
import { showFailure } from './failure.ts';
import { instantOf, showLocalTimes } from './local-time.ts';
import { sendChange } from './send-change.ts';

export function followReview(section: HTMLElement): void {
  const content = section.querySelector<HTMLElement>('.review-content');
  const announce = section.querySelector<HTMLElement>('.review-announce');
  const url = section.dataset.events;
  if (!content || !url) return;
  const csrf = section.dataset.csrf ?? '';
  const editor = section.classList.contains('review-editor');
  showLocalTimes(content);
  const source = new EventSource(url);
  source.addEventListener('queue', (event) => {
    const { html, pending, shown } = JSON.parse((event as MessageEvent<string>).data) as { html: string; pending: number; shown: boolean };
    replaceKeepingInput(content, html);
    if (!editor) return;
    // The queue shows only while something waits.
    section.hidden = !shown;
    if (announce) announce.textContent = `${pending} waiting for review`;
  });
  content.addEventListener('submit', (event) => {
    event.preventDefault();
    void send(event.target as HTMLFormElement, csrf);
  });
}

/** Approve, reject, cancel or change a scheduled post, without leaving the page. */
async function send(form: HTMLFormElement, csrf: string): Promise<void> {
  const button = form.querySelector('button') as HTMLButtonElement;
  button.disabled = true;
  const fields: Record<string, string> = {};
  for (const [name, value] of new FormData(form)) if (name !== '_csrf') fields[name] = name === 'publishAt' ? instantOf(String(value)) : String(value);
  const result = await sendChange(form.action, fields, csrf);
  // Done (by us or, at the same moment, another editor): the next push removes it.
  if (result.ok || result.code === 'LIVELOG_ALREADY_REVIEWED') form.closest('li')?.setAttribute('aria-busy', 'true');
  if (!result.ok) showFailure(form, result.message);
  button.disabled = false;
}

/** Redraws the part, keeping what an editor is typing, which edit is open and where their focus is. */
function replaceKeepingInput(content: HTMLElement, html: string): void {
  const fieldKey = (field: Element) => `${field.closest<HTMLElement>('[data-submission-id]')?.dataset.submissionId}|${field.getAttribute('name')}`;
  const typed = new Map<string, string>();
  for (const field of content.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input[name]:not([type=hidden]), textarea[name]')) {
    if (field.value !== field.defaultValue) typed.set(fieldKey(field), field.value);
  }
  const open = [...content.querySelectorAll('details[open]')].map((d) => d.closest<HTMLElement>('[data-submission-id]')?.dataset.submissionId);
  const focused = document.activeElement && content.contains(document.activeElement) ? fieldKey(document.activeElement) : undefined;
  content.innerHTML = html;
  showLocalTimes(content);
  for (const field of content.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input[name]:not([type=hidden]), textarea[name]')) {
    const key = fieldKey(field);
    const value = typed.get(key);
    if (value !== undefined) field.value = value;
    if (key === focused) field.focus();
  }
  for (const details of content.querySelectorAll<HTMLDetailsElement>('details')) {
    if (open.includes(details.closest<HTMLElement>('[data-submission-id]')?.dataset.submissionId)) details.open = true;
  }
}
