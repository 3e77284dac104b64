import { useRef, useState } from 'react';
import { Button, CircularProgress } from '@mui/material';
import UploadFileIcon from '@mui/icons-material/UploadFile';
import { DataTable, List, TopToolbar, useNotify, useRedirect } from 'react-admin';

import { DateTimeText } from '../common/dates';
import { listSx } from '../common/listSx';
import { errorMessage } from '../providers/http';
import { ImportStatusChip, SOURCE_LABELS } from './ImportStatusChip';
import { uploadChartExport } from './upload';

export interface ChartImportRecord {
  id: string;
  status: string;
  source: string;
  fileName: string;
  actorName: string | null;
  counts: { patientsCreated: number; patientsUpdated: number; patientsUnchanged: number; entries: number; skipped: number; rejected: number };
  progress: { processed: number; total: number | null };
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  rejects?: { file: string; line: number; resourceType: string | null; resourceId: string | null; reason: string }[];
}

/** "Import charts": picks an export file and uploads it; the import's page then shows its progress. */
export const ImportChartsButton = () => {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const notify = useNotify();
  const redirect = useRedirect();
  const upload = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    try {
      const created = await uploadChartExport(file);
      redirect('show', 'imports', created.id);
    } catch (error) {
      notify(errorMessage(error), { type: 'error' });
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  };
  return (
    <>
      <input
        ref={input}
        type="file"
        accept=".ndjson,.jsonl,.json,application/fhir+ndjson,application/x-ndjson,application/fhir+json,application/json"
        aria-label="FHIR export file"
        data-testid="chart-import-file"
        hidden
        onChange={(event) => void upload(event.target.files?.[0])}
      />
      <Button
        variant="contained"
        startIcon={busy ? <CircularProgress size={18} color="inherit" aria-hidden /> : <UploadFileIcon />}
        disabled={busy}
        onClick={() => input.current?.click()}
      >
        Import charts
      </Button>
    </>
  );
};

const patientsOf = (c: ChartImportRecord['counts']) => c.patientsCreated + c.patientsUpdated + c.patientsUnchanged;

export const ChartImportList = () => (
  <List
    title="Chart imports"
    resource="imports"
    empty={false}
    sort={{ field: 'createdAt', order: 'DESC' }}
    perPage={25}
    exporter={false}
    actions={
      <TopToolbar>
        <ImportChartsButton />
      </TopToolbar>
    }
    sx={listSx}
  >
    <DataTable<ChartImportRecord> rowClick="show" bulkActionButtons={false}>
      <DataTable.Col source="createdAt" label="Started" render={(r) => <DateTimeText value={r.createdAt} />} />
      <DataTable.Col source="fileName" label="File" disableSort />
      <DataTable.Col source="source" label="Source" disableSort render={(r) => SOURCE_LABELS[r.source] ?? r.source} />
      <DataTable.Col source="status" label="Status" disableSort render={(r) => <ImportStatusChip value={r.status} />} />
      <DataTable.Col
        source="counts"
        label="Patients"
        disableSort
        render={(r) =>
          `${patientsOf(r.counts)} (${r.counts.patientsCreated} created, ${r.counts.patientsUpdated} updated, ${r.counts.patientsUnchanged} unchanged)`
        }
      />
      <DataTable.Col source="counts.entries" label="Chart entries" disableSort render={(r) => String(r.counts.entries)} />
      <DataTable.Col source="counts.rejected" label="Rejected" disableSort render={(r) => String(r.counts.rejected)} />
      <DataTable.Col source="actorName" label="By" disableSort render={(r) => r.actorName ?? '—'} />
    </DataTable>
  </List>
);

export default ChartImportList;
