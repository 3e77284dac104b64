import type { MouseEvent } from 'react';
import { Link as MuiLink, Typography } from '@mui/material';
import { DataTable, DateInput, Link, List, SelectInput, TextInput, useCreatePath } from 'react-admin';

import { DateOnlyText, DateTimeText } from '../common/dates';
import { PORTAL_STATUS_CHOICES, formatPhone } from '../common/labels';
import { ChartStatusChip, PortalStatusChip } from '../common/StatusChip';
import type { Patient } from '../providers/types';
import { listSx } from '../common/listSx';

/**
 * At 1366 px every column fits (long emails wrap); below 1280 px the last sign-in and username
 * give way, and on a tablet the email too, so name, MRN and portal status stay on screen.
 */
const patientListSx = {
  ...listSx,
  '& .RaList-content td.column-email': { whiteSpace: 'normal', wordBreak: 'break-all', minWidth: 150 },
  '& .RaList-content td.column-lastLoginAt, & .RaList-content td.column-portalUsername': { whiteSpace: 'normal', minWidth: 96 },
  '@media (max-width: 1279px)': { '& .column-lastLoginAt, & .column-portalUsername': { display: 'none' } },
  '@media (max-width: 899px)': { '& .column-email': { display: 'none' } },
} as const;

const patientFilters = [
  <TextInput key="q" source="q" label="Search" placeholder="Name, MRN, phone or email" helperText={false} alwaysOn resettable sx={{ minWidth: { sm: 280 } }} />,
  <DateInput key="dateOfBirth" source="dateOfBirth" label="Date of birth" helperText={false} alwaysOn />,
  <SelectInput
    key="portalStatus"
    source="portalStatus"
    label="Portal status"
    choices={PORTAL_STATUS_CHOICES}
    emptyText="Any status"
    helperText={false}
    alwaysOn
    sx={{ minWidth: 180 }}
  />,
];

/** The patient's name as a keyboard-reachable link to their page. */
const PatientNameLink = ({ record }: { record: Patient }) => {
  const createPath = useCreatePath();
  return (
    <MuiLink
      component={Link}
      to={createPath({ resource: 'patients', id: record.id, type: 'show' })}
      onClick={(event: MouseEvent) => event.stopPropagation()}
      underline="hover"
      sx={{ fontWeight: 500 }}
    >
      {record.lastName}, {record.firstName}
    </MuiLink>
  );
};

/**
 * Off screen but read by screen readers: the page's title sits in the app bar, which is not a
 * heading. Sizes are strings on purpose: in `sx`, a number up to 1 means a percentage.
 */
const visuallyHidden = {
  position: 'absolute',
  width: '1px',
  height: '1px',
  margin: '-1px',
  padding: 0,
  border: 0,
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
} as const;

export const PatientList = () => (
  <>
    <Typography component="h1" sx={visuallyHidden}>
      Patients
    </Typography>
    <List title="Patients" filters={patientFilters} sort={{ field: 'lastName', order: 'ASC' }} perPage={25} exporter={false} actions={false} sx={patientListSx}>
      {/* The columns a desk task needs come first; the rest give way on narrower screens. */}
      <DataTable<Patient> rowClick="show" bulkActionButtons={false}>
        <DataTable.Col source="lastName" label="Name" render={(record) => <PatientNameLink record={record as Patient} />} />
        <DataTable.Col source="mrn" label="MRN" />
        <DataTable.Col
          source="portalStatus"
          label="Portal status"
          disableSort
          render={(record) => (
            <>
              <PortalStatusChip value={record.portalStatus} /> <ChartStatusChip patient={record} />
            </>
          )}
        />
        <DataTable.Col source="dateOfBirth" label="Date of birth" render={(record) => <DateOnlyText value={record.dateOfBirth} />} />
        <DataTable.Col source="phone" label="Phone" render={(record) => formatPhone(record.phone)} />
        <DataTable.Col source="email" label="Email" render={(record) => record.email ?? '—'} />
        <DataTable.Col source="portalUsername" label="Portal username" disableSort render={(record) => record.portalUsername ?? '—'} />
        <DataTable.Col source="lastLoginAt" label="Last sign-in" disableSort render={(record) => <DateTimeText value={record.lastLoginAt} />} />
      </DataTable>
    </List>
  </>
);

export default PatientList;
