import type { AvailablePortalActions, PortalAccountStatus, PortalActionAvailability } from '@resetdesk/contracts';
import { DomainException } from '../common/domain.exception';

export const NO_CHART_EMAIL = 'The chart has no email address. Add one in the chart before resetting.';
/** A chart the EHR marks inactive or deceased gets no portal access: a reset there is how accounts of the dead are taken over. */
export const INACTIVE_CHART = 'This chart is inactive in the EHR; portal access cannot be reset.';
export const NO_CHART_EMAIL_FOR_INVITATION = 'The chart has no email address. Add one in the chart before sending a registration email.';

/** What the desk actions decide on: the chart and its one open (non-closed) portal account. */
export interface PortalActionFacts {
  active: boolean;
  email: string | null;
  /** Status of the open account, or null when the patient has none. */
  openAccountStatus: PortalAccountStatus | null;
}

/**
 * The one place the desk actions' preconditions live: the services throw these refusals and the
 * patient detail reports them as availableActions, so the console never re-derives a rule.
 */
export function resetRefusal(facts: PortalActionFacts): DomainException | null {
  if (!facts.active) return new DomainException('conflict', INACTIVE_CHART);
  if (!facts.email) return new DomainException('unprocessable', NO_CHART_EMAIL);
  return null;
}

export function resendRefusal(facts: PortalActionFacts): DomainException | null {
  if (!facts.active) return new DomainException('conflict', INACTIVE_CHART);
  if (facts.openAccountStatus === 'active') {
    return new DomainException('conflict', 'This patient already has an active portal account. Use Reset portal account if they cannot sign in.');
  }
  if (facts.openAccountStatus === 'locked') {
    return new DomainException('conflict', 'This patient has a locked portal account. Unlock it, or use Reset portal account to start over.');
  }
  if (!facts.email) return new DomainException('unprocessable', NO_CHART_EMAIL_FOR_INVITATION);
  return null;
}

export function unlockRefusal(facts: PortalActionFacts): DomainException | null {
  if (!facts.openAccountStatus) return new DomainException('conflict', 'This patient has no portal account to unlock.');
  if (facts.openAccountStatus !== 'locked') return new DomainException('conflict', 'This portal account is not locked.');
  return null;
}

export function endSessionsRefusal(facts: PortalActionFacts): DomainException | null {
  if (!facts.openAccountStatus) return new DomainException('conflict', 'This patient has no portal account.');
  return null;
}

function availability(refusal: DomainException | null): PortalActionAvailability {
  return refusal ? { allowed: false, reason: refusal.message } : { allowed: true, reason: null };
}

export function availablePortalActions(facts: PortalActionFacts): AvailablePortalActions {
  return {
    reset: availability(resetRefusal(facts)),
    resend: availability(resendRefusal(facts)),
    unlock: availability(unlockRefusal(facts)),
    endSessions: availability(endSessionsRefusal(facts)),
  };
}
