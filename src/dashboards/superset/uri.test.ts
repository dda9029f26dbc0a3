/**
 * The bundle's ClickHouse database: no password anywhere, Superset's mask when asked for, the configured
 * server warehouse's user and database, and clear errors for a chDB warehouse without a ClickHouse URL or
 * a URL that is no ClickHouse HTTP one.
 */
import { describe, expect, it } from 'vitest';
import { FareboxError } from '../../errors/index.ts';
import { exportSupersetBundle, supersetDatabaseUri, supersetPasswordMask } from './index.ts';
import { baseConfig, bundle, chdb, databases, dir, httpWarehouse, now, secret, unzip, z } from './testing.ts';

describe('the ClickHouse database', () => {
  it('never writes a password: the URI names the user, the given password is nowhere in the bytes', () => {
    const database = databases[0]?.[1] ?? {};
    expect(database.sqlalchemy_uri).toBe('clickhousedb://farebox@clickhouse:8123/farebox');
    expect(new URL(String(database.sqlalchemy_uri)).password).toBe('');
    expect(database).not.toHaveProperty('password');
    expect(Object.values(z.raw).join('\n')).not.toContain(secret);
    expect(Buffer.from(bundle.bytes).includes(Buffer.from(secret))).toBe(false);
    expect(bundle.summary.notes.join(' ')).toMatch(/superset set-database-uri -d farebox_warehouse/);
  });

  it('with askPassword, puts Superset’s mask in the URI so that the Import dialog asks', () => {
    const masked = unzip(exportSupersetBundle({ ...baseConfig, askPassword: true }, { now }).bytes);
    const uri = String(masked.docs['databases/farebox_warehouse.yaml']?.sqlalchemy_uri);
    expect(new URL(uri).password).toBe(supersetPasswordMask);
    expect(Object.values(masked.raw).join('\n')).not.toContain(secret);
  });

  it("takes the configured server warehouse's user and database, leaving its password out", () => {
    expect(supersetDatabaseUri({ warehouse: httpWarehouse })).toEqual({
      uri: 'clickhousedb://farebox@clickhouse:8123/analytics',
      passwordLeftOut: true,
    });
    expect(
      supersetDatabaseUri({ warehouse: httpWarehouse, clickhouseUrl: 'https://ch.example.com' }).uri,
    ).toBe('clickhousedb://default@ch.example.com:8443/analytics?secure=true');
    const r = exportSupersetBundle({ dashboardsDir: dir, warehouse: httpWarehouse }, { now });
    expect(Buffer.from(r.bytes).includes(Buffer.from('s3cret-config-pw'))).toBe(false);
    expect(r.summary.notes.join(' ')).toMatch(/left out/);
  });

  it('refuses a chDB warehouse without --clickhouse-url, with a hint', () => {
    const run = () => exportSupersetBundle({ dashboardsDir: dir, warehouse: chdb }, { now });
    expect(run).toThrow(FareboxError);
    expect(run).toThrow(/chDB.*needs the URL of a ClickHouse server/);
    try {
      run();
    } catch (e) {
      expect((e as FareboxError).code).toBe('config_invalid');
      expect((e as FareboxError).hint).toMatch(/--clickhouse-url http:\/\//);
    }
  });

  it('refuses a --clickhouse-url that is no ClickHouse HTTP URL', () => {
    for (const bad of ['not a url', 'ftp://host/x', 'postgres://u@h/db'])
      expect(() => supersetDatabaseUri({ warehouse: chdb, clickhouseUrl: bad }), bad).toThrow(
        /--clickhouse-url/,
      );
  });
});
