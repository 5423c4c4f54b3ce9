/**
 * The audit log's hash chain, independent of the database that holds it.
 *
 *   hash(n) = SHA-256( prevHash(n) + canonicalJson({seq, ts, actor, action, subject, details}) )
 *   prevHash(1) = GENESIS_HASH,  prevHash(n) = hash(n − 1),  seq = 1, 2, 3, … without gaps.
 *
 * Editing an entry changes its hash; removing one leaves a gap in seq and a broken prevHash;
 * moving one changes its seq and so its hash. Only cutting off the end leaves a valid chain:
 * compare the entry count and head hash with a copy kept elsewhere to catch that.
 */
import { canonicalJson, sha256Hex } from './canonical.js';
import type { AuditVerification, JsonObject } from './types.js';

/** prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields an entry's hash covers. */
export interface AuditFields {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  subject: string;
  details: JsonObject;
}

/** An entry as stored: its fields, the hash it links to and its own hash. */
export interface AuditRow extends AuditFields {
  prevHash: string;
  hash: string;
}

/** An entry as read back: details undefined when the stored text is not a JSON object. */
export interface StoredAuditRow extends Omit<AuditRow, 'details'> {
  details: JsonObject | undefined;
}

/** The hash of an entry given its predecessor's hash. */
export function auditHash(prevHash: string, fields: AuditFields): string {
  const { seq, ts, actor, action, subject, details } = fields;
  return sha256Hex(prevHash + canonicalJson({ seq, ts, actor, action, subject, details }, 'audit entry'));
}

/**
 * Checks a chain one entry at a time, in ascending seq order, for backends that read the log in
 * batches: `add` each entry until it returns false (the chain breaks there), then `result()`.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private entries = 0;
  private failure: AuditVerification | undefined;

  /** Checks the next entry; false once the chain does not hold (later entries are not looked at). */
  add(row: StoredAuditRow): boolean {
    if (this.failure !== undefined) return false;
    const bad = (seq: number, reason: string): boolean => {
      this.failure = {
        ok: false,
        entries: this.entries,
        headHash: this.entries > 0 ? this.prevHash : null,
        firstBadSeq: seq,
        reason,
      };
      return false;
    };
    const expectedSeq = this.expectedSeq;
    if (row.seq !== expectedSeq) {
      return row.seq > expectedSeq
        ? bad(expectedSeq, `entry ${expectedSeq} is missing (the next entry is ${row.seq})`)
        : bad(row.seq, `entry ${row.seq} is out of order (expected ${expectedSeq})`);
    }
    if (row.prevHash !== this.prevHash) {
      return bad(row.seq, `entry ${row.seq} does not link to entry ${row.seq - 1} (its prev_hash differs)`);
    }
    const { details } = row;
    if (details === undefined) {
      return bad(row.seq, `entry ${row.seq} has unreadable details`);
    }
    let hash: string;
    try {
      hash = auditHash(this.prevHash, { ...row, details });
    } catch {
      return bad(row.seq, `entry ${row.seq} holds data that cannot be hashed`);
    }
    if (hash !== row.hash) {
      return bad(row.seq, `entry ${row.seq} was altered (its content does not match its hash)`);
    }
    this.entries++;
    this.prevHash = row.hash;
    this.expectedSeq++;
    return true;
  }

  /** The verdict over the entries added so far. */
  result(): AuditVerification {
    return (
      this.failure ?? { ok: true, entries: this.entries, headHash: this.entries > 0 ? this.prevHash : null }
    );
  }
}

/**
 * Recomputes the chain over entries read in ascending seq order and reports the first place
 * where it does not hold.
 */
export function verifyChain(rows: Iterable<StoredAuditRow>): AuditVerification {
  const verifier = new ChainVerifier();
  for (const row of rows) if (!verifier.add(row)) break;
  return verifier.result();
}
