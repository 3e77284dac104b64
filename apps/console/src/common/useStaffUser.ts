import { useGetIdentity } from 'react-admin';

import type { StaffUser } from '../providers/types';

/** The signed-in staff user (undefined while loading) and whether they are a practice admin. */
export function useStaffUser(): { user: StaffUser | undefined; isAdmin: boolean; isPending: boolean } {
  const { identity, isPending } = useGetIdentity();
  const user = identity as unknown as StaffUser | undefined;
  return { user, isAdmin: user?.role === 'practice_admin', isPending };
}
