/**
 * The ECS Fargate stack, synthesized offline (Template.fromStack, App.synth(): no AWS account, no CDK
 * CLI) and checked resource by resource: services and their sizes, the ALB, scaling, the media bucket,
 * secrets kept out of plain environment, log retention, singleton deploys, MSK or existing brokers.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import type { FareboxStackProps, RoleSettings } from './config.ts';
import { defaultRoles, defaultStackProps } from './config.ts';
import { FareboxStack } from './stack.ts';

const env = { account: '123456789012', region: 'us-east-1' };
const tokensArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:farebox/tokens-AbCdEf';

/** Sizes unlike the defaults and unlike each other, so each one found proves it came from the config. */
const roles: Record<string, RoleSettings> = {
  gateway: { ...defaultRoles.gateway!, cpu: 1024, memoryMiB: 3072, desiredCount: 3 },
  registry: { ...defaultRoles.registry!, cpu: 256, memoryMiB: 1024, desiredCount: 2 },
  sink: { ...defaultRoles.sink!, cpu: 2048, memoryMiB: 4096, desiredCount: 4 },
  scheduler: { ...defaultRoles.scheduler!, cpu: 512, memoryMiB: 2048, desiredCount: 1 },
  dashboards: { ...defaultRoles.dashboards!, cpu: 512, memoryMiB: 1024, desiredCount: 2 },
  simulator: { ...defaultRoles.simulator!, cpu: 256, memoryMiB: 512, desiredCount: 0 },
};

function synth(id: string, overrides: Partial<FareboxStackProps> = {}): Template {
  const stack = new FareboxStack(new App(), id, {
    ...defaultStackProps,
    roles,
    clickhouseUrlSecretName: 'prod/farebox/clickhouse-url',
    tokensSecretName: tokensArn,
    ...overrides,
    env,
  });
  return Template.fromStack(stack);
}

type Resource = { Type: string; Properties: Record<string, unknown> };
type ContainerDefinition = {
  Name: string;
  Environment?: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
  PortMappings?: { ContainerPort: number }[];
  StopTimeout?: number;
};

function one(template: Template, type: string, props: Record<string, unknown>): [string, Resource] {
  const found = Object.entries(template.findResources(type, { Properties: props })) as [string, Resource][];
  expect(found, `${type} with ${JSON.stringify(props)}`).toHaveLength(1);
  return found[0]!;
}

function taskDefinition(template: Template, stackName: string, role: string): [string, Resource] {
  return one(template, 'AWS::ECS::TaskDefinition', { Family: `${stackName}-${role}` });
}

function serviceOf(template: Template, stackName: string, role: string): [string, Resource] {
  const [taskId] = taskDefinition(template, stackName, role);
  return one(template, 'AWS::ECS::Service', { TaskDefinition: { Ref: taskId } });
}

