/**
 * `farebox dashboards …`: the users of the dashboards API (`farebox serve dashboards`, and `farebox up`
 * under /api). Users live in the operational database; a password is read from stdin, never a flag. And
 * `export-superset`: the dashboards as an Apache Superset import bundle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import type { Config } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import {
  describeSupersetExport,
  exportSupersetBundle,
  openUsers,
  userRoles,
  type UserRole,
  type Users,
} from '../dashboards/index.ts';
import { openOpsDb } from '../opsdb/index.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function passwordFromStdin(command: string): Promise<string> {
  if (process.stdin.isTTY)
    throw new FareboxError('bad_request', 'pipe the password on stdin', {
      hint: `printf %s 'the password' | farebox dashboards ${command} --password-stdin`,
    });
  return readStdin();
}

export function dashboardsCommand(configFrom: (cmd: Command) => Config): Command {
  /** `f` over the users of the configured operational database, closed afterwards. */
  async function withUsers<T>(sub: Command, f: (users: Users) => Promise<T>): Promise<T> {
    const db = await openOpsDb(configFrom(sub).opsDb);
    try {
      return await f(await openUsers(db));
    } finally {
      await db.close();
    }
  }

  const cmd = new Command('dashboards').description(
    'users of the dashboards web app (viewer, editor, admin); the dashboards as a Superset bundle',
  );
  cmd
    .command('add-user')
    .description('add a user; the password is read from stdin (e.g. `printf %s "$PW" | farebox …`)')
    .argument('<name>', 'user name')
    .addOption(new Option('--role <role>', 'what the user may do').choices(userRoles).default('viewer'))
    .option('--password-stdin', 'read the password from stdin (the only way; kept for clarity in scripts)')
    .action(async (name: string, opts: { role: UserRole }, sub: Command) => {
      const password = await passwordFromStdin(`add-user ${name} --role ${opts.role}`);
      const user = await withUsers(sub, (users) => users.add(name, password, opts.role));
      process.stdout.write(`added ${user.name} (${user.role})\n`);
    });
  cmd
    .command('users')
    .description('list the users and their roles')
    .action(async (_opts: unknown, sub: Command) => {
      const list = await withUsers(sub, (users) => users.list());
      const width = Math.max(4, ...list.map((u) => u.name.length));
      process.stdout.write(`${'name'.padEnd(width)}  role    created\n`);
      for (const u of list)
        process.stdout.write(`${u.name.padEnd(width)}  ${u.role.padEnd(6)}  ${u.createdAt}\n`);
    });
  cmd
    .command('set-role')
    .description("change a user's role; it applies at their next request (the last admin stays one)")
    .argument('<name>', 'user name')
    .addOption(new Option('--role <role>', 'the new role').choices(userRoles).makeOptionMandatory())
    .action(async (name: string, opts: { role: UserRole }, sub: Command) => {
      const user = await withUsers(sub, (users) => users.setRole(name, opts.role));
      process.stdout.write(`${user.name} is now ${user.role === 'editor' ? 'an' : 'a'} ${user.role}\n`);
    });
  cmd
    .command('set-password')
    .description(
      "set a user's password from stdin (a forgotten one, or after too many wrong ones); signs them out",
    )
    .argument('<name>', 'user name')
    .option('--password-stdin', 'read the password from stdin (the only way; kept for clarity in scripts)')
    .action(async (name: string, _opts: unknown, sub: Command) => {
      const password = await passwordFromStdin(`set-password ${name}`);
      await withUsers(sub, (users) => users.setPassword(name, password));
      process.stdout.write(`set a new password for ${name}; their sessions have ended\n`);
    });
  cmd
    .command('remove-user')
    .description('remove a user and end their sessions (the last admin cannot be removed)')
    .argument('<name>', 'user name')
    .action(async (name: string, _opts: unknown, sub: Command) => {
      await withUsers(sub, (users) => users.remove(name));
      process.stdout.write(`removed ${name}\n`);
    });
  cmd
    .command('export-superset')
    .description('write the dashboards as an Apache Superset import bundle (ZIP): database, datasets, charts')
    .argument('<file.zip>', 'the bundle to write')
    .option(
      '--clickhouse-url <url>',
      'ClickHouse as Superset reaches it, http(s)://user@host:8123/database; a password in it is left out ' +
        '(default: the warehouse, FAREBOX_WAREHOUSE, when it is a server)',
    )
    .option(
      '--dashboards <dir>',
      'folder of dashboard YAML files (default: FAREBOX_DASHBOARDS, ./dashboards)',
    )
    .option('--ask-password', "put Superset's password mask in the URI: the UI's Import dialog asks for it")
    .addHelpText('after', supersetHelp)
    .action(
      (
        file: string,
        opts: { clickhouseUrl?: string; dashboards?: string; askPassword?: boolean },
        sub: Command,
      ) => {
        const config = configFrom(sub);
        const { bytes, summary } = exportSupersetBundle({
          dashboardsDir:
            opts.dashboards === undefined ? config.dashboards.dir : path.resolve(opts.dashboards),
          warehouse: config.warehouse,
          clickhouseUrl: opts.clickhouseUrl,
          askPassword: opts.askPassword === true,
        });
        try {
          fs.writeFileSync(file, bytes);
        } catch (e) {
          throw new FareboxError('bad_request', `cannot write ${file}: ${(e as Error).message}`, {
            where: file,
            hint: 'give a path in an existing, writable folder',
          });
        }
        process.stdout.write(describeSupersetExport(summary, file));
      },
    );
  return cmd;
}

const supersetHelp = `
The bundle holds one ClickHouse database (the clickhouse-connect dialect, clickhousedb://user@host:port/db),
one virtual dataset per chart (its SQL), the charts (line, bar, table, big number, histogram, deck.gl map)
and the dashboards laid out in a grid, with a Time range and a Borough filter. UUIDs come from the names:
importing again updates the dashboards instead of adding copies. Charts without SQL (a built-in source
such as the consumer lag) are skipped, and the summary says why.

Import it (checked with Superset 6.1):
  farebox dashboards export-superset farebox-superset.zip --clickhouse-url http://farebox@clickhouse:8123/farebox
  superset import-dashboards -p farebox-superset.zip -u admin     or Dashboards → ⋮ → Import dashboard
  superset set-database-uri -d farebox_warehouse --skip_create \\
    -u 'clickhousedb://farebox:PASSWORD@clickhouse:8123/farebox'   the password: never in the bundle
With --ask-password the UI's Import dialog asks for the password instead (superset import-dashboards cannot:
it fails with "Must provide a password for the database").

Superset needs:
  the ClickHouse driver           pip install clickhouse-connect
  Jinja in dataset SQL            FEATURE_FLAGS = {"ENABLE_TEMPLATE_PROCESSING": True} in superset_config.py,
                                  or SUPERSET_FEATURE_ENABLE_TEMPLATE_PROCESSING=true
{from} and {to} become {{ from_dttm }} and {{ to_dttm }} (the dashboard's time range; all time without one),
{borough} becomes filter_values('borough') (the Borough filter; every borough without one). Without the flag
ClickHouse receives the {{ … }} text and the charts fail.

The embedded warehouse (chDB) has no server Superset could query: give --clickhouse-url of a ClickHouse
server holding the same tables (e.g. FAREBOX_WAREHOUSE=http://… npx farebox transform build).`;
