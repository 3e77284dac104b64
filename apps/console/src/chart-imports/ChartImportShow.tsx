import { Alert, Box, LinearProgress, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { Loading, useGetOne } from 'react-admin';
import { useParams } from 'react-router-dom';

import { DateTimeText } from '../common/dates';
import { DetailList } from '../common/DetailList';
import type { ChartImportRecord } from './ChartImportList';
import { ImportStatusChip, SOURCE_LABELS } from './ImportStatusChip';

/** One import: a progress bar while it runs (refreshed every second), then its counts and rejects. */
export const ChartImportShow = () => {
  const { id } = useParams();
  const { data, isPending, error } = useGetOne<ChartImportRecord>(
    'imports',
    { id: id! },
    { refetchInterval: (query) => (['queued', 'running'].includes(String(query.state.data?.status)) ? 1000 : false) },
  );
  if (isPending) return <Loading />;
  if (error || !data) return <Alert severity="error">This import could not be loaded.</Alert>;
  const { counts, progress } = data;
  const running = data.status === 'queued' || data.status === 'running';
  const percent = progress.total ? Math.min(100, Math.round((progress.processed / progress.total) * 100)) : null;
  return (
    <Box sx={{ mt: 2, bgcolor: 'background.paper', borderRadius: 1, boxShadow: 1, p: 2 }}>
      <Typography variant="h5" component="h1" sx={{ mb: 1 }}>
        Chart import: {data.fileName}
      </Typography>
      <Box sx={{ display: 'flex', gap: 1, alignItems: 'center', mb: 2 }}>
        <ImportStatusChip value={data.status} />
        <Typography variant="body2" color="text.secondary">
          {SOURCE_LABELS[data.source] ?? data.source}
          {data.actorName ? ` by ${data.actorName}` : ''}
        </Typography>
      </Box>
      {running && (
        <Box sx={{ mb: 2 }} aria-live="polite">
          <LinearProgress variant={percent === null ? 'indeterminate' : 'determinate'} value={percent ?? undefined} aria-label="Import progress" />
          <Typography variant="body2" sx={{ mt: 0.5 }}>
            {progress.processed}
            {progress.total ? ` of ${progress.total}` : ''} resources processed
          </Typography>
        </Box>
      )}
      {data.error && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {data.error}
        </Alert>
      )}
      <DetailList
        items={[
          ['Patients created', String(counts.patientsCreated)],
          ['Patients updated', String(counts.patientsUpdated)],
          ['Patients unchanged', String(counts.patientsUnchanged)],
          ['Chart entries', String(counts.entries)],
          ['Skipped', String(counts.skipped)],
          ['Rejected', String(counts.rejected)],
          ['Started', <DateTimeText value={data.startedAt ?? data.createdAt} />],
          ['Finished', <DateTimeText value={data.finishedAt} />],
        ]}
      />
      {(data.rejects?.length ?? 0) > 0 && (
        <Box component="section" aria-labelledby="rejects-title" sx={{ mt: 3 }}>
          <Typography id="rejects-title" variant="h6" component="h2">
            Rejected records{counts.rejected > (data.rejects?.length ?? 0) ? ` (the first ${data.rejects!.length} of ${counts.rejected})` : ''}
          </Typography>
          <Table size="small">
            <TableHead>
              <TableRow>
                <TableCell>File</TableCell>
                <TableCell>Line</TableCell>
                <TableCell>Resource</TableCell>
                <TableCell>Reason</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {data.rejects!.map((r) => (
                <TableRow key={`${r.file}:${r.line}:${r.reason}`}>
                  <TableCell>{r.file}</TableCell>
                  <TableCell>{r.line}</TableCell>
                  <TableCell>{r.resourceType ? `${r.resourceType}${r.resourceId ? `/${r.resourceId}` : ''}` : '—'}</TableCell>
                  <TableCell>{r.reason}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
    </Box>
  );
};

export default ChartImportShow;