/** The scalable target of a service: its ResourceId names the service by GetAtt. */
function scalableTargetOf(template: Template, serviceId: string): string {
  const targets = template.findResources('AWS::ApplicationAutoScaling::ScalableTarget');
  const ids = Object.entries(targets)
    .filter(([, r]) => JSON.stringify(r).includes(`"${serviceId}","Name"`))
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

function allContainers(template: Template): ContainerDefinition[] {
  return Object.values(template.findResources('AWS::ECS::TaskDefinition')).flatMap(
    (r) => (r as Resource).Properties.ContainerDefinitions as ContainerDefinition[],
  );
}

describe('FareboxStack (MSK, RDS, generated ECR repository)', () => {
  let t: Template;
  beforeAll(() => {
    t = synth('FareboxMsk');
  });

  it('runs one Fargate service per role with the configured cpu, memory and desired count', () => {
    t.resourceCountIs('AWS::ECS::Service', Object.keys(roles).length);
    for (const [role, s] of Object.entries(roles)) {
      const [, task] = taskDefinition(t, 'FareboxMsk', role);
      expect(task.Properties).toMatchObject({
        Cpu: String(s.cpu),
        Memory: String(s.memoryMiB),
        RequiresCompatibilities: ['FARGATE'],
        NetworkMode: 'awsvpc',
      });
      const farebox = (task.Properties.ContainerDefinitions as ContainerDefinition[]).find(
        (c) => c.Name === 'farebox',
      );
      expect(farebox).toMatchObject({ Command: ['serve', role], StopTimeout: 30 });
      expect(farebox?.PortMappings?.map((p) => p.ContainerPort)).toContain(9464);
      const [, service] = serviceOf(t, 'FareboxMsk', role);
      expect(service.Properties).toMatchObject({
        DesiredCount: s.desiredCount,
        LaunchType: 'FARGATE',
        DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: true } },
        NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } },
      });
    }
  });

  it('puts the gateway behind a public ALB listener, healthy by the ops /readyz', () => {
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing' });
    const [tgId] = one(t, 'AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8787,
      HealthCheckPath: '/readyz',
      HealthCheckPort: '9464',
      TargetType: 'ip',
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: tgId } }],
    });
    const [, gateway] = serviceOf(t, 'FareboxMsk', 'gateway');
    expect(gateway.Properties.LoadBalancers).toEqual([
      { ContainerName: 'farebox', ContainerPort: 8787, TargetGroupArn: { Ref: tgId } },
    ]);
    const [, task] = taskDefinition(t, 'FareboxMsk', 'gateway');
    const ports = (task.Properties.ContainerDefinitions as ContainerDefinition[])[0]?.PortMappings;
    expect(ports?.map((p) => p.ContainerPort)).toEqual([8787, 9464]);
  });

  it('routes /api/* and / to the dashboards by a listener rule, with its port 8788 and no anonymous access', () => {
    const [tgId] = one(t, 'AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8788,
      HealthCheckPath: '/readyz',
      HealthCheckPort: '9464',
      TargetType: 'ip',
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Actions: [{ Type: 'forward', TargetGroupArn: { Ref: tgId } }],
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*', '/'] } }],
    });
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 1);
    const [dashboardsId, dashboards] = serviceOf(t, 'FareboxMsk', 'dashboards');
    expect(dashboards.Properties).toMatchObject({ DesiredCount: 2 });
    expect(dashboards.Properties.LoadBalancers).toEqual([
      { ContainerName: 'farebox', ContainerPort: 8788, TargetGroupArn: { Ref: tgId } },
    ]);
    const [, task] = taskDefinition(t, 'FareboxMsk', 'dashboards');
    const c = (task.Properties.ContainerDefinitions as ContainerDefinition[])[0]!;
    expect(c.PortMappings?.map((p) => p.ContainerPort)).toEqual([8788, 9464]);
    expect(c.Environment).toContainEqual({ Name: 'FAREBOX_DASHBOARDS_PORT', Value: '8788' });
    expect(c.Environment?.map((e) => e.Name)).not.toContain('FAREBOX_DASHBOARDS_ANONYMOUS');
    scalableTargetOf(t, dashboardsId);
  });

  it('registers the registry in Cloud Map as registry.farebox.local and points every role at it', () => {
    t.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', { Name: 'farebox.local' });
    t.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'registry' });
    for (const c of allContainers(t).filter((c) => c.Name === 'farebox'))
      expect(c.Environment).toContainEqual({
        Name: 'FAREBOX_REGISTRY',
        Value: 'http://registry.farebox.local:8081',
      });
  });

  it('opens the registry to the other roles, Kafka to all, the ops DB to its users, gateway and dashboards to the ALB', () => {
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')) as Resource[];
    const from = (port: number): string[] =>
      ingress
        .filter((r) => r.Properties.FromPort === port)
        .map((r) => JSON.stringify(r.Properties.SourceSecurityGroupId));
    const others = Object.keys(roles).filter((r) => r !== 'registry');
    expect(from(8081)).toHaveLength(others.length);
    for (const role of others) expect(from(8081).join()).toContain(`Role${role}Service`);
    expect(from(9092)).toHaveLength(Object.keys(roles).length);
    // The DB port is the instance's (a GetAtt), so the opening is found by its target group.
    const toDb = ingress.filter((r) => JSON.stringify(r.Properties.GroupId).includes('OpsDbSecurityGroup'));
    expect(toDb).toHaveLength(2);
    const dbUsers = toDb.map((r) => JSON.stringify(r.Properties.SourceSecurityGroupId)).join();
    expect(dbUsers).toContain('RoleschedulerService');
    expect(dbUsers).toContain('RoledashboardsService');
    for (const port of [8787, 8788]) {
      expect(from(port), String(port)).toHaveLength(1);
      expect(from(port)[0]).toContain('LoadBalancer');
    }
    // The ALB's health checks reach the ops port of both load-balanced roles.
    expect(from(9464)).toHaveLength(2);
    for (const source of from(9464)) expect(source).toContain('LoadBalancer');
  });

  it('scales the gateway by target tracking on CPU', () => {
    const [gatewayId] = serviceOf(t, 'FareboxMsk', 'gateway');
    const target = scalableTargetOf(t, gatewayId);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 8,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      ScalingTargetId: { Ref: target },
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 60,
      },
    });
  });

  it('scales the sinks by step scaling on the consumer-lag metric', () => {
    const [sinkId] = serviceOf(t, 'FareboxMsk', 'sink');
    const target = scalableTargetOf(t, sinkId);
    const policies = t.findResources('AWS::ApplicationAutoScaling::ScalingPolicy', {
      Properties: { PolicyType: 'StepScaling', ScalingTargetId: { Ref: target } },
    });
    const policyIds = Object.keys(policies);
    expect(policyIds.length).toBeGreaterThanOrEqual(2); // out and in
    for (const policyId of policyIds)
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'Farebox',
        MetricName: 'ConsumerLag',
        Statistic: 'Maximum',
        Dimensions: Match.arrayWith([
          { Name: 'service', Value: 'sink' },
          { Name: 'stack', Value: 'FareboxMsk' },
        ]),
        AlarmActions: [{ Ref: policyId }],
      });
    // The metric exists because the sink's CloudWatch agent scrapes farebox_consumer_lag and renames it.
    const [, task] = taskDefinition(t, 'FareboxMsk', 'sink');
    const agent = (task.Properties.ContainerDefinitions as ContainerDefinition[]).find(
      (c) => c.Name === 'cloudwatch-agent',
    );
    const scrape = agent?.Environment?.find((e) => e.Name === 'PROMETHEUS_CONFIG_CONTENT')?.Value;
    expect(JSON.parse(String(scrape))).toMatchObject({
      scrape_configs: [
        {
          static_configs: [{ targets: ['localhost:9464'], labels: { stack: 'FareboxMsk', service: 'sink' } }],
        },
      ],
    });
    expect(String(scrape)).toContain('"replacement":"ConsumerLag"');
    expect(JSON.stringify(agent?.Environment)).toContain('\\"metric_namespace\\":\\"Farebox\\"');
  });

  it('keeps the media bucket private, encrypted, TLS-only, versioned, with lifecycle rules', () => {
    const [bucketId, bucket] = one(t, 'AWS::S3::Bucket', {});
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          {
            Status: 'Enabled',
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
            NoncurrentVersionExpiration: { NoncurrentDays: 90 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          },
        ],
      },
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('passes credentials only as secrets (ValueFrom), never in plain environment', () => {
    const containers = allContainers(t);
    const credentialed = [
      /password/i,
      /postgres(ql)?:\/\/[^/\s"]*:[^@\s"]*@/i,
      /https?:\/\/[^/\s"@]+:[^@\s"]+@/i,
    ];
    for (const c of containers)
      for (const e of c.Environment ?? []) {
        const value = JSON.stringify(e.Value);
        for (const pattern of credentialed) expect(value, `${c.Name} ${e.Name}`).not.toMatch(pattern);
        expect(value).not.toContain('{{resolve:');
        expect(value).not.toContain('secretsmanager');
        expect(['FAREBOX_WAREHOUSE', 'FAREBOX_OPS_DB', 'FAREBOX_TOKENS']).not.toContain(e.Name);
      }
    const secretsOf = (role: string): string[] =>
      (
        (taskDefinition(t, 'FareboxMsk', role)[1].Properties.ContainerDefinitions as ContainerDefinition[])[0]
          ?.Secrets ?? []
      ).map((s) => s.Name);
    expect(secretsOf('gateway')).toEqual(['FAREBOX_TOKENS']);
    expect(secretsOf('sink')).toEqual(['FAREBOX_WAREHOUSE']);
    expect(secretsOf('scheduler').sort()).toEqual(['FAREBOX_OPS_DB', 'FAREBOX_WAREHOUSE']);
    expect(secretsOf('dashboards').sort()).toEqual(['FAREBOX_OPS_DB', 'FAREBOX_WAREHOUSE']);
    for (const c of containers) for (const s of c.Secrets ?? []) expect(s.ValueFrom).toBeDefined();
    const gatewaySecret = (
      taskDefinition(t, 'FareboxMsk', 'gateway')[1].Properties.ContainerDefinitions as ContainerDefinition[]
    )[0]?.Secrets?.[0];
    expect(gatewaySecret?.ValueFrom).toBe(tokensArn);
  });

  it('writes the ops DB URL secret from dynamic references, with no literal password', () => {
    const [, secret] = one(t, 'AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('FAREBOX_OPS_DB'),
    });
    const text = JSON.stringify(secret.Properties.SecretString);
    expect(text).toContain('postgres://{{resolve:secretsmanager:');
    expect(text).toContain(':SecretString:password::}}@');
    t.hasResourceProperties('AWS::RDS::DBInstance', { Engine: 'postgres', StorageEncrypted: true });
  });

  it('lets the task roles use the bucket only and the execution role read the secrets, not the bucket', () => {
    const policies = Object.entries(t.findResources('AWS::IAM::Policy')) as [string, Resource][];
    const actionsOf = (p: Resource): string[] =>
      (p.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement.flatMap(
        (s) => (Array.isArray(s.Action) ? s.Action : [s.Action]),
      );
    const taskPolicies = policies.filter(([id]) => id.includes('TaskTaskRole'));
    expect(taskPolicies).toHaveLength(Object.keys(roles).length);
    for (const [id, p] of taskPolicies) {
      const actions = actionsOf(p);
      const allowed = id.includes('sink') ? /^(s3|logs):/ : /^s3:/;
      for (const a of actions) expect(a, id).toMatch(allowed);
    }
    const [, execution] = policies.find(([id]) => id.startsWith('TaskExecutionRole'))!;
    for (const a of actionsOf(execution))
      expect(a).toMatch(/^(secretsmanager:(GetSecretValue|DescribeSecret)|ecr:|logs:)/);
    expect(actionsOf(execution)).toContain('secretsmanager:GetSecretValue');
  });

  it('keeps every log group for 30 days', () => {
    const groups = Object.values(t.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(Object.keys(roles).length);
    for (const g of groups) expect((g as Resource).Properties.RetentionInDays).toBe(30);
  });

  it('never runs two schedulers, also not during a deploy', () => {
    const [, scheduler] = serviceOf(t, 'FareboxMsk', 'scheduler');
    expect(scheduler.Properties).toMatchObject({
      DesiredCount: 1,
      DeploymentConfiguration: { MaximumPercent: 100, MinimumHealthyPercent: 0 },
    });
    const [, gateway] = serviceOf(t, 'FareboxMsk', 'gateway');
    expect(gateway.Properties).toMatchObject({
      DeploymentConfiguration: { MaximumPercent: 200, MinimumHealthyPercent: 100 },
    });
  });

  it('creates an MSK cluster and hands its bootstrap brokers to the roles as FAREBOX_LOG', () => {
    t.resourceCountIs('AWS::MSK::Cluster', 1);
    t.hasResourceProperties('AWS::MSK::Cluster', { NumberOfBrokerNodes: 2 });
    const [, lookup] = one(t, 'Custom::AWS', {});
    expect(JSON.stringify(lookup.Properties.Create)).toContain('getBootstrapBrokers');
    const log = allContainers(t)
      .find((c) => c.Name === 'farebox')
      ?.Environment?.find((e) => e.Name === 'FAREBOX_LOG');
    expect(JSON.stringify(log?.Value)).toContain('BootstrapBrokerString');
    // Topics are created with a copy of each partition on both brokers: losing one loses nothing.
    const replication = allContainers(t)
      .find((c) => c.Name === 'farebox')
      ?.Environment?.find((e) => e.Name === 'FAREBOX_REPLICATION_FACTOR');
    expect(replication?.Value).toBe('2');
  });
});

