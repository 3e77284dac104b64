import { Alert, Box, Button, Stack, Typography } from '@mui/material';

/** Recovery codes, shown once: to print or download, then gone from the screen for good. */
export const RecoveryCodes = ({ codes, onDone, doneLabel }: { codes: string[]; onDone: () => void; doneLabel: string }) => {
  const download = () => {
    const text = `ResetDesk recovery codes\nEach code signs you in once when you do not have your authenticator app.\n\n${codes.join('\n')}\n`;
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = 'resetdesk-recovery-codes.txt';
    link.click();
    URL.revokeObjectURL(url);
  };
  return (
    <Box>
      <Typography variant="h6" component="h2" gutterBottom>
        Your recovery codes
      </Typography>
      <Alert severity="warning" sx={{ mb: 2 }}>
        Keep these somewhere safe. Each code works once, if you lose your phone. They are shown only now.
      </Alert>
      <Box component="ul" aria-label="Recovery codes" sx={{ columns: 2, fontFamily: 'monospace', fontSize: '1.1rem', pl: 3 }}>
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </Box>
      <Stack direction="row" spacing={2} sx={{ mt: 2 }}>
        <Button variant="outlined" onClick={download}>
          Download
        </Button>
        <Button variant="outlined" onClick={() => window.print()}>
          Print
        </Button>
        <Button variant="contained" onClick={onDone}>
          {doneLabel}
        </Button>
      </Stack>
    </Box>
  );
};
