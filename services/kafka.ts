/** Apache Kafka 4 in KRaft mode (one node: broker and controller), from Maven Central's jars. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dir, has, repo, run, say, ServiceError, startDetached, waitUntil, type Service } from './lib.ts';

export const kafkaPort = 19092;
const controllerPort = 19093;
const pom = path.join(repo, 'services', 'kafka', 'pom.xml');

function libs(): string {
  const libDir = path.join(dir('kafka'), 'libs');
  const stamp = path.join(libDir, '.pom-sha256');
  const want = createHash('sha256').update(fs.readFileSync(pom)).digest('hex');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return libDir;
  if (!has('mvn')) throw new ServiceError('Maven (mvn) is needed to fetch Kafka from Maven Central');
  say('fetching Kafka jars from Maven Central (cached in ~/.m2)');
  fs.rmSync(libDir, { recursive: true, force: true });
  run('mvn', ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${libDir}`], {
    log: path.join(dir('logs'), 'kafka-install.log'),
  });
  fs.writeFileSync(stamp, want);
  return libDir;
}

function configure(): { properties: string; data: string } {
  const home = dir('kafka');
  const data = path.join(home, 'data');
  const properties = path.join(home, 'server.properties');
  fs.writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${kafkaPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${kafkaPort}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${data}`,
      'num.partitions=1',
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(home, 'log4j2.properties'),
    [
      'rootLogger.level=WARN',
      'rootLogger.appenderRef.out.ref=out',
      'appender.out.type=Console',
      'appender.out.name=out',
      'appender.out.layout.type=PatternLayout',
      'appender.out.layout.pattern=[%d] %p %m (%c)%n',
      'logger.kafka.name=kafka.server',
      'logger.kafka.level=INFO',
      '',
    ].join('\n'),
  );
  return { properties, data };
}

const java = (libDir: string, home: string) => [
  '-cp',
  `${libDir}/*`,
  `-Dlog4j2.configurationFile=${path.join(home, 'log4j2.properties')}`,
];

async function brokerReady(): Promise<boolean> {
  await Promise.resolve();
  return run('kcat', ['-b', `127.0.0.1:${kafkaPort}`, '-L', '-m', '3']).includes('1 brokers');
}

export const kafka: Service = {
  name: 'kafka',
  endpoint: `127.0.0.1:${kafkaPort}`,
  async start() {
    if (!has('java')) throw new ServiceError('a Java runtime is needed to run Kafka');
    const libDir = libs();
    const home = dir('kafka');
    const { properties, data } = configure();
    if (!fs.existsSync(path.join(data, 'meta.properties'))) {
      const id =
        run('java', [...java(libDir, home), 'kafka.tools.StorageTool', 'random-uuid'])
          .trim()
          .split('\n')
          .at(-1) ?? '';
      run(
        'java',
        [
          ...java(libDir, home),
          'kafka.tools.StorageTool',
          'format',
          '--standalone',
          '-t',
          id,
          '-c',
          properties,
        ],
        {
          log: path.join(dir('logs'), 'kafka-install.log'),
        },
      );
    }
    startDetached('kafka', 'java', ['-Xms256m', '-Xmx1g', ...java(libDir, home), 'kafka.Kafka', properties]);
    await waitUntil('kafka', brokerReady);
  },
  ready: brokerReady,
};
