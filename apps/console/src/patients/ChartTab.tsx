import { Alert, Box, CircularProgress, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { useDataProvider, useRecordContext } from 'react-admin';

import { DateTimeText } from '../common/dates';
import { SectionTitle } from '../common/DetailList';
import type { ResetDeskDataProvider } from '../providers/dataProvider';
import { errorMessage } from '../providers/http';
import type { ChartEntry, PatientChart, PatientRecord } from '../providers/types';

const SECTIONS: Array<{ key: keyof PatientChart; title: string; empty: string }> = [
  { key: 'allergies', title: 'Allergies', empty: 'No allergies recorded.' },
  { key: 'medications', title: 'Medications', empty: 'No medications recorded.' },
  { key: 'problems', title: 'Problems', empty: 'No problems recorded.' },
  { key: 'encounters', title: 'Encounters', empty: 'No encounters recorded.' },
];

const ChartSection = ({ title, entries, empty }: { title: string; entries: ChartEntry[]; empty: string }) => (
  <Box component="section">
    <SectionTitle>{title}</SectionTitle>
    {entries.length === 0 ? (
      <Typography variant="body2" color="text.secondary">
        {empty}
      </Typography>
    ) : (
      <TableContainer>
        <Table size="small">
          <caption style={{ position: 'absolute', left: -10000 }}>{title}</caption>
          <TableHead>
            <TableRow>
              <TableCell component="th" scope="col">
                Description
              </TableCell>
              <TableCell component="th" scope="col">
                Code
              </TableCell>
              <TableCell component="th" scope="col">
                Status
              </TableCell>
              <TableCell component="th" scope="col">
                Recorded
              </TableCell>
              <TableCell component="th" scope="col">
                Notes
              </TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {entries.map((entry) => (
              <TableRow key={entry.id}>
                <TableCell>{entry.description}</TableCell>
                <TableCell>{entry.code ?? '—'}</TableCell>
                <TableCell>{entry.status ?? '—'}</TableCell>
                <TableCell>
                  <DateTimeText value={entry.recordedOn} />
                </TableCell>
                <TableCell>{entry.notes ?? '—'}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
    )}
  </Box>
);

/** The clinical entries of the chart, read-only (GET /api/patients/:id/chart). */
export const ChartTab = () => {
  const patient = useRecordContext<PatientRecord>();
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const { data, error, isPending } = useQuery({
    queryKey: ['patients', 'chart', patient?.id],
    queryFn: () => dataProvider.getChart(patient!.id),
    enabled: !!patient,
    // Each fetch is audited as a chart view: do not refetch behind the user's back.
    staleTime: 5 * 60_000,
    refetchOnWindowFocus: false,
  });

  return (
    <Box>
      <Alert severity="info" sx={{ mb: 1 }}>
        The chart is read-only here. ResetDesk never changes it.
      </Alert>
      {isPending && !error ? (
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, my: 2 }} role="status">
          <CircularProgress size={20} aria-hidden /> Loading the chart…
        </Box>
      ) : error ? (
        <Alert severity="error" role="alert">
          The chart could not be loaded: {errorMessage(error)}
        </Alert>
      ) : (
        SECTIONS.map(({ key, title, empty }) => <ChartSection key={key} title={title} entries={data?.[key] ?? []} empty={empty} />)
      )}
    </Box>
  );
};
