import { defaultI18nProvider, type I18nProvider } from 'react-admin';

import { NETWORK_ERROR_MESSAGE, SESSION_EXPIRED_MESSAGE } from './http';

/** Plain-English replacements for a few react-admin messages front-desk staff will see. */
const overrides: Record<string, string> = {
  'ra.notification.logged_out': SESSION_EXPIRED_MESSAGE,
  'ra.auth.auth_check_error': 'Please sign in to continue.',
  'ra.notification.http_error': NETWORK_ERROR_MESSAGE,
  'ra.notification.not_authorized': 'You do not have access to this page.',
  'ra.notification.item_doesnt_exist':
    'This record was not found. It may have been removed or belong to another practice.',
  'ra.message.invalid_form': 'Please fix the highlighted fields.',
  'ra.page.access_denied': 'Access denied',
  'ra.page.dashboard': 'Dashboard',
  'ra.navigation.no_results': 'Nothing matches these filters.',
};

export const i18nProvider: I18nProvider = {
  ...defaultI18nProvider,
  translate: (key, options) => overrides[key] ?? defaultI18nProvider.translate(key, options),
};
