import { useEffect, useRef, useState } from 'react';
import { HttpError } from 'react-admin';
import { newUuid } from '../providers/http';

/**
 * State shared by the desk-action dialogs (reset, resend): the answer to show once, and one
 * Idempotency-Key per submission. The key is kept when no answer came back (a retry replays the
 * same request, so a double click or a lost answer never sends two emails) and replaced once the
 * server has answered with an error or the dialog opens afresh.
 */
export function useDeskActionSubmission<T>(open: boolean) {
  const [result, setResult] = useState<T | null>(null);
  const key = useRef(newUuid());

  useEffect(() => {
    if (open) {
      key.current = newUuid();
      setResult(null);
    }
  }, [open]);

  return {
    result,
    setResult,
    idempotencyKey: () => key.current,
    /** Call with any failure: a server answer means the next submission is a new request. */
    failed: (error: unknown) => {
      if (error instanceof HttpError) key.current = newUuid();
    },
  };
}
