import { useState } from 'react';
import { Alert, Button, CircularProgress, Dialog, DialogActions, DialogContent, DialogTitle, Link as MuiLink, Typography } from '@mui/material';
import DownloadIcon from '@mui/icons-material/Download';
import VerifiedIcon from '@mui/icons-material/VerifiedUser';
import CheckpointIcon from '@mui/icons-material/Approval';
import { useMutation } from '@tanstack/react-query';
import { Link, TopToolbar, useDataProvider, useListContext, useNotify } from 'react-admin';

import type { ResetDeskDataProvider } from '../providers/dataProvider';
import { errorMessage, errorStatus } from '../providers/http';
import type { AuditVerifyResult } from '../providers/types';

/** Downloads GET /api/audit-events/export?filter=... (the list's current filter) as a CSV file. */
const ExportAuditButton = () => {
  const { filterValues } = useListContext();
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const notify = useNotify();
  const { mutate, isPending } = useMutation({
    mutationFn: () => dataProvider.exportAuditEvents(filterValues ?? {}),
    onSuccess: ({ blob, filename }) => {
      const url = URL.createObjectURL(blob);
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = filename;
      document.body.appendChild(anchor);
      anchor.click();
      anchor.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      notify(`Downloaded ${filename}.`, { type: 'info' });
    },
    onError: (error) => {
      if (errorStatus(error) !== 401) notify(errorMessage(error), { type: 'error' });
    },
  });
  return (
    <Button onClick={() => mutate()} disabled={isPending} startIcon={isPending ? <CircularProgress size={16} color="inherit" aria-hidden /> : <DownloadIcon />}>
      Export
    </Button>
  );
};

const VerifyResult = ({ result }: { result: AuditVerifyResult }) =>
  result.valid ? (
    <Alert severity="success" role="status">
      Audit log verified: {result.checked} events, chain intact
    </Alert>
  ) : (
    <Alert severity="error" role="alert">
      <Typography sx={{ fontWeight: 600 }} gutterBottom>
        The audit log chain is broken.
      </Typography>
      <Typography gutterBottom>
        The first broken event is <strong>{result.firstBrokenId ?? 'unknown'}</strong> ({result.checked} events checked). Events from that point may have been
        changed or removed. Tell your practice admin and support.
      </Typography>
      {result.firstBrokenId ? (
        <MuiLink component={Link} to={`/audit-events/${encodeURIComponent(result.firstBrokenId)}/show`}>
          Open event {result.firstBrokenId}
        </MuiLink>
      ) : null}
    </Alert>
  );

/** Checks the practice's hash chain (GET /api/audit-events/verify) and shows the outcome. */
const VerifyIntegrityButton = () => {
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const notify = useNotify();
  const [result, setResult] = useState<AuditVerifyResult | null>(null);
  const { mutate, isPending } = useMutation({
    mutationFn: () => dataProvider.verifyAuditChain(),
    onSuccess: setResult,
    onError: (error) => {
      if (errorStatus(error) !== 401) notify(errorMessage(error), { type: 'error' });
    },
  });
  return (
    <>
      <Button
        onClick={() => mutate()}
        disabled={isPending}
        startIcon={isPending ? <CircularProgress size={16} color="inherit" aria-hidden /> : <VerifiedIcon />}
      >
        Verify integrity
      </Button>
      <Dialog open={result !== null} onClose={() => setResult(null)} aria-labelledby="verify-title" fullWidth maxWidth="sm">
        <DialogTitle id="verify-title">Audit log integrity</DialogTitle>
        <DialogContent>{result ? <VerifyResult result={result} /> : null}</DialogContent>
        <DialogActions>
          <Button onClick={() => setResult(null)} variant="contained" autoFocus>
            Close
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
};

/**
 * Saves a signed checkpoint of the chain head (GET /api/audit-events/checkpoint) as a JSON file.
 * Kept outside the server, it lets the practice prove later that the log was not rewritten.
 */
const DownloadCheckpointButton = () => {
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const notify = useNotify();
  const { mutate, isPending } = useMutation({
    mutationFn: () => dataProvider.getAuditCheckpoint(),
    onSuccess: (checkpoint) => {
      const filename = `audit-checkpoint-${checkpoint.seq}-${checkpoint.signedAt.slice(0, 10)}.json`;
      const url = URL.createObjectURL(new Blob([JSON.stringify(checkpoint, null, 2) + '\n'], { type: 'application/json' }));
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = filename;
      document.body.appendChild(anchor);
      anchor.click();
      anchor.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      notify(`Downloaded ${filename}. Keep it somewhere other than this server.`, { type: 'info' });
    },
    onError: (error) => {
      if (errorStatus(error) !== 401) notify(errorMessage(error), { type: 'error' });
    },
  });
  return (
    <Button
      onClick={() => mutate()}
      disabled={isPending}
      startIcon={isPending ? <CircularProgress size={16} color="inherit" aria-hidden /> : <CheckpointIcon />}
    >
      Download checkpoint
    </Button>
  );
};

export const AuditToolbar = () => (
  <TopToolbar>
    <VerifyIntegrityButton />
    <DownloadCheckpointButton />
    <ExportAuditButton />
  </TopToolbar>
);
