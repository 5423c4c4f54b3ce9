import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../util/errors.js';
import { GENESIS_HASH, auditHash, verifyChain, type AuditRow } from './audit.js';
import { bytesToFloat32, float32ToBytes } from './blob.js';
import { canonicalJson } from './canonical.js';
import { pendingMigrations, type Migration } from './migrations.js';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';

describe('canonicalJson', () => {
  test('sorts keys at every depth and drops undefined members', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [3, { y: 1, x: 2 }], c: 'é"' }, u: undefined }),
      '{"a":{"c":"é\\"","d":[3,{"x":2,"y":1}]},"b":1}',
    );
  });
  test('refuses what JSON.stringify would silently change', () => {
    for (const bad of [NaN, Infinity, [undefined], new Date(0), new Map(), 1n, () => 1, Symbol('s')]) {
      assert.throws(() => canonicalJson({ v: bad }, 'details'), InputError);
    }
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    assert.throws(() => canonicalJson(loop), /circular/);
    assert.throws(() => canonicalJson({ a: { b: NaN } }, 'quality'), /quality\.a\.b/);
  });
  test('is stable through a parse round trip', () => {
    const v = { n: [1e21, -0, 0.1, 5e-324, 1.7976931348623157e308], s: '\u2028\u0000' };
    const text = canonicalJson(v);
    assert.equal(canonicalJson(JSON.parse(text)), text);
  });
});

describe('float32 blobs', () => {
  test('round-trip bit-exact from any byteOffset, into aligned memory of its own', () => {
    const backing = new Uint8Array(4 * 20);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 37 + 11) & 0xff;
    const view = new Float32Array(backing.buffer, 12, 10);
    const bytes = float32ToBytes(view);
    assert.equal(bytes.length, 40);
    assert.deepEqual([...bytes], [...backing.subarray(12, 52)]);
    // Read back from a Buffer at an odd offset inside a larger allocation.
    const holder = Buffer.alloc(45);
    bytes.copy(holder, 3);
    const back = bytesToFloat32(holder.subarray(3, 43), 10, 'test');
    assert.equal(back.byteOffset, 0);
    assert.deepEqual(new Uint8Array(back.buffer), backing.subarray(12, 52));
    holder.fill(0);
    assert.deepEqual(new Uint8Array(back.buffer), backing.subarray(12, 52));
  });
  test('are little-endian', () => {
    assert.deepEqual([...float32ToBytes(new Float32Array([1]))], [0x00, 0x00, 0x80, 0x3f]);
  });
  test('of the wrong length are refused', () => {
    assert.throws(
      () => bytesToFloat32(new Uint8Array(7), 2, 'fp'),
      /fp: stored data has 7 bytes but 2 float32 values need 8/,
    );
  });
});

describe('audit chain', () => {
  function chain(n: number): AuditRow[] {
    const rows: AuditRow[] = [];
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= n; seq++) {
      const fields = {
        seq,
        ts: '2025-01-01T00:00:00.000Z',
        actor: 'a',
        action: 'x',
        subject: 's',
        details: { seq },
      };
      const hash = auditHash(prev, fields);
      rows.push({ ...fields, prevHash: prev, hash });
      prev = hash;
    }
    return rows;
  }
  test('a true chain verifies', () => {
    const rows = chain(4);
    assert.deepEqual(verifyChain(rows), { ok: true, entries: 4, headHash: rows[3].hash });
    assert.deepEqual(verifyChain([]), { ok: true, entries: 0, headHash: null });
  });
  test('the hash covers every field', () => {
    for (const field of ['ts', 'actor', 'action', 'subject'] as const) {
      const rows = chain(3);
      rows[1] = { ...rows[1], [field]: 'changed' };
      assert.equal(verifyChain(rows).firstBadSeq, 2, field);
    }
    const rows = chain(3);
    rows[1] = { ...rows[1], details: { seq: 2, extra: true } };
    assert.equal(verifyChain(rows).firstBadSeq, 2);
  });
  test('a wrong start is caught', () => {
    const rows = chain(3).slice(1);
    assert.deepEqual(verifyChain(rows), {
      ok: false,
      entries: 0,
      headHash: null,
      firstBadSeq: 1,
      reason: 'entry 1 is missing (the next entry is 2)',
    });
  });
});

describe('migrations', () => {
  const list: Migration[] = [
    { version: 1, name: 'initial', up: '' },
    { version: 2, name: 'second', up: '' },
  ];
  test('pending ones follow what is applied', () => {
    assert.deepEqual(pendingMigrations(list, [], 'db'), list);
    assert.deepEqual(pendingMigrations(list, [{ version: 1, name: 'initial' }], 'db'), [list[1]]);
    assert.deepEqual(
      pendingMigrations(
        list,
        [
          { version: 1, name: 'initial' },
          { version: 2, name: 'second' },
        ],
        'db',
      ),
      [],
    );
  });
  test('a newer, foreign or gapped history is refused', () => {
    assert.throws(
      () => pendingMigrations(list, [{ version: 3, name: 'x' }], 'db'),
      /schema version 3 .* up to 2/,
    );
    assert.throws(
      () => pendingMigrations(list, [{ version: 1, name: 'other' }], 'db'),
      /recorded as "other"/,
    );
    assert.throws(
      () => pendingMigrations(list, [{ version: 2, name: 'second' }], 'db'),
      /1 \(initial\) is missing/,
    );
  });
  test('the SQLite list is numbered 1, 2, 3, …', () => {
    SQLITE_MIGRATIONS.forEach((m, i) => assert.equal(m.version, i + 1));
  });
});
