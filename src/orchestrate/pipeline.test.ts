import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isFareboxError } from '../errors/index.ts';
import { loadPipelines, parseDuration, parsePipeline, syncPipeline } from './pipeline.ts';
import { dueTimes, fireTimes, nextFireTime } from './schedule.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const models = fs
  .readdirSync(path.join(repo, 'transform/models'), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.sql'))
  .map((f) => path.basename(f, '.sql'));

const job = (extra = '') =>
  `  - name: build\n    transform: { command: run, select: [fct_trips] }\n${extra === '' ? '' : `${extra}\n`}`;
const text = (jobs: string, head = 'schedule: { every: 5m }') => `pipeline: p\n${head}\njobs:\n${jobs}`;
const refused = (yaml: string): string => {
  try {
    parsePipeline('pipelines/p.yaml', yaml, { models });
  } catch (e) {
    expect(isFareboxError(e, 'pipeline_invalid')).toBe(true);
    return (e as Error).message + ' ' + ((e as { hint?: string }).hint ?? '');
  }
  throw new Error('accepted');
};

describe('pipeline files', () => {
  it('loads the repo’s pipelines, with jobs after their upstream jobs', () => {
    const pipelines = loadPipelines(path.join(repo, 'pipelines'), {
      models,
      syncs: ['drivers', 'zone_demand'],
    });
    const taxi = pipelines.find((p) => p.name === 'taxi');
    expect(taxi?.schedule).toEqual({ kind: 'interval', everyMs: 300_000 });
    expect(taxi?.jobs.map((j) => j.name)).toEqual(['build_models', 'fct_trips_fresh', 'sync_zone_demand']);
    expect(taxi?.jobs[2]).toMatchObject({
      action: { kind: 'sync', sync: 'zone_demand' },
      upstream: ['build_models'],
    });
    expect(taxi?.jobs[0]).toMatchObject({ retries: 2, retryDelayMs: 30_000, timeoutMs: 600_000 });
    const nightly = pipelines.find((p) => p.name === 'scores_nightly');
    expect(nightly?.schedule).toEqual({ kind: 'cron', cron: '0 3 * * *', timezone: 'America/New_York' });
    expect(nightly?.catchUp).toBe('none');
    expect(pipelines.find((p) => p.name === 'upkeep')?.jobs[0]?.action).toMatchObject({
      kind: 'optimize',
      tables: ['raw_trips', 'raw_vehicle_locations', 'raw_driver_documents', 'dead_letters', 'load_ledger'],
      final: true,
    });
    expect(pipelines.find((p) => p.name === 'upkeep')?.jobs[1]).toMatchObject({
      name: 'replay_decode_failures',
      action: { kind: 'replay', stage: 'decode', eventType: undefined },
      upstream: ['optimize_raw'],
    });
    expect(pipelines.find((p) => p.name === 'upkeep')?.jobs[2]).toMatchObject({
      name: 'expire_positions',
      action: { kind: 'ttl', table: 'raw_vehicle_locations', column: 'event_time', keepMs: 90 * 86_400_000 },
      upstream: ['optimize_raw'],
    });
  });

  it('reads ttl and clean_objects jobs, with clean_objects defaults', () => {
    const p = parsePipeline(
      'pipelines/p.yaml',
      text(
        '  - name: expire\n    ttl: { table: raw_vehicle_locations, column: event_time, keep: 90d }\n' +
          '  - name: clean\n    clean_objects:\n  - name: look\n    clean_objects: { min_age: 2h, dry_run: true }\n',
      ),
      { models },
    );
    expect(p.jobs.map((j) => j.action)).toEqual([
      { kind: 'ttl', table: 'raw_vehicle_locations', column: 'event_time', keepMs: 7_776_000_000 },
      { kind: 'clean_objects', minAgeMs: 86_400_000, dryRun: false },
      { kind: 'clean_objects', minAgeMs: 7_200_000, dryRun: true },
    ]);
  });

  it('reads sync jobs, refusing a sync that does not exist; a scheduled sync is a pipeline of its own', () => {
    const sync = (name: string) =>
      parsePipeline('pipelines/p.yaml', text(`  - name: push\n    sync: ${name}\n`), {
        models,
        syncs: ['drivers', 'zone_demand'],
      });
    expect(sync('drivers').jobs[0]?.action).toEqual({ kind: 'sync', sync: 'drivers' });
    expect(() => sync('driver')).toThrow(/job 'push': sync 'driver' is no sync of syncs\//);
    try {
      sync('driver');
    } catch (e) {
      expect((e as { hint?: string }).hint).toBe("did you mean 'drivers'?");
    }
    const own = syncPipeline({
      name: 'tier_changes',
      description: '',
      file: 'syncs/tier_changes.yaml',
      schedule: { cron: '30 3 * * *', timezone: 'America/New_York' },
    });
    expect(own).toMatchObject({
      name: 'sync_tier_changes',
      schedule: { kind: 'cron', cron: '30 3 * * *', timezone: 'America/New_York' },
      maxActiveRuns: 1,
      jobs: [{ name: 'sync', action: { kind: 'sync', sync: 'tier_changes' }, retries: 2 }],
    });
    expect(() =>
      syncPipeline({ name: 'x', description: '', file: 'syncs/x.yaml', schedule: { every: 'often' } }),
    ).toThrow(/syncs\/x.yaml: schedule.every 'often' is not a duration/);
  });

  it('refuses bad input at load, naming the file, the job and the field', () => {
    expect(
      refused(
        text(
          `${job('    upstream: [check]')}  - name: check\n    transform: { command: test }\n    upstream: [build]\n`,
        ),
      ),
    ).toMatch(/pipelines\/p.yaml: jobs form a cycle: build → check → build/);
    expect(refused(text(job('    upstream: [buidl]')))).toMatch(
      /job 'build': upstream 'buidl' is no job of pipeline 'p'.*did you mean 'build'/,
    );
    expect(
      refused(text(`  - name: build\n    transform: { command: run, select: ['+fct_trip+'] }\n`)),
    ).toMatch(
      /job 'build': transform.select '\+fct_trip\+' names no model of the transform project.*did you mean 'fct_trips'/,
    );
    expect(refused(text(job(), "schedule: { cron: '61 * * * *' }"))).toMatch(
      /schedule.cron '61 \* \* \* \*' is not a cron expression/,
    );
    expect(refused(text(job(), "schedule: { cron: '0 3 * * *', timezone: Mars/Olympus }"))).toMatch(
      /schedule.timezone 'Mars\/Olympus' is not a time zone/,
    );
    expect(refused(text(job('    timeout: soon')))).toMatch(
      /job 'build': jobs.0.timeout: a duration such as/,
    );
    expect(refused(text(job('    freshness: { table: t, column: c, max_age: 1m }')))).toMatch(
      /one of transform, freshness, optimize, replay_dead_letters, ttl, clean_objects or sync/,
    );
    const ttl = (fields: string) => text(`  - name: expire\n    ttl: { table: t, column: c, ${fields} }\n`);
    expect(refused(ttl('keep: 3 months'))).toMatch(/job 'expire': jobs.0.ttl.keep: a duration such as/);
    expect(refused(ttl('keep: 0d'))).toMatch(/job 'expire': jobs.0.ttl.keep: a duration such as/);
    expect(refused(ttl('keep: 90d, keep_for: 1d'))).toMatch(
      /job 'expire': jobs.0.ttl: Unrecognized key: "keep_for"/,
    );
    expect(refused(ttl('kept: 90d'))).toMatch(/job 'expire': jobs.0.ttl.keep: /);
    const clean = (fields: string) => text(`  - name: clean\n    clean_objects: { ${fields} }\n`);
    expect(refused(clean('min_age: tomorrow'))).toMatch(
      /job 'clean': jobs.0.clean_objects.min_age: a duration such as/,
    );
    expect(refused(clean('dryrun: true'))).toMatch(
      /job 'clean': jobs.0.clean_objects: Unrecognized key: "dryrun"/,
    );
    expect(refused(clean('dry_run: maybe'))).toMatch(/job 'clean': jobs.0.clean_objects.dry_run: /);
    expect(refused(text(`${job()}${job()}`))).toMatch(/job 'build' is defined twice/);
    expect(refused(text(job(), 'schedule: { every: 5m }\nretries: 3'))).toMatch(/Unrecognized key/);
  });

  it('reads durations', () => {
    expect([
      parseDuration('90s'),
      parseDuration('5m'),
      parseDuration('2h'),
      parseDuration(30),
      parseDuration('0s'),
    ]).toEqual([90_000, 300_000, 7_200_000, 30_000, undefined]);
  });
});

describe('schedules', () => {
  it('fires a cron schedule at the local hour across a daylight-saving change', () => {
    const s = { kind: 'cron', cron: '0 3 * * *', timezone: 'America/New_York' } as const;
    const times = fireTimes(s, Date.UTC(2026, 2, 6), Date.UTC(2026, 2, 10)).map((t) =>
      new Date(t).toISOString(),
    );
    // 03:00 EST is 08:00Z; on 8 March clocks jump from 02:00 to 03:00 EDT (07:00Z).
    expect(times).toEqual([
      '2026-03-06T08:00:00.000Z',
      '2026-03-07T08:00:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T07:00:00.000Z',
    ]);
  });

  it('picks due intervals by catch-up policy', () => {
    const s = { kind: 'interval', everyMs: 60_000 } as const;
    const now = 10 * 60_000 + 5;
    expect(dueTimes(s, 'all', 6 * 60_000, now, now)).toEqual([7, 8, 9, 10].map((m) => m * 60_000));
    expect(dueTimes(s, 'latest', 6 * 60_000, now, now)).toEqual([600_000]);
    expect(dueTimes(s, 'none', 6 * 60_000, now, now)).toEqual([]);
    expect(dueTimes(s, 'none', 6 * 60_000, 9.5 * 60_000, now)).toEqual([600_000]);
    // Never run: nothing at start, then the first fire time after the scheduler started.
    expect(dueTimes(s, 'latest', undefined, now, now)).toEqual([]);
    expect(dueTimes(s, 'all', undefined, 9.5 * 60_000, now)).toEqual([600_000]);
    expect(nextFireTime(s, now)).toBe(660_000);
    expect(
      nextFireTime({ kind: 'cron', cron: '0 3 * * *', timezone: 'America/New_York' }, Date.UTC(2026, 2, 8)),
    ).toBe(Date.UTC(2026, 2, 8, 7));
  });
});
