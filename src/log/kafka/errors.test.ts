import { MultipleErrors, NetworkError, ProtocolError, TimeoutError, UserError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { FareboxError } from '../../errors/index.ts';
import { toLogError } from './errors.ts';

const protocol = (id: string) => new ProtocolError(id);

describe('Kafka errors as FareboxError', () => {
  it('marks transient failures retriable: network, timeouts, leader moves, too few replicas', () => {
    for (const e of [
      new NetworkError('Connection to 127.0.0.1:9092 failed.'),
      new TimeoutError('Request timed out', { canRetry: true }),
      protocol('NOT_LEADER_OR_FOLLOWER'),
      protocol('NOT_ENOUGH_REPLICAS'),
      protocol('REQUEST_TIMED_OUT'),
      new MultipleErrors('produce failed 6 times.', [
        protocol('NOT_LEADER_OR_FOLLOWER'),
        protocol('REQUEST_TIMED_OUT'),
      ]),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ])
      expect(toLogError('produce', e)).toMatchObject({ code: 'log_io', retriable: true, cause: e });
  });

  it('marks the others final, also when one of several is', () => {
    for (const e of [
      protocol('MESSAGE_TOO_LARGE'),
      new NetworkError('Client is closed.', { canRetry: false, closed: true }),
      new MultipleErrors('produce failed 2 times.', [
        protocol('REQUEST_TIMED_OUT'),
        protocol('INVALID_CONFIG'),
      ]),
      new Error('something else'),
    ])
      expect(toLogError('produce', e)).toMatchObject({ code: 'log_io', retriable: false });
  });

  it("names an unknown topic 'topic_unknown', from the broker's code or platformatic's message", () => {
    for (const e of [
      new MultipleErrors('Creating topics failed.', [protocol('UNKNOWN_TOPIC_OR_PARTITION')]),
      new UserError('Unknown topic trips.'),
    ])
      expect(toLogError('produce', e)).toMatchObject({ code: 'topic_unknown', retriable: false });
  });

  it("says what failed and what the broker answered, keeping farebox's own errors as they are", () => {
    const e = toLogError(
      "produce to topic 'trips'",
      new MultipleErrors('produce failed 6 times.', [protocol('NOT_ENOUGH_REPLICAS')]),
    );
    expect(e.message).toMatch(/^produce to topic 'trips': produce failed 6 times\. \(NOT_ENOUGH_REPLICAS: /);
    const own = new FareboxError('config_invalid', 'x');
    expect(toLogError('produce', own)).toBe(own);
  });
});
