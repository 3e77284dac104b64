import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainException } from '../../src/common/domain.exception';
import { MAX_PAGE_SIZE, contentRange, escapeLike, parseListQuery } from '../../src/common/list-query';

const options = { sortable: ['lastName', 'createdAt'], filters: ['q', 'id', 'status'] };
const badRequest = (query: Record<string, unknown>) =>
  assert.throws(
    () => parseListQuery(query, options),
    (error: unknown) => error instanceof DomainException && error.code === 'bad_request',
  );

describe('list query parsing (ra-data-simple-rest)', () => {
  it('defaults to the first 25 rows, no filter, no sort', () => {
    assert.deepEqual(parseListQuery({}, options), { filter: {}, offset: 0, limit: 25, sort: null });
  });

  it('reads filter, an inclusive range and a sort', () => {
    const query = parseListQuery({ filter: '{"q":"smi"}', range: '[50,74]', sort: '["lastName","desc"]' }, options);
    assert.deepEqual(query, { filter: { q: 'smi' }, offset: 50, limit: 25, sort: { field: 'lastName', order: 'DESC' } });
  });

  it('returns every id react-admin asks for with getMany, not a default page', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `id-${i}`);
    assert.equal(parseListQuery({ filter: JSON.stringify({ id: ids }) }, options).limit, 40);
  });

  it('answers 400 for malformed JSON, unknown filters and sorts, and impossible ranges', () => {
    badRequest({ filter: '{nope' });
    badRequest({ filter: '["q"]' });
    badRequest({ filter: '{"colour":"red"}' });
    badRequest({ sort: '["ssn","ASC"]' });
    badRequest({ sort: '["lastName","SIDEWAYS"]' });
    badRequest({ range: '[10,5]' });
    badRequest({ range: '[-1,5]' });
    badRequest({ range: '[0,1e21]' });
    badRequest({ range: `[0,${MAX_PAGE_SIZE}]` });
    badRequest({ filter: ['{}', '{}'] });
  });

  it('writes Content-Range and escapes LIKE wildcards', () => {
    assert.equal(contentRange('patients', 0, 25, 1000), 'patients 0-24/1000');
    assert.equal(escapeLike('50%_off!'), '50!%!_off!!');
  });
});
