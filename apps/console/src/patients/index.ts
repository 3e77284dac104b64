import { lazy } from 'react';
import PeopleIcon from '@mui/icons-material/People';

/** Loads the patient list code; the layout calls it once signed in, so the list opens at once. */
export const preloadPatientList = () => import('./PatientList');

// Both screens load on demand so the sign-in page stays small; the list is preloaded after
// sign-in (see layout/Layout.tsx).
const PatientList = lazy(preloadPatientList);
const PatientShow = lazy(() => import('./PatientShow'));

export default {
  list: PatientList,
  show: PatientShow,
  icon: PeopleIcon,
  recordRepresentation: (record: { firstName?: string; lastName?: string }) => `${record.firstName ?? ''} ${record.lastName ?? ''}`.trim(),
};
