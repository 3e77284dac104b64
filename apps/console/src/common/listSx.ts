/** Lets a wide list table scroll sideways inside the page instead of widening the page. */
export const listSx = {
  '& .RaList-main': { minWidth: 0 },
  '& .RaList-content': { overflowX: 'auto' },
  '& .RaList-content td': { whiteSpace: 'nowrap' },
} as const;
