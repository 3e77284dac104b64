import type { AuthProvider } from 'react-admin';

import { API_URL, SESSION_EXPIRED_MESSAGE, errorFromResponse, readCookie, toApiError, withCsrf, CSRF_COOKIE } from './http';
import type { StaffUser } from './types';

/** Screens only a practice admin may open. The API enforces the same rule (403). */
export const ADMIN_RESOURCES: ReadonlySet<string> = new Set(['audit-events', 'emails', 'staff', 'practice-settings', 'portal-apps', 'imports']);

/** Set while this browser tab has a session, so a later 401 reads as "expired", not "signed out". */
const SIGNED_IN_FLAG = 'resetdesk.signedIn';
/** Set when a page load finds the session gone; the sign-in page shows the notification. */
const EXPIRED_FLAG = 'resetdesk.sessionExpired';

const storage = {
  get: (key: string) => {
    try {
      return window.sessionStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set: (key: string, value: string) => {
    try {
      window.sessionStorage.setItem(key, value);
    } catch {
      /* storage may be disabled */
    }
  },
  remove: (key: string) => {
    try {
      window.sessionStorage.removeItem(key);
    } catch {
      /* storage may be disabled */
    }
  },
};

/** Reads (and clears) the "session expired on page load" flag. */
export function takeSessionExpiredFlag(): boolean {
  const expired = storage.get(EXPIRED_FLAG) === '1';
  storage.remove(EXPIRED_FLAG);
  return expired;
}

async function request(url: string, init: RequestInit = {}): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = withCsrf(new Headers(init.headers ?? {}), method);
  if (!headers.has('Accept')) headers.set('Accept', 'application/json');
  try {
    return await fetch(url, { ...init, method, headers, credentials: 'include' });
  } catch (error) {
    throw toApiError(error);
  }
}

/**
 * Lets go of an answer whose body is not needed. API answers are `no-store`, so the browser keeps
 * an unread body (and its connection) open until the page reads or cancels it.
 */
async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

async function fetchMe(): Promise<StaffUser | null> {
  const response = await request(`${API_URL}/auth/me`);
  if (response.status === 401) {
    await discardBody(response);
    return null;
  }
  if (!response.ok) throw await errorFromResponse(response);
  return (await response.json()) as StaffUser;
}

/**
 * The signed-in user, fetched once per page load from GET /api/auth/me and kept in memory.
 * A session that expires later is noticed by the first API call that answers 401 (checkError).
 */
let currentUser: Promise<StaffUser | null> | null = null;
const SIGNED_OUT: Promise<StaffUser | null> = Promise.resolve(null);

export function getCurrentUser(): Promise<StaffUser | null> {
  if (!currentUser) {
    currentUser = fetchMe().then(
      (user) => {
        if (!user) currentUser = SIGNED_OUT;
        return user;
      },
      (error) => {
        currentUser = null;
        throw error;
      },
    );
  }
  return currentUser;
}

export const authProvider: AuthProvider = {
  /**
   * The sign-in page talks to the API itself (the password step may call for a second step);
   * it hands over the signed-in user once the API has opened the session.
   */
  async login(params: { user: StaffUser } | { email: string; password: string }) {
    let user: StaffUser;
    if ('user' in params) {
      user = params.user;
    } else {
      const response = await request(`${API_URL}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: params.email, password: params.password }),
      });
      if (!response.ok) throw await errorFromResponse(response);
      const body = (await response.json()) as StaffUser & { mfaRequired?: boolean };
      if (body.mfaRequired) throw new Error('Two-step sign-in is required. Use the sign-in page.');
      user = body;
    }
    currentUser = Promise.resolve(user);
    storage.set(SIGNED_IN_FLAG, '1');
    storage.remove(EXPIRED_FLAG);
  },

  async logout() {
    const hadSession = (currentUser !== null && currentUser !== SIGNED_OUT) || readCookie(CSRF_COOKIE) !== null;
    // Known signed out until the next sign-in: react-admin asks checkAuth, getIdentity and
    // canAccess many times on the sign-in page, and each must not cost a GET /api/auth/me.
    currentUser = SIGNED_OUT;
    storage.remove(SIGNED_IN_FLAG);
    if (hadSession) {
      try {
        await discardBody(await request(`${API_URL}/auth/logout`, { method: 'POST' }));
      } catch {
        // The session may already be gone (expired); signing out locally is enough.
      }
    }
  },

  async checkAuth() {
    let user: StaffUser | null;
    try {
      user = await getCurrentUser();
    } catch (error) {
      throw { message: error instanceof Error ? error.message : false };
    }
    if (!user) {
      if (storage.get(SIGNED_IN_FLAG) === '1') {
        storage.remove(SIGNED_IN_FLAG);
        storage.set(EXPIRED_FLAG, '1');
      }
      // No notification here: the sign-in page shows "session expired" when it applies.
      throw { message: false };
    }
  },

  async checkError(error: { status?: number } | undefined) {
    if (error?.status === 401) {
      // Do not forget the user yet: react-admin calls checkAuth() next to decide whether to
      // show the notification below, then logout(), which clears everything.
      throw { message: SESSION_EXPIRED_MESSAGE };
    }
    // 403 (e.g. a desk user on an admin route) keeps the user signed in; the page says why.
  },

  async getIdentity() {
    const user = await getCurrentUser();
    if (!user) throw new Error(SESSION_EXPIRED_MESSAGE);
    return { ...user, fullName: user.name };
  },

  async getPermissions() {
    const user = await getCurrentUser();
    return user?.role ?? null;
  },

  async canAccess({ action, resource }: { action: string; resource: string }) {
    // Nothing in the console is ever deleted (staff are deactivated; charts are read-only), except
    // a portal app, which an admin may remove.
    if (action === 'delete' && resource !== 'portal-apps') return false;
    if (resource === 'patients' && (action === 'create' || action === 'edit')) return false;
    const user = await getCurrentUser().catch(() => null);
    if (!user) return false;
    if (ADMIN_RESOURCES.has(resource)) return user.role === 'practice_admin';
    return true;
  },
};
