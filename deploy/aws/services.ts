/**
 * One Fargate service per farebox role, all made by the same factory from the role's settings: the task
 * definition (size, the one image with `serve <role>`, ports, plain environment, secrets from Secrets
 * Manager, a log group, the /livez health check, the 30 s stop timeout), the service (private subnets,
 * circuit breaker with rollback, Cloud Map name, singleton deploys) and its scaling policy.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { AdjustmentType } from 'aws-cdk-lib/aws-applicationautoscaling';
import { SubnetType } from 'aws-cdk-lib/aws-ec2';
import type { Cluster, ContainerDefinition, PortMapping } from 'aws-cdk-lib/aws-ecs';
import {
  CpuArchitecture,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
  Secret as EcsSecret,
} from 'aws-cdk-lib/aws-ecs';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { DnsRecordType } from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import type { LagMetricSettings, RoleSecret, RoleSettings } from './config.ts';
import { ports, shutdown } from './config.ts';
import type { Engines } from './engines.ts';
import { addLagAgent, lagMetric } from './lag-metric.ts';

/** The environment variable each secret fills. */
export const secretVariables: Record<RoleSecret, string> = {
  warehouse: 'FAREBOX_WAREHOUSE',
  opsDb: 'FAREBOX_OPS_DB',
  tokens: 'FAREBOX_TOKENS',
};

export interface RoleServiceDeps {
  cluster: Cluster;
  engines: Engines;
  /** One execution role for all tasks: pulls the image, writes logs, reads the secrets. */
  executionRole: IRole;
  /** Plain environment every role gets (engine URLs without credentials, ports, shutdown). */
  environment: Record<string, string>;
  logRetention: RetentionDays;
  lagMetric: LagMetricSettings;
  /** Zero tasks and no scaling (first deploy). */
  paused: boolean;
}

export interface RoleService {
  name: string;
  settings: RoleSettings;
  service: FargateService;
  container: ContainerDefinition;
  logGroup: LogGroup;
}

/** The health check of every farebox container: its ops server answers /livez (Node has fetch). */
const livezCheck = `fetch('http://127.0.0.1:${ports.ops}/livez').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))`;

export function createRoleService(
  scope: Construct,
  name: string,
  settings: RoleSettings,
  deps: RoleServiceDeps,
): RoleService {
  const role = new Construct(scope, `Role-${name}`);
  const logGroup = new LogGroup(role, 'Logs', { retention: deps.logRetention });
  const taskDefinition = new FargateTaskDefinition(role, 'Task', {
    family: `${Stack.of(scope).stackName}-${name}`,
    cpu: settings.cpu,
    memoryLimitMiB: settings.memoryMiB,
    executionRole: deps.executionRole,
    // x86_64: the image's chdb has no linux-arm64 build here (package.json overrides it with a stub).
    runtimePlatform: {
      cpuArchitecture: CpuArchitecture.X86_64,
      operatingSystemFamily: OperatingSystemFamily.LINUX,
    },
  });
  // The task role may use the media bucket and nothing else (the lag agent adds its own log group).
  deps.engines.bucket.grantReadWrite(taskDefinition.taskRole);

  const secrets = settings.secrets ?? [];
  const portMappings: PortMapping[] = [{ containerPort: ports.ops, name: 'ops' }];
  if (settings.port !== undefined) portMappings.unshift({ containerPort: settings.port, name: 'http' });
  const container = taskDefinition.addContainer('farebox', {
    image: deps.engines.image,
    command: settings.command ?? ['serve', name],
    environment: { ...deps.environment, ...settings.environment },
    secrets: Object.fromEntries(
      secrets.map((s) => [secretVariables[s], EcsSecret.fromSecretsManager(deps.engines.secrets[s])]),
    ),
    portMappings,
    logging: LogDrivers.awsLogs({ logGroup, streamPrefix: name }),
    stopTimeout: Duration.seconds(shutdown.stopTimeoutSeconds),
    healthCheck: {
      command: ['CMD', 'node', '-e', livezCheck],
      interval: Duration.seconds(15),
      timeout: Duration.seconds(5),
      retries: 3,
      startPeriod: Duration.seconds(60),
    },
  });
  if (settings.publishesLag === true)
    addLagAgent(taskDefinition, deps.lagMetric, name, {
      emfLogGroup: lagLogGroup(scope, deps.logRetention),
      logging: LogDrivers.awsLogs({ logGroup, streamPrefix: `${name}-cloudwatch-agent` }),
    });

  const singleton = settings.singleton === true;
  const service = new FargateService(role, 'Service', {
    cluster: deps.cluster,
    taskDefinition,
    desiredCount: deps.paused ? 0 : settings.desiredCount,
    vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
    assignPublicIp: false,
    // A singleton is stopped before its successor starts, so two never overlap.
    minHealthyPercent: singleton ? 0 : 100,
    maxHealthyPercent: singleton ? 100 : 200,
    circuitBreaker: { enable: true, rollback: true },
    ...(settings.loadBalanced === undefined ? {} : { healthCheckGracePeriod: Duration.seconds(60) }),
    ...(settings.discoveryName === undefined
      ? {}
      : {
          cloudMapOptions: {
            name: settings.discoveryName,
            dnsRecordType: DnsRecordType.A,
            dnsTtl: Duration.seconds(10),
          },
        }),
  });
  deps.engines.allowFrom(service, secrets);
  if (!deps.paused) addScaling(service, name, settings, deps.lagMetric);
  return { name, settings, service, container, logGroup };
}

function addScaling(
  service: FargateService,
  name: string,
  settings: RoleSettings,
  lag: LagMetricSettings,
): void {
  const scaling = settings.scaling;
  if (scaling === undefined) return;
  const capacity = service.autoScaleTaskCount({ minCapacity: scaling.min, maxCapacity: scaling.max });
  if (scaling.kind === 'cpu') {
    capacity.scaleOnCpuUtilization('CpuScaling', {
      targetUtilizationPercent: scaling.targetPercent,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });
    return;
  }
  capacity.scaleOnMetric('LagScaling', {
    metric: lagMetric(Stack.of(service), lag, name),
    adjustmentType: AdjustmentType.CHANGE_IN_CAPACITY,
    scalingSteps: [
      { upper: scaling.scaleInBelow, change: -1 },
      { lower: scaling.scaleOutAbove, change: +1 },
      { lower: scaling.scaleOutAbove * 10, change: +2 },
    ],
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    cooldown: Duration.seconds(180),
  });
}

/** One log group for the EMF events of every lag agent in the stack. */
function lagLogGroup(scope: Construct, retention: RetentionDays): ILogGroup {
  const existing = scope.node.tryFindChild('LagMetricsLogs');
  if (existing instanceof LogGroup) return existing;
  return new LogGroup(scope, 'LagMetricsLogs', { retention });
}
