import type { ReactNode } from 'react';
import { Box, Typography } from '@mui/material';

/** A labelled list of values (<dl>), two columns on wide screens, one on narrow. */
export const DetailList = ({ items }: { items: Array<[string, ReactNode]> }) => (
  <Box
    component="dl"
    sx={{
      display: 'grid',
      gridTemplateColumns: { xs: '1fr', sm: 'minmax(10rem, max-content) 1fr' },
      columnGap: 3,
      rowGap: { xs: 0.5, sm: 1 },
      m: 0,
    }}
  >
    {items.map(([label, value]) => (
      <Box key={label} sx={{ display: 'contents' }}>
        <Typography component="dt" variant="body2" sx={{ color: 'text.secondary', fontWeight: 500, mt: { xs: 1, sm: 0 } }}>
          {label}
        </Typography>
        <Typography component="dd" variant="body2" sx={{ m: 0, wordBreak: 'break-word' }}>
          {value === null || value === undefined || value === '' ? '—' : value}
        </Typography>
      </Box>
    ))}
  </Box>
);

/** A section heading inside a page (h2). */
export const SectionTitle = ({ children }: { children: ReactNode }) => (
  <Typography variant="h6" component="h2" sx={{ mt: 3, mb: 1 }}>
    {children}
  </Typography>
);
