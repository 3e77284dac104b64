import { Box, Typography } from '@mui/material';
import { Show, TabbedShowLayout, useRecordContext } from 'react-admin';

import { DateOnlyText } from '../common/dates';
import { DetailList } from '../common/DetailList';
import { ChartStatusChip, PortalStatusChip } from '../common/StatusChip';
import { formatPhone } from '../common/labels';
import type { PatientRecord } from '../providers/types';
import { ChartTab } from './ChartTab';
import { PortalActions } from './PortalActions';
import { PortalTab } from './PortalTab';

const PatientTitle = () => {
  const patient = useRecordContext<PatientRecord>();
  return <span>{patient ? `${patient.firstName} ${patient.lastName}` : 'Patient'}</span>;
};

/** Name, MRN, date of birth and portal status above the tabs, with the portal actions. */
const PatientHeader = () => {
  const patient = useRecordContext<PatientRecord>();
  if (!patient) return null;
  return (
    <Box
      sx={{
        display: 'flex',
        flexWrap: 'wrap',
        justifyContent: 'space-between',
        alignItems: 'flex-start',
        gap: 2,
        mt: 2,
      }}
    >
      <Box>
        <Typography variant="h5" component="h1">
          {patient.firstName} {patient.lastName}
        </Typography>
        <Typography variant="body2" color="text.secondary" component="p" sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap' }}>
          <span>MRN {patient.mrn}</span>
          <span aria-hidden>·</span>
          <span>
            Born <DateOnlyText value={patient.dateOfBirth} />
          </span>
          <span aria-hidden>·</span>
          <span>Portal:</span> <PortalStatusChip value={patient.portalStatus} />
          <ChartStatusChip patient={patient} />
        </Typography>
      </Box>
      <PortalActions />
    </Box>
  );
};

const Demographics = () => {
  const patient = useRecordContext<PatientRecord>();
  if (!patient) return null;
  const address = [patient.addressLine1, patient.addressLine2, [patient.city, patient.state, patient.postalCode].filter(Boolean).join(' ')]
    .filter(Boolean)
    .join(', ');
  return (
    <DetailList
      items={[
        ['MRN', patient.mrn],
        ['First name', patient.firstName],
        ['Last name', patient.lastName],
        ['Date of birth', <DateOnlyText value={patient.dateOfBirth} />],
        ['Sex', patient.sex],
        ['Email', patient.email ?? 'No email address on the chart'],
        ['Phone', patient.phone ? formatPhone(patient.phone) : null],
        ['Address', address],
      ]}
    />
  );
};

export const PatientShow = () => (
  <Show title={<PatientTitle />} actions={false} component="div">
    <PatientHeader />
    <Box sx={{ bgcolor: 'background.paper', borderRadius: 1, mt: 2, boxShadow: 1 }}>
      <TabbedShowLayout>
        <TabbedShowLayout.Tab label="Demographics">
          <Demographics />
        </TabbedShowLayout.Tab>
        <TabbedShowLayout.Tab label="Chart" path="chart">
          <ChartTab />
        </TabbedShowLayout.Tab>
        <TabbedShowLayout.Tab label="Portal" path="portal">
          <PortalTab />
        </TabbedShowLayout.Tab>
      </TabbedShowLayout>
    </Box>
  </Show>
);

export default PatientShow;
