import { AsyncLocalStorage } from 'node:async_hooks';
import type { StaffRole } from '@resetdesk/contracts';
import { DomainException } from './domain.exception';

export interface StaffPrincipal {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  practiceId: string;
  practiceName: string;
  sessionId: string;
}

export interface RequestContextStore {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  staff?: StaffPrincipal;
}

const storage = new AsyncLocalStorage<RequestContextStore>();

/**
 * Who is asking, from where, for the life of one request. The session guard fills `staff`;
 * services read the practice from here, so tenant scoping lives in one place instead of being
 * passed (and forgotten) through every call.
 */
export const RequestContext = {
  run<T>(store: RequestContextStore, fn: () => T): T {
    return storage.run(store, fn);
  },
  current(): RequestContextStore | undefined {
    return storage.getStore();
  },
  staff(): StaffPrincipal {
    const staff = storage.getStore()?.staff;
    if (!staff) throw new DomainException('unauthenticated', 'Please sign in.');
    return staff;
  },
  /** The signed-in staff user's practice: the tenant every query is scoped to. */
  practiceId(): string {
    return RequestContext.staff().practiceId;
  },
};
