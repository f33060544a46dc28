import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** Keeps cookies between requests, like a browser without JavaScript. */
export class Browser {
  private cookies = new Map<string, string>();
  constructor(private readonly app: FastifyInstance) {}

  async request(
    method: 'GET' | 'POST',
    url: string,
    form?: Record<string, string>,
    /** As if from another address, or through a proxy (extra headers). */
    from: { remoteAddress?: string; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method,
      url,
      remoteAddress: from.remoteAddress,
      headers: { accept: 'text/html', ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...from.headers },
      cookies: Object.fromEntries(this.cookies),
      payload: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const cookie of response.cookies as { name: string; value: string }[]) this.cookies.set(cookie.name, cookie.value);
    return response;
  }

  /** The cookies this browser holds, to hand to requests made another way. */
  cookieJar(): Record<string, string> {
    return Object.fromEntries(this.cookies);
  }

  static field(html: string, name: string): string {
    const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
    assert.ok(match, `no ${name} field in the page`);
    return match[1]!;
  }

  async logIn(name: string, password: string, next = '/') {
    const page = await this.request('GET', '/login');
    return this.request('POST', '/login', { _csrf: Browser.field(page.body, '_csrf'), name, password, next });
  }

  /** Whether the home page greets this browser as someone: its session is still good. */
  async signedIn(): Promise<boolean> {
    return /Signed in as/.test((await this.request('GET', '/')).body);
  }
}

/** A browser that has just logged in (and the test fails if it could not). */
export async function loggedIn(app: FastifyInstance, name: string, password: string): Promise<Browser> {
  const browser = new Browser(app);
  assert.equal((await browser.logIn(name, password)).statusCode, 303, `${name} logs in`);
  return browser;
}

/** A CSRF token valid for this browser's session (from a page that carries one). */
export async function csrfFor(browser: Browser, loggedIn: boolean): Promise<string> {
  const page = await browser.request('GET', loggedIn ? '/' : '/login');
  return Browser.field(page.body, '_csrf');
}
