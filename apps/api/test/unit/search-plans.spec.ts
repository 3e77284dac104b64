import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { usesKeptCounts, usesSearchKeys } from '../../src/patients/patient-search-counts';
import { searchTerms } from '../../src/patients/patient-search';

describe('patient search plans', () => {
  it('ORs last name, first name, email and MRN for a word, each on its own index', () => {
    const terms = searchTerms('smi');
    assert.deepEqual(
      terms.map((t) => [t.field, t.index]),
      [
        ['last', 'IDX_patients_practice_last_first'],
        ['first', 'IDX_patients_practice_first'],
        ['email', 'IDX_patients_practice_email'],
        ['exact', 'UQ_patients_practice_mrn'],
      ],
    );
    assert.deepEqual(terms[0]!.values, ['smi%']);
    assert.deepEqual(terms[3]!.values, ['smi'], 'the MRN is matched exactly');
  });

  it('reads two words as "first last" and "last first"', () => {
    const names = searchTerms('ada lovelace').filter((t) => t.field === 'names');
    assert.deepEqual(
      names.map((t) => t.values),
      [
        ['lovelace%', 'ada%'],
        ['ada%', 'lovelace%'],
      ],
    );
  });

  it('adds a phone term for 7 or more digits, trying +1 for ten', () => {
    const phone = searchTerms('(503) 555-0123').find((t) => t.index === 'IDX_patients_practice_phone');
    assert.deepEqual(phone?.values, ['5035550123', '15035550123']);
    assert.equal(
      searchTerms('555-01').find((t) => t.index === 'IDX_patients_practice_phone'),
      undefined,
    );
  });

  it('escapes LIKE wildcards typed into the box', () => {
    assert.deepEqual(searchTerms('a_b%')[0]!.values, ['a!_b!%%']);
  });

  it('reads the kept counts for 1–3 plain characters, the search keys from 3 on', () => {
    assert.deepEqual(
      ['s', 'sm', 'smi', 'smit', 'o’b', 'a b', 'ß'].map((q) => [q, usesKeptCounts(q), usesSearchKeys(q)]),
      [
        ['s', true, false],
        ['sm', true, false],
        ['smi', true, true],
        ['smit', false, true],
        ['o’b', false, false],
        ['a b', false, false],
        ['ß', false, false],
      ],
    );
  });
});
