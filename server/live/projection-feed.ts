import type { Latest, StreamProjection } from '../stream/projection.ts';
import { changeFrame, helloFrame } from './frames.ts';
import type { LiveFeed, LiveHub } from './hub.ts';

/** The hub as the server runs it: viewers of stream projections, sent their latest changes. */
export type ProjectionHub = LiveHub<StreamProjection, Latest>;

/** Stream projections fed to the hub: their `change` events, framed once each by frames.ts. */
export const projectionFeed: LiveFeed<StreamProjection, Latest> = {
  hello: helloFrame,
  frame: changeFrame,
  subscribe(projection, listener) {
    projection.on('change', listener);
    return () => projection.off('change', listener);
  },
};
