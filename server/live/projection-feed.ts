import type { CurrentState } from '../log/fold.ts';
import type { StreamProjection } from '../log/projection.ts';
import { changeOutbound, helloFrame } from './frames.ts';
import type { LiveHub } from './hub.ts';
import type { LiveFeed } from './live-stream.ts';

/** The hub as the server runs it: viewers of stream projections, sent their current states. */
export type ProjectionHub = LiveHub<StreamProjection, CurrentState>;

/**
 * Stream projections fed to the hub: their `change` events, framed once each by frames.ts.
 *
 * A change reaches the hub in a turn of the event loop of its own, not inside the append that
 * stored it: the author's answer, and the next queued append's database write, go out first, so
 * the database stores the next post while this one is written to thousands of sockets (appends to
 * a stream are serialised, and a fan-out inside one held the next back by its whole length).
 * Changes that arrive meanwhile (the process is behind) are handed over together, in seq order,
 * and the hub writes them to each viewer at once: the busier, the fewer writes per change.
 */
export const projectionFeed: LiveFeed<StreamProjection, CurrentState> = {
  hello: helloFrame,
  frame: (projection, state) => changeOutbound(state, projection.slug),
  subscribe(projection, listener) {
    let pending: [CurrentState, Date | undefined][] = [];
    let subscribed = true;
    const handOver = () => {
      const changes = pending;
      pending = [];
      if (!subscribed) return;
      changes.forEach(([state, storedAt], i) => {
        listener(state, storedAt, i < changes.length - 1);
      });
    };
    const onChange = (state: CurrentState, storedAt?: Date) => {
      if (pending.push([state, storedAt]) === 1) setImmediate(handOver);
    };
    projection.on('change', onChange);
    return () => {
      subscribed = false;
      projection.off('change', onChange);
    };
  },
};
