import { API_URL, errorFromResponse, withCsrf } from '../providers/http';

/** Sends an export file as the request body, as the API streams it to disk (NDJSON, or a Bundle for .json). */
export async function uploadChartExport(file: File): Promise<{ id: string; status: string }> {
  const contentType = /\.json$/i.test(file.name) ? 'application/fhir+json' : 'application/fhir+ndjson';
  const headers = withCsrf(
    new Headers({ 'Content-Type': contentType, 'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}` }),
    'POST',
  );
  const response = await fetch(`${API_URL}/imports`, { method: 'POST', body: file, headers, credentials: 'include' });
  if (!response.ok) throw await errorFromResponse(response);
  return (await response.json()) as { id: string; status: string };
}
