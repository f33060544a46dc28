import type { ViewerAdmission } from '../live/admission.ts';
import { statusOf } from './plugins/errors.ts';

/** A refused live connection as the HTTP edge answers it: status, code, message and Retry-After. */
export interface HttpRefusal {
  statusCode: number;
  code: string;
  message: string;
  retryAfterSeconds: number;
}

/**
 * Viewer places (server/live/admission.ts) with each refusal given its HTTP status from the one
 * code -> status table, so live/ names no status of its own.
 */
export class HttpViewerAdmission {
  constructor(private readonly places: ViewerAdmission) {}

  /** A release function for an admitted viewer, or the refusal to answer with. */
  admit(address: string): (() => void) | HttpRefusal {
    const admitted = this.places.admit(address);
    if (typeof admitted === 'function') return admitted;
    return { statusCode: statusOf(admitted), code: admitted.code, message: admitted.message, retryAfterSeconds: this.places.retryAfterSeconds };
  }

  get viewers(): number {
    return this.places.viewers;
  }

  viewersFrom(address: string): number {
    return this.places.viewersFrom(address);
  }
}
