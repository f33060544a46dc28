// A signed-in author whose page was served during a database outage got the reader's page (the
// server could not check the sign-in in time). Rather than leave them to guess when to reload, the
// page asks the server's readiness now and then and reloads once the database answers; the draft
// waits in localStorage and the composer brings it back.

const FIRST_WAIT_MS = 1000;
const MAX_WAIT_MS = 5000;

export function reloadWhenSignInCheckable(notice: HTMLElement): void {
  let wait = FIRST_WAIT_MS;
  const check = async () => {
    const ready = await fetch('/readyz', { cache: 'no-store' }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) {
      notice.textContent = 'The database is back: reloading…';
      window.location.reload();
      return;
    }
    wait = Math.min(wait * 2, MAX_WAIT_MS);
    window.setTimeout(check, wait);
  };
  window.setTimeout(check, wait);
}
