import { useQuery } from '@tanstack/react-query';
import { useDataProvider } from 'react-admin';
import type { PracticeSettingsView } from '@resetdesk/contracts';

import type { ResetDeskDataProvider } from '../providers/dataProvider';

/** The same key as the practice settings page, so a saved change shows everywhere at once. */
export const PRACTICE_QUERY_KEY = ['practice-settings'];

/**
 * The signed-in user's practice (name, phone, time zone), read once and shared by every screen:
 * times are shown on the practice's clock, and handouts name the practice and its phone.
 */
export function usePractice(): PracticeSettingsView | undefined {
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const { data } = useQuery({
    queryKey: PRACTICE_QUERY_KEY,
    queryFn: () => dataProvider.getPracticeSettings(),
    staleTime: 5 * 60_000,
    retry: false,
  });
  return data;
}
