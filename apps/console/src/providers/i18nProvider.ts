import { defaultI18nProvider, type I18nProvider } from 'react-admin';

import { NETWORK_ERROR_MESSAGE, SESSION_EXPIRED_MESSAGE } from './http';

/** Plain-English replacements for a few react-admin messages front-desk staff will see. */
const overrides: Record<string, string> = {
  'ra.notification.logged_out': SESSION_EXPIRED_MESSAGE,
  'ra.auth.auth_check_error': 'Please sign in to continue.',
  'ra.notification.http_error': NETWORK_ERROR_MESSAGE,
  'ra.notification.not_authorized': 'You do not have access to this page.',
  'ra.notification.item_doesnt_exist': 'This record was not found. It may have been removed or belong to another practice.',
  'ra.message.invalid_form': 'Please fix the highlighted fields.',
  'ra.page.access_denied': 'Access denied',
  'ra.page.dashboard': 'Dashboard',
  'ra.navigation.no_results': 'Nothing matches these filters.',
  'ra.notification.created': 'Saved.',
  'ra.notification.updated': 'Changes saved.',
  'ra.auth.logout': 'Sign out',
  'ra.auth.sign_in_error': 'Sign-in failed. Please try again.',
  'ra.auth.user_menu': 'Your account',
};

type Options = Record<string, unknown> | undefined;

/** Messages with values in them: react-admin's defaults read oddly ("No Patients found", "Sort by mRN"). */
const templates: Record<string, (options: Options) => string> = {
  'ra.navigation.no_results': (o) => `No ${lower(o?.name)} match.`,
  'ra.navigation.no_filtered_results': (o) => `No ${lower(o?.name)} match these filters.`,
  'ra.page.empty': (o) => `No ${lower(o?.name)} yet.`,
  // The column's own label, as written: "Sort by MRN ascending", never "mRN".
  'ra.sort.sort_by': (o) => `Sort by ${String(o?.field ?? '')} ${String(o?.order ?? '')}`.trim(),
};

const lower = (value: unknown) => (typeof value === 'string' && value ? value.toLowerCase() : 'records');

export const i18nProvider: I18nProvider = {
  ...defaultI18nProvider,
  translate: (key, options) => templates[key]?.(options as Options) ?? overrides[key] ?? defaultI18nProvider.translate(key, options),
};
