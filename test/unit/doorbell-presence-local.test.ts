import { LocalDoorbell, type DoorbellWire } from '../../server/live/doorbell-local.ts';
import { LocalPresence, type PresenceBoard } from '../../server/live/presence-local.ts';
import { doorbellContract } from '../contracts/doorbell.ts';
import { presenceContract } from '../contracts/presence.ts';

// The in-process doorbell and presence pass the same tests as the MongoDB ones
// (test/doorbell-presence-mongo.test.ts): instances built in one process share a wire and a board.

doorbellContract('local', async () => {
  const wire: DoorbellWire = new Set();
  return { doorbells: [new LocalDoorbell(wire), new LocalDoorbell(wire)], close: async () => {} };
});

presenceContract('local', async (roundMs) => {
  const board: PresenceBoard = new Map();
  return { presences: [new LocalPresence('a', roundMs, board), new LocalPresence('b', roundMs, board)], close: async () => {} };
});
