/** A react-admin list URL with a filter, e.g. `/patients?filter={"portalStatus":"locked"}`. */
export function listUrl(resource: string, filter: Record<string, unknown>): string {
  const search = new URLSearchParams({
    filter: JSON.stringify(filter),
    displayedFilters: JSON.stringify(Object.fromEntries(Object.keys(filter).map((key) => [key, true]))),
  });
  return `/${resource}?${search.toString()}`;
}
