import { useState, type ReactNode } from 'react';
import { Alert, Box, Button, Card, CardContent, Chip, CircularProgress, List as MuiList, ListItemButton, ListItemText, Typography } from '@mui/material';
import RefreshIcon from '@mui/icons-material/Refresh';
import { useQuery } from '@tanstack/react-query';
import { Title, useDataProvider } from 'react-admin';

import { DateTimeText } from '../common/dates';
import { CHANNEL_LABELS, labelFor } from '../common/labels';
import type { ResetDeskDataProvider } from '../providers/dataProvider';
import { errorMessage, errorStatus } from '../providers/http';
import type { DevMailboxMessage } from '../providers/types';

export const DEV_MAILBOX_OFF_MESSAGE = 'The dev mailbox is off because real email (SMTP_URL) is configured.';

/** Links in the message open in a new tab (the frame may open popups, nothing else). */
const withBaseTarget = (html: string) => `<base target="_blank">${html}`;

/** Plain text with its URLs made clickable. */
function linkify(text: string): ReactNode[] {
  const parts = text.split(/(https?:\/\/[^\s<>"']+)/g);
  return parts.map((part, index) =>
    index % 2 === 1 ? (
      <a key={index} href={part} target="_blank" rel="noopener noreferrer">
        {part}
      </a>
    ) : (
      part
    ),
  );
}

const MessageView = ({ message }: { message: DevMailboxMessage }) => (
  <Box component="article" aria-labelledby="dev-message-subject">
    <Typography id="dev-message-subject" variant="h6" component="h2">
      {message.subject || `(${labelFor(CHANNEL_LABELS, message.channel)} without subject)`}
    </Typography>
    <Typography variant="body2" color="text.secondary" gutterBottom>
      {labelFor(CHANNEL_LABELS, message.channel)} to <strong>{message.to}</strong> · <DateTimeText value={message.createdAt} />
    </Typography>
    {message.html ? (
      <Box
        component="iframe"
        title={`Message: ${message.subject ?? message.to}`}
        sandbox="allow-popups allow-popups-to-escape-sandbox"
        srcDoc={withBaseTarget(message.html)}
        sx={{ width: '100%', height: 480, border: 1, borderColor: 'divider', borderRadius: 1, bgcolor: 'common.white', mt: 1 }}
      />
    ) : null}
    {message.text ? (
      <>
        <Typography variant="subtitle2" component="h3" sx={{ mt: 2 }}>
          Plain text
        </Typography>
        <Box component="pre" sx={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', bgcolor: 'grey.100', p: 2, borderRadius: 1, fontSize: '0.875rem' }}>
          {linkify(message.text)}
        </Box>
      </>
    ) : null}
  </Box>
);

/** Messages the app "delivered" in development (GET /api/dev-mailbox), newest first. */
export const DevMailbox = () => {
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const { data, error, isPending, isFetching, refetch } = useQuery({
    queryKey: ['dev-mailbox'],
    queryFn: () => dataProvider.getDevMailbox(),
    refetchInterval: (query) => (query.state.error ? false : 10_000),
  });

  const messages = data ?? [];
  const selected = messages.find((message) => message.id === selectedId) ?? messages[0];

  let body: ReactNode;
  if (isPending) {
    body = (
      <Box role="status" sx={{ display: 'flex', gap: 1, alignItems: 'center' }}>
        <CircularProgress size={20} aria-hidden /> Loading the mailbox…
      </Box>
    );
  } else if (error && errorStatus(error) === 404) {
    body = <Alert severity="info">{/production/i.test(errorMessage(error)) ? 'The dev mailbox is off in production.' : DEV_MAILBOX_OFF_MESSAGE}</Alert>;
  } else if (error) {
    body = (
      <Alert severity="error" role="alert">
        The dev mailbox could not be loaded: {errorMessage(error)}
      </Alert>
    );
  } else if (messages.length === 0) {
    body = <Typography color="text.secondary">No messages yet. Reset a portal account to send one.</Typography>;
  } else {
    body = (
      <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: '1fr', md: 'minmax(260px, 1fr) 2fr' } }}>
        <MuiList
          aria-label="Messages, newest first"
          dense
          sx={{ maxHeight: { md: 640 }, overflowY: 'auto', border: 1, borderColor: 'divider', borderRadius: 1, p: 0 }}
        >
          {messages.map((message) => (
            <ListItemButton
              key={message.id}
              selected={message.id === selected?.id}
              aria-current={message.id === selected?.id ? 'true' : undefined}
              onClick={() => setSelectedId(message.id)}
              divider
            >
              <ListItemText
                primary={message.subject || labelFor(CHANNEL_LABELS, message.channel)}
                secondary={
                  <>
                    <Chip component="span" size="small" label={labelFor(CHANNEL_LABELS, message.channel)} sx={{ mr: 1 }} />
                    {message.to} · <DateTimeText value={message.createdAt} />
                  </>
                }
              />
            </ListItemButton>
          ))}
        </MuiList>
        {selected ? <MessageView message={selected} /> : null}
      </Box>
    );
  }

  return (
    <Card sx={{ mt: 2 }}>
      <Title title="Dev mailbox" />
      <CardContent>
        <Box sx={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: 2, flexWrap: 'wrap', mb: 2 }}>
          <Box>
            <Typography variant="h5" component="h1">
              Dev mailbox
            </Typography>
            <Typography variant="body2" color="text.secondary">
              Emails, texts and voice messages the system sent while real delivery is off. Links work.
            </Typography>
          </Box>
          <Button onClick={() => refetch()} disabled={isFetching} startIcon={<RefreshIcon />}>
            Check for new messages
          </Button>
        </Box>
        {body}
      </CardContent>
    </Card>
  );
};

export default DevMailbox;