describe('FareboxStack (existing brokers, existing ops DB, image by URI)', () => {
  let t: Template;
  beforeAll(() => {
    t = synth('FareboxExisting', {
      kafka: { kind: 'existing', brokers: 'b1.example:9092,b2.example:9092' },
      opsDb: { kind: 'existing', urlSecretName: 'prod/farebox/ops-db-url' },
      image: { kind: 'registry', uri: 'ghcr.io/example/farebox:1.2.3' },
    });
  });

  it('creates no MSK cluster, no RDS instance and no ECR repository', () => {
    t.resourceCountIs('AWS::MSK::Cluster', 0);
    t.resourceCountIs('Custom::AWS', 0);
    t.resourceCountIs('AWS::RDS::DBInstance', 0);
    t.resourceCountIs('AWS::ECR::Repository', 0);
  });

  it('passes the brokers and the image as given, the ops DB URL as a secret', () => {
    const [, task] = taskDefinition(t, 'FareboxExisting', 'scheduler');
    const [c] = task.Properties.ContainerDefinitions as (ContainerDefinition & { Image: unknown })[];
    expect(c?.Image).toBe('ghcr.io/example/farebox:1.2.3');
    expect(c?.Environment).toContainEqual({
      Name: 'FAREBOX_LOG',
      Value: 'kafka://b1.example:9092,b2.example:9092',
    });
    expect(c?.Environment).toContainEqual({ Name: 'FAREBOX_REPLICATION_FACTOR', Value: '3' });
    expect(JSON.stringify(c?.Secrets)).toContain('secret:prod/farebox/ops-db-url');
  });
});

