// An author's change, sent the way the plain form would, asking for JSON instead of a redirect.

export interface ChangeResult {
  ok: boolean;
  message: string;
  code?: string;
}

export async function sendChange(url: string, fields: Record<string, string> | FormData, csrf: string): Promise<ChangeResult> {
  let body: URLSearchParams | FormData;
  if (fields instanceof FormData) {
    fields.set('_csrf', csrf);
    body = fields; // multipart: it carries a photo
  } else {
    body = new URLSearchParams({ ...fields, _csrf: csrf });
  }
  try {
    const response = await fetch(url, { method: 'POST', headers: { accept: 'application/json' }, body, credentials: 'same-origin' });
    if (response.ok) return { ok: true, message: '' };
    const error = (await response.json().catch(() => ({}))) as { message?: string; code?: string };
    return { ok: false, message: error.message ?? response.statusText, code: error.code };
  } catch {
    return { ok: false, message: 'the server cannot be reached' };
  }
}
