import type { ReactNode } from 'react';
import { Alert, Box, Card, CardActionArea, CardContent, Skeleton, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { Link, Title, useDataProvider } from 'react-admin';

import { todayIn, useTimeZone } from '../common/dates';
import { listUrl } from '../common/listLinks';
import { useStaffUser } from '../common/useStaffUser';
import type { ResetDeskDataProvider } from '../providers/dataProvider';
import { errorMessage } from '../providers/http';
import type { DashboardCounts } from '../providers/types';

interface CardSpec {
  key: keyof DashboardCounts;
  title: string;
  hint: string;
  to?: string;
  tone: 'error' | 'warning' | 'info' | 'success' | 'neutral';
}

const TONE_COLOR: Record<CardSpec['tone'], string> = {
  error: 'error.main',
  warning: 'warning.dark',
  info: 'info.dark',
  success: 'success.dark',
  neutral: 'text.primary',
};

const CountCard = ({ spec, value }: { spec: CardSpec; value: number | undefined }) => {
  const body: ReactNode = (
    <CardContent>
      <Typography component="p" sx={{ fontSize: '2.5rem', fontWeight: 700, lineHeight: 1.1, color: TONE_COLOR[spec.tone] }}>
        {value === undefined ? <Skeleton width={60} /> : value}
      </Typography>
      <Typography component="h2" variant="subtitle1" sx={{ fontWeight: 600 }}>
        {spec.title}
      </Typography>
      <Typography variant="body2" color="text.secondary">
        {spec.hint}
      </Typography>
    </CardContent>
  );
  return (
    <Card variant="outlined" sx={{ height: '100%' }}>
      {spec.to ? (
        <CardActionArea component={Link} to={spec.to} sx={{ height: '100%', alignItems: 'flex-start' }}>
          {body}
        </CardActionArea>
      ) : (
        body
      )}
    </Card>
  );
};

export const Dashboard = () => {
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const { isAdmin } = useStaffUser();
  const timeZone = useTimeZone();
  const { data, error, isPending } = useQuery({
    queryKey: ['dashboard'],
    queryFn: () => dataProvider.getDashboard(),
    refetchInterval: 60_000,
  });

  const today = todayIn(timeZone);
  const cards: CardSpec[] = [
    {
      key: 'lockedAccounts',
      title: 'Locked accounts',
      hint: 'Patients whose portal account is locked.',
      to: listUrl('patients', { portalStatus: 'locked' }),
      tone: 'error',
    },
    {
      key: 'pendingInvitations',
      title: 'Pending invitations',
      hint: 'Registration emails not used yet.',
      to: listUrl('patients', { portalStatus: 'invited' }),
      tone: 'info',
    },
    {
      key: 'expiringInvitations',
      title: 'Invitations expiring within 24 hours',
      hint: 'Patients may need a new registration email soon.',
      to: listUrl('patients', { invitationExpiring: true }),
      tone: 'warning',
    },
    {
      key: 'lockedLinks',
      title: 'Registration links locked',
      hint: 'Locked after five wrong tries: send a new registration email.',
      to: listUrl('patients', { portalStatus: 'link_locked' }),
      tone: 'warning',
    },
    {
      key: 'resetsToday',
      title: 'Resets today',
      hint: 'Portal accounts reset since midnight.',
      to: isAdmin ? listUrl('audit-events', { action: 'portal.reset', from: today }) : undefined,
      tone: 'neutral',
    },
    {
      key: 'messagesRetrying',
      title: 'Messages retrying',
      hint: 'Delivery failed; the system is trying again.',
      to: isAdmin ? listUrl('emails', { status: 'retrying' }) : undefined,
      tone: 'warning',
    },
    {
      key: 'messagesDead',
      title: 'Messages not delivered',
      hint: 'Delivery gave up; these need attention.',
      to: isAdmin ? listUrl('emails', { status: 'dead' }) : undefined,
      tone: 'error',
    },
  ];

  return (
    <Box component="section" sx={{ mt: 2 }} aria-labelledby="dashboard-heading">
      <Title title="Dashboard" />
      <Typography id="dashboard-heading" variant="h5" component="h1" sx={{ mb: 2 }}>
        Today at the desk
      </Typography>
      {error ? (
        <Alert severity="error" role="alert" sx={{ mb: 2 }}>
          The dashboard could not be loaded: {errorMessage(error)}
        </Alert>
      ) : null}
      <Box
        sx={{
          display: 'grid',
          gap: 2,
          gridTemplateColumns: { xs: '1fr', sm: 'repeat(2, 1fr)', lg: 'repeat(3, 1fr)' },
        }}
        aria-busy={isPending}
      >
        {cards.map((spec) => (
          <CountCard key={spec.key} spec={spec} value={error ? undefined : data?.[spec.key]} />
        ))}
      </Box>
    </Box>
  );
};

export default Dashboard;
