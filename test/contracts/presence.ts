import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Presence } from '../../server/live/presence.ts';

// What every presence does, whatever holds the counts: the local one in unit tests, the MongoDB
// one against FerretDB in an integration test.

/** The presences of two instances that share their counts; `close` drops what they share. */
export interface PresencePair {
  presences: [Presence, Presence];
  close(): Promise<void>;
}

export const ROUND_MS = 100;

const counts = (entries: Record<string, number>) => new Map(Object.entries(entries));
const total = (totals: Map<string, number>, stream: string) => totals.get(stream) ?? 0;

export function presenceContract(kind: string, makePair: (roundMs: number) => Promise<PresencePair>): void {
  test(`${kind} presence: every instance's viewers add up to one total, seen by each instance`, async () => {
    const { presences, close } = await makePair(ROUND_MS);
    const [a, b] = presences;
    try {
      await a.tally(counts({ opening: 2 }), new Set(['opening']));
      assert.equal(total(await b.tally(counts({ opening: 1 }), new Set(['opening'])), 'opening'), 3);
      assert.equal(total(await a.tally(counts({ opening: 2 }), new Set(['opening'])), 'opening'), 3);
    } finally {
      await close();
    }
  });

  test(`${kind} presence: a stream an instance no longer watches counts none of its viewers`, async () => {
    const { presences, close } = await makePair(ROUND_MS);
    const [a, b] = presences;
    try {
      await a.tally(counts({ keynote: 4 }), new Set(['keynote']));
      await b.tally(counts({ keynote: 1 }), new Set(['keynote']));
      // A's viewers left: it reports the stream once more, with none.
      assert.equal(total(await a.tally(counts({}), new Set(['keynote'])), 'keynote'), 1);
      assert.equal(total(await b.tally(counts({ keynote: 1 }), new Set(['keynote'])), 'keynote'), 1);
    } finally {
      await close();
    }
  });

  test(`${kind} presence: a count not renewed for a few rounds is a dead instance's and no longer counts`, async () => {
    const { presences, close } = await makePair(ROUND_MS);
    const [a, b] = presences;
    try {
      await a.tally(counts({ closing: 5 }), new Set(['closing']));
      await new Promise((r) => setTimeout(r, 4 * ROUND_MS)); // A died
      assert.equal(total(await b.tally(counts({ closing: 1 }), new Set(['closing'])), 'closing'), 1);
    } finally {
      await close();
    }
  });
}
