import { useState } from 'react';
import { Button } from '@mui/material';
import { Confirm, useGetIdentity, useNotify, useRecordContext } from 'react-admin';

import { API_URL, errorMessage, httpClient } from '../providers/http';
import type { StaffMember } from '../providers/types';

/**
 * For a staff member who lost their phone: removes their authenticator app, passkeys and
 * recovery codes and signs them out everywhere. Never offered on one's own account.
 */
export const ResetTwoStepButton = () => {
  const staff = useRecordContext<StaffMember>();
  const { identity } = useGetIdentity();
  const notify = useNotify();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!staff || !identity || identity.id === staff.id) return null;

  const confirm = async () => {
    setBusy(true);
    try {
      await httpClient(`${API_URL}/staff/${encodeURIComponent(String(staff.id))}/mfa/reset`, { method: 'POST' });
      notify(`Two-step sign-in of ${staff.name} was reset. They set it up again at their next sign-in.`, { type: 'success' });
      setOpen(false);
    } catch (error) {
      notify(errorMessage(error), { type: 'error' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button color="warning" variant="outlined" onClick={() => setOpen(true)} sx={{ ml: 2 }}>
        Reset two-step sign-in
      </Button>
      <Confirm
        isOpen={open}
        loading={busy}
        title="Reset two-step sign-in"
        content={`This removes ${staff.name}'s authenticator app, passkeys and recovery codes, and signs them out everywhere.`}
        confirm="Reset two-step sign-in"
        onConfirm={confirm}
        onClose={() => setOpen(false)}
      />
    </>
  );
};
