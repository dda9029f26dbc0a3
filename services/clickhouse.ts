/**
 * ClickHouse server from Debian's packages. Debian ships 18.16 (2018): the server tests keep to what it
 * has (see README, "Supported versions").
 */
import fs from 'node:fs';
import path from 'node:path';
import { aptInstall, dir, has, httpOk, startDetached, waitUntil, type Service } from './lib.ts';

export const clickhousePort = 18123;
export const clickhouseUser = { username: 'farebox', password: 'farebox' };

function configure(): string {
  const home = dir('clickhouse');
  const config = path.join(home, 'config.xml');
  fs.writeFileSync(
    config,
    `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${clickhousePort}</http_port>
  <tcp_port>${clickhousePort + 887}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <max_connections>256</max_connections>
  <path>${dir('clickhouse', 'data')}/</path>
  <tmp_path>${dir('clickhouse', 'tmp')}/</tmp_path>
  <user_files_path>${dir('clickhouse', 'user_files')}/</user_files_path>
  <format_schema_path>${dir('clickhouse', 'format_schemas')}/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
`,
  );
  const user = (name: string, password: string) =>
    `<${name}><password>${password}</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></${name}>`;
  fs.writeFileSync(
    path.join(home, 'users.xml'),
    `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>${user('default', '')}${user(clickhouseUser.username, clickhouseUser.password)}</users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`,
  );
  return config;
}

const ready = () => httpOk(`http://127.0.0.1:${clickhousePort}/ping`);

export const clickhouse: Service = {
  name: 'clickhouse',
  endpoint: `http://${clickhouseUser.username}:${clickhouseUser.password}@127.0.0.1:${clickhousePort}`,
  async start() {
    if (!has('clickhouse-server')) aptInstall(['clickhouse-server', 'clickhouse-client']);
    startDetached('clickhouse', 'clickhouse-server', [`--config-file=${configure()}`]);
    await waitUntil('clickhouse', ready);
  },
  ready,
};
