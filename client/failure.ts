// Why an author's action failed, said next to the control that failed: the server's own message,
// in a role="alert" note (read out at once), replaced by the next failure there.

export function showFailure(control: Element, message: string): void {
  let note = control.nextElementSibling;
  if (!note?.classList.contains('post-error')) {
    note = document.createElement('p');
    note.className = 'post-error error';
    note.setAttribute('role', 'alert');
    control.after(note);
  }
  note.textContent = message;
}

export function clearFailure(control: Element): void {
  if (control.nextElementSibling?.classList.contains('post-error')) control.nextElementSibling.remove();
}
