/**
 * `farebox dashboards …`: the users of the dashboards API (`farebox serve dashboards`, and `farebox up`
 * under /api). Users live in the operational database; a password is read from stdin, never a flag.
 */
import { Command, Option } from 'commander';
import type { Config } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import { openUsers, userRoles, type UserRole } from '../dashboards/index.ts';
import { openOpsDb } from '../opsdb/index.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function dashboardsCommand(configFrom: (cmd: Command) => Config): Command {
  const cmd = new Command('dashboards').description('users of the dashboards API (viewer, editor, admin)');
  cmd
    .command('add-user')
    .description('add a user; the password is read from stdin (e.g. `printf %s "$PW" | farebox …`)')
    .argument('<name>', 'user name')
    .addOption(new Option('--role <role>', 'what the user may do').choices(userRoles).default('viewer'))
    .option('--password-stdin', 'read the password from stdin (the only way; kept for clarity in scripts)')
    .action(async (name: string, opts: { role: UserRole }, sub: Command) => {
      if (process.stdin.isTTY)
        throw new FareboxError('bad_request', 'pipe the password on stdin', {
          hint: `printf %s 'the password' | farebox dashboards add-user ${name} --role ${opts.role} --password-stdin`,
        });
      const password = await readStdin();
      const db = await openOpsDb(configFrom(sub).opsDb);
      try {
        const user = await (await openUsers(db)).add(name, password, opts.role);
        process.stdout.write(`added ${user.name} (${user.role})\n`);
      } finally {
        await db.close();
      }
    });
  return cmd;
}
