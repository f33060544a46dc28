import type { CurrentState } from '../log/fold.ts';
import type { StreamProjection } from '../log/projection.ts';
import { changeOutbound, helloFrame } from './frames.ts';
import type { LiveFeed, LiveHub } from './hub.ts';

/** The hub as the server runs it: viewers of stream projections, sent their current states. */
export type ProjectionHub = LiveHub<StreamProjection, CurrentState>;

/** Stream projections fed to the hub: their `change` events, framed once each by frames.ts. */
export const projectionFeed: LiveFeed<StreamProjection, CurrentState> = {
  hello: helloFrame,
  frame: (projection, state) => changeOutbound(state, projection.slug),
  subscribe(projection, listener) {
    projection.on('change', listener);
    return () => projection.off('change', listener);
  },
};
