import { Alert, Box, Button, CircularProgress, Link as MuiLink, Typography } from '@mui/material';
import ReplayIcon from '@mui/icons-material/Replay';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, Show, TopToolbar, useDataProvider, useNotify, useRecordContext, useRefresh } from 'react-admin';

import { DateTimeText } from '../common/dates';
import { DetailList, SectionTitle } from '../common/DetailList';
import { CHANNEL_LABELS, labelFor } from '../common/labels';
import { OutboxStatusChip } from '../common/StatusChip';
import type { ResetDeskDataProvider } from '../providers/dataProvider';
import { errorMessage, errorStatus } from '../providers/http';
import type { OutboxMessage } from '../providers/types';

/** POST /api/emails/:id/retry, offered only for messages that are retrying or dead. */
const RetryButton = () => {
  const message = useRecordContext<OutboxMessage>();
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const { mutate, isPending } = useMutation({
    mutationFn: (id: OutboxMessage['id']) => dataProvider.retryEmail(id),
    onSuccess: () => {
      notify('The message will be sent again shortly.', { type: 'success' });
      refresh();
    },
    onError: (error) => {
      if (errorStatus(error) !== 401) notify(errorMessage(error), { type: 'error' });
    },
  });
  if (!message || (message.status !== 'dead' && message.status !== 'retrying')) return null;
  return (
    <Button
      variant="contained"
      onClick={() => mutate(message.id)}
      disabled={isPending}
      startIcon={isPending ? <CircularProgress size={16} color="inherit" aria-hidden /> : <ReplayIcon />}
    >
      Retry
    </Button>
  );
};

const EmailTitle = () => {
  const message = useRecordContext<OutboxMessage>();
  return <span>{message?.subject ?? 'Message'}</span>;
};

/** Preview of GET /api/emails/:id/preview in a fully sandboxed frame (no scripts, no links). */
const EmailPreviewPanel = ({ id }: { id: OutboxMessage['id'] }) => {
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const { data, error, isPending } = useQuery({
    queryKey: ['emails', 'preview', id],
    queryFn: () => dataProvider.getEmailPreview(id),
  });
  if (isPending) {
    return (
      <Box role="status" sx={{ display: 'flex', gap: 1, alignItems: 'center' }}>
        <CircularProgress size={20} aria-hidden /> Loading the preview…
      </Box>
    );
  }
  if (error) {
    return (
      <Alert severity="error" role="alert">
        The preview could not be loaded: {errorMessage(error)}
      </Alert>
    );
  }
  return (
    <Box>
      {data.subject ? (
        <Typography variant="subtitle1" component="p" gutterBottom>
          <strong>Subject:</strong> {data.subject}
        </Typography>
      ) : null}
      {data.html ? (
        <Box
          component="iframe"
          title="Email preview"
          sandbox=""
          srcDoc={data.html}
          sx={{ width: '100%', height: 480, border: 1, borderColor: 'divider', borderRadius: 1, bgcolor: 'common.white' }}
        />
      ) : null}
      {data.text ? (
        <>
          <Typography variant="subtitle2" component="h3" sx={{ mt: 2 }}>
            Plain text
          </Typography>
          <Box component="pre" sx={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', bgcolor: 'grey.100', p: 2, borderRadius: 1, fontSize: '0.875rem' }}>
            {data.text}
          </Box>
        </>
      ) : null}
    </Box>
  );
};

const EmailDetail = () => {
  const message = useRecordContext<OutboxMessage>();
  if (!message) return null;
  return (
    <Box sx={{ p: { xs: 2, sm: 3 } }}>
      <DetailList
        items={[
          ['Status', <OutboxStatusChip value={message.status} />],
          ['Channel', labelFor(CHANNEL_LABELS, message.channel)],
          ['Template', message.template],
          ['To', message.to],
          ['Subject', message.subject],
          ['Attempts', message.maxAttempts ? `${message.attempts} of ${message.maxAttempts}` : String(message.attempts)],
          ['Last error', message.lastError],
          ['Next attempt', message.nextAttemptAt ? <DateTimeText value={message.nextAttemptAt} /> : null],
          ['Sent', message.sentAt ? <DateTimeText value={message.sentAt} /> : null],
          ['Created', <DateTimeText value={message.createdAt} />],
          [
            'Patient',
            message.patientId ? (
              <MuiLink component={Link} to={`/patients/${encodeURIComponent(message.patientId)}/show`}>
                Open patient
              </MuiLink>
            ) : null,
          ],
        ]}
      />
      <SectionTitle>Preview</SectionTitle>
      <EmailPreviewPanel id={message.id} />
    </Box>
  );
};

export const EmailShow = () => (
  <Show
    title={<EmailTitle />}
    actions={
      <TopToolbar>
        <RetryButton />
      </TopToolbar>
    }
  >
    <EmailDetail />
  </Show>
);

export default EmailShow;
