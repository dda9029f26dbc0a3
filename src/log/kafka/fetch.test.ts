import { IS_CONTROL, type fetchV17, type RecordsBatch } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { readResponse } from './fetch.ts';

const batch = (firstOffset: bigint, values: string[], attributes = 0): RecordsBatch => ({
  firstOffset,
  length: 0,
  partitionLeaderEpoch: 0,
  magic: 2,
  crc: 0,
  attributes,
  lastOffsetDelta: Math.max(0, values.length - 1),
  firstTimestamp: 1_700_000_000_000n,
  maxTimestamp: 1_700_000_000_000n,
  producerId: 1n,
  producerEpoch: 0,
  firstSequence: 0,
  records: values.map((v, i) => ({
    length: 0,
    attributes: 0,
    timestampDelta: BigInt(i),
    offsetDelta: i,
    key: v === 'tombstone' ? Buffer.from('k') : null,
    value: v === 'tombstone' ? null : Buffer.from(v),
    headers: [[Buffer.from('h'), Buffer.from(v)]],
  })),
});

const partition = (partitionIndex: number, records: RecordsBatch[]): fetchV17.FetchResponsePartition => ({
  partitionIndex,
  errorCode: 0,
  highWatermark: 100n,
  lastStableOffset: 100n,
  logStartOffset: 0n,
  abortedTransactions: null,
  preferredReadReplica: -1,
  records,
});

describe('reading a fetch response', () => {
  it('returns the records from the asked offset on, and where each partition continues', () => {
    const response: fetchV17.FetchResponse = {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topicId: 'id-t',
          partitions: [
            // A compressed batch comes whole, from before the asked offset 11; a control batch ends it.
            partition(0, [batch(10n, ['a', 'b', 'c']), batch(13n, ['marker'], IS_CONTROL)]),
            partition(1, [batch(0n, ['tombstone'])]),
            // Not asked for (a fetch session's leftover): ignored.
            partition(2, [batch(0n, ['x'])]),
          ],
        },
      ],
    };
    const requested = new Map([
      ['t/0', 11n],
      ['t/1', 0n],
    ]);
    const { records, next } = readResponse(response, new Map([['id-t', 't']]), requested);
    expect(records.map((r) => [r.partition, r.offset, r.value.toString(), r.headers.h])).toEqual([
      [0, 11, 'b', 'b'],
      [0, 12, 'c', 'c'],
      [1, 0, '', 'tombstone'],
    ]);
    expect(records[0]).toMatchObject({ topic: 't', key: null, timestamp: 1_700_000_000_001 });
    expect(next).toEqual(
      new Map([
        ['t/0', 14n],
        ['t/1', 1n],
      ]),
    );
  });
});
