// The stream's End/Reopen button and the composer follow the stream's status; a refused change
// (a removed author, an expired session) says why next to the button instead of failing silently.
import type { StreamStatus } from '../shared/protocol.ts';
import { clearFailure, showFailure } from './failure.ts';
import { sendChange } from './send-change.ts';

export function followStatus(form: HTMLFormElement, compose: HTMLFormElement | null, csrf: string): void {
  const next = form.querySelector('input[name=status]') as HTMLInputElement;
  const button = form.querySelector('button');
  const apply = (status: StreamStatus) => {
    next.value = status === 'ended' ? 'live' : 'ended';
    if (button) button.textContent = status === 'ended' ? 'Reopen the stream' : 'End the stream';
    if (compose) compose.hidden = status === 'ended';
  };
  document.addEventListener('livelog:status', (event) => apply((event as CustomEvent<StreamStatus>).detail));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button) button.disabled = true;
    const wanted = next.value as StreamStatus;
    const result = await sendChange(form.action, { status: wanted, key: crypto.randomUUID() }, csrf);
    if (button) button.disabled = false;
    if (!result.ok) return showFailure(form, `${wanted === 'ended' ? 'Not ended' : 'Not reopened'}: ${result.message}`);
    clearFailure(form);
    apply(wanted); // the live frame says the same; without one (a dropped link) the button is right
  });
}
