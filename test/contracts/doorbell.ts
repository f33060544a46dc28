import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Doorbell } from '../../server/live/doorbell.ts';

// What every doorbell does, whatever carries the rings: the local one in unit tests, the MongoDB
// one against FerretDB in an integration test.

type Rang = [stream: string, seq: number];

/** Two doorbells of two instances that can hear each other; `close` drops what they share. */
export interface DoorbellPair {
  doorbells: [Doorbell, Doorbell];
  close(): Promise<void>;
}

async function until(predicate: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listen(doorbell: Doorbell): Rang[] {
  const heard: Rang[] = [];
  doorbell.start((stream, seq) => heard.push([stream, seq]));
  return heard;
}

export function doorbellContract(kind: string, makePair: () => Promise<DoorbellPair>): void {
  test(`${kind} doorbell: a ring from one instance reaches the other with its stream and seq, not the one that rang`, async () => {
    const { doorbells, close } = await makePair();
    const [a, b] = doorbells;
    try {
      const heardByA = listen(a);
      const heardByB = listen(b);
      await pause(300); // both are listening
      a.ring('match', 7);
      await until(() => heardByB.length > 0);
      assert.deepEqual(heardByB, [['match', 7]]);
      b.ring('final', 3);
      await until(() => heardByA.length > 0);
      await pause(200); // time for an echo of its own ring, if there were one
      assert.deepEqual(heardByA, [['final', 3]]);
      assert.deepEqual(heardByB, [['match', 7]]);
    } finally {
      await Promise.all(doorbells.map((d) => d.stop()));
      await close();
    }
  });

  test(`${kind} doorbell: a stopped doorbell hears nothing more`, async () => {
    const { doorbells, close } = await makePair();
    const [a, b] = doorbells;
    try {
      listen(a);
      const heardByB = listen(b);
      await pause(300);
      await b.stop();
      a.ring('match', 1);
      await pause(300);
      assert.deepEqual(heardByB, []);
    } finally {
      await Promise.all(doorbells.map((d) => d.stop()));
      await close();
    }
  });
}
