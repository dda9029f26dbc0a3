import { describe, expect, it } from 'vitest';
import { murmur2, partitionFor } from './murmur2.ts';

// Vectors from Kafka's UtilsTest.testMurmur2.
const vectors: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

describe('murmur2 (Kafka default partitioner)', () => {
  it.each(vectors)('hashes %s like Kafka', (key, expected) => {
    expect(murmur2(Buffer.from(key))).toBe(expected);
  });

  it('maps a key to a stable partition in range', () => {
    expect(partitionFor(Buffer.from('foobar'), 4)).toBe((-790332482 & 0x7fffffff) % 4);
    for (let i = 0; i < 100; i++) expect(partitionFor(Buffer.from(`veh-${i}`), 7)).toBeLessThan(7);
  });
});
