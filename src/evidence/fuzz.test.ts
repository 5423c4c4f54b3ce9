/**
 * Fuzzing: malformed EXIF and JPEG header segments never crash `inspect`. Each case mutates a
 * valid file's header bytes (seeded, so every run tests the same cases); inspectImage must return
 * (with warnings) or reject with InputError, nothing else.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { InputError } from '../util/errors.js';
import { inspectImage, parseJpeg } from './index.js';
import { testJpeg } from './test-images.js';
import { rng } from '../testing/numeric.js';

const CASES = 400;

describe('inspect on fuzzed headers', () => {
  it(`${CASES} mutated files: a result with warnings or an InputError, never a crash`, async () => {
    const base = await testJpeg({ quality: 85, optimiseCoding: false });
    const sos = base.indexOf(Buffer.from([0xff, 0xda]));
    assert.ok(sos > 100, 'the header (EXIF, DQT, SOF, DHT) comes before the scan');
    const random = rng(20240501);
    const int = (n: number): number => Math.floor(random() * n);
    let results = 0;
    let inputErrors = 0;
    let warned = 0;
    for (let c = 0; c < CASES; c++) {
      let bytes = Buffer.from(base);
      const kind = c % 5;
      const edits = 1 + int(8);
      for (let e = 0; e < edits; e++) {
        const at = 2 + int(sos + 12 - 2); // the header, the SOS header and the first scan bytes
        if (kind === 0)
          bytes[at] = int(256); // random byte
        else if (kind === 1)
          bytes[at] ^= 1 << int(8); // bit flip
        else if (kind === 2)
          bytes[at] = [0x00, 0xff, 0x7f, 0x80][int(4)]; // boundary values
        else if (kind === 3) {
          // a segment length (the two bytes after a marker) set to something wrong
          const markers = [...bytes.subarray(0, sos).entries()].filter(([i, v]) => v === 0xff && i + 3 < sos);
          const [m] = markers[int(markers.length)];
          bytes.writeUInt16BE([0, 1, 2, 0xffff, int(65536)][int(5)], m + 2);
        }
      }
      if (kind === 4) bytes = bytes.subarray(0, 2 + int(sos + 40)); // truncated in the header
      const label = `case ${c} (kind ${kind})`;
      try {
        const r = await inspectImage(
          `fuzz-${c}.jpg`,
          bytes,
          createHash('sha256').update(bytes).digest('hex'),
        );
        results++;
        assert.equal(typeof r.sha256, 'string', label);
        assert.ok(Array.isArray(r.warnings), label);
        if (r.warnings.length > 0) warned++;
        JSON.stringify(r); // serialisable
      } catch (err) {
        assert.ok(err instanceof InputError, `${label}: ${err instanceof Error ? err.stack : String(err)}`);
        inputErrors++;
      }
      // The parser alone never throws.
      assert.doesNotThrow(() => parseJpeg(bytes), label);
    }
    assert.equal(results + inputErrors, CASES);
    assert.ok(warned > CASES / 4, `${warned} of ${results} results carry warnings`);
    console.log(`fuzz: ${results} results (${warned} with warnings), ${inputErrors} InputErrors`);
  });
});
