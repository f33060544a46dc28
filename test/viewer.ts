import WebSocket from 'ws';

// Test viewers: a websocket or an SSE reader that records every frame it receives.

export interface Frame {
  t: string;
  seq?: number;
  id?: string;
  html?: string;
  epoch?: string;
  status?: string;
  n?: number;
}

async function until(predicate: () => boolean, explain: () => string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out; ${explain()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface TestViewer {
  frames: Frame[];
  /** Frames that carry a change (post, edit, delete, stream). */
  changes(): Frame[];
  waitFor(predicate: (frames: Frame[]) => boolean, ms?: number): Promise<void>;
  close(): void;
}

function recorder(frames: Frame[], close: () => void): TestViewer {
  return {
    frames,
    changes: () => frames.filter((f) => f.seq !== undefined && f.t !== 'hello'),
    waitFor: (predicate, ms = 5000) => until(() => predicate(frames), () => `frames: ${JSON.stringify(frames.map((f) => [f.t, f.seq]))}`, ms),
    close,
  };
}

export async function websocketViewer(base: string, slug: string, since?: string, headers: Record<string, string> = {}): Promise<TestViewer> {
  const query = since === undefined ? '' : `?since=${since}`;
  const socket = new WebSocket(`ws://${base}/s/${slug}/live${query}`, { headers, handshakeTimeout: 10_000 });
  const frames: Frame[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return recorder(frames, () => socket.close());
}

/** An SSE reader; `ids` collects the event ids, as a browser would keep the last for Last-Event-ID. */
export async function sseViewer(base: string, slug: string, options: { since?: string; lastEventId?: string } = {}) {
  const controller = new AbortController();
  const query = options.since === undefined ? '' : `?since=${options.since}`;
  const response = await fetch(`http://${base}/s/${slug}/events${query}`, {
    headers: options.lastEventId ? { 'last-event-id': options.lastEventId } : {},
    signal: controller.signal,
  });
  const frames: Frame[] = [];
  const ids: string[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of event.split('\n')) {
          if (line.startsWith('id: ')) ids.push(line.slice(4));
          if (line.startsWith('data: ')) frames.push(JSON.parse(line.slice(6)));
        }
      }
    }
  })().catch(() => {});
  const viewer = recorder(frames, () => controller.abort());
  return { ...viewer, response, ids, closed: reading };
}