describe('FareboxStack settings checks', () => {
  it('refuses to scale sinks past the partition count', () => {
    const sink: RoleSettings = {
      ...roles.sink!,
      scaling: { kind: 'lag', min: 2, max: 16, scaleOutAbove: 50_000, scaleInBelow: 1_000 },
    };
    expect(() => synth('FareboxTooMany', { roles: { ...roles, sink }, partitions: 8 })).toThrow(
      /scales to 16 tasks but topics have 8 partitions/,
    );
  });
});

describe('the CDK app (app.ts)', () => {
  it('synthesizes offline with its defaults', () => {
    const { app, stack } = createApp();
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, Resource>;
    };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types.filter((t) => t === 'AWS::ECS::Service')).toHaveLength(Object.keys(defaultRoles).length);
    expect(types).toContain('AWS::MSK::Cluster');
    expect(types).toContain('AWS::ECR::Repository');
  });

  it('takes its settings from context, not from the environment', () => {
    const { app, stack } = createApp({
      account: env.account,
      region: env.region,
      kafkaBrokers: 'k1:9092',
      paused: 'true',
    });
    expect(stack.account).toBe(env.account);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::MSK::Cluster', 0);
    for (const s of Object.values(template.findResources('AWS::ECS::Service')))
      expect((s as Resource).Properties.DesiredCount).toBe(0);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    expect(app.synth().stacks).toHaveLength(1);
  });
});
