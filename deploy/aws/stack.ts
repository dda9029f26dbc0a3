/**
 * farebox on ECS Fargate: the engines (engines.ts), an ECS cluster with Container Insights and a Cloud Map
 * namespace (the registry answers at registry.<namespace>), one service per role (services.ts), and a
 * public Application Load Balancer in front of the load-balanced roles (the gateway), whose targets are
 * healthy while the ops server's /readyz says so (it turns 503 while a task drains).
 */
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { Port } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerInsights } from 'aws-cdk-lib/aws-ecs';
import type { ApplicationListener } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import {
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ListenerAction,
  ListenerCondition,
  Protocol,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { FareboxStackProps } from './config.ts';
import { defaultLagMetric, ports, shutdown } from './config.ts';
import type { Engines } from './engines.ts';
import { createEngines } from './engines.ts';
import type { RoleService } from './services.ts';
import { createRoleService } from './services.ts';

export class FareboxStack extends Stack {
  readonly engines: Engines;
  readonly cluster: Cluster;
  /** The role services, by role name. */
  readonly roles: Record<string, RoleService>;
  readonly loadBalancer: ApplicationLoadBalancer;

  constructor(scope: Construct, id: string, props: FareboxStackProps & StackProps) {
    super(scope, id, props);
    this.engines = createEngines(this, props);
    const namespace = props.namespace ?? 'farebox.local';
    this.cluster = new Cluster(this, 'Cluster', {
      vpc: this.engines.vpc,
      containerInsightsV2: ContainerInsights.ENABLED,
    });
    this.cluster.addDefaultCloudMapNamespace({ name: namespace, vpc: this.engines.vpc });

    const executionRole = new Role(this, 'TaskExecutionRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'farebox tasks: pull the image, write logs, read the farebox secrets',
    });
    // ECR pulls and CloudWatch Logs only; secret reads are granted per secret as containers use them.
    if (props.image.kind === 'registry')
      executionRole.addManagedPolicy(
        ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonECSTaskExecutionRolePolicy'),
      );

    const partitions = props.partitions ?? 12;
    for (const [name, settings] of Object.entries(props.roles))
      if (settings.scaling?.kind === 'lag' && settings.scaling.max > partitions)
        throw new Error(
          `role ${name} scales to ${settings.scaling.max} tasks but topics have ${partitions} partitions: the rest would idle`,
        );
    // Each partition on every MSK broker (two by default), or on three brokers of an existing cluster.
    const replication =
      props.kafka.kind === 'msk'
        ? Math.min(3, props.kafka.brokerCount ?? 2)
        : (props.kafka.replicationFactor ?? 3);
    const environment: Record<string, string> = {
      FAREBOX_LOG: this.engines.logUrl,
      FAREBOX_OBJECTS: `s3://${this.engines.bucket.bucketName}?region=${this.region}`,
      FAREBOX_REGISTRY: `http://registry.${namespace}:${ports.registry}`,
      FAREBOX_HOST: '0.0.0.0',
      FAREBOX_PORT: String(ports.gateway),
      FAREBOX_REGISTRY_PORT: String(ports.registry),
      FAREBOX_OPS_PORT: String(ports.ops),
      FAREBOX_SHUTDOWN_SECONDS: String(shutdown.drainSeconds),
      FAREBOX_LOG_FORMAT: 'json',
      FAREBOX_SINK_GROUP: props.sinkGroup ?? 'farebox-sink',
      FAREBOX_PARTITIONS: String(partitions),
      FAREBOX_REPLICATION_FACTOR: String(replication),
    };
    const deps = {
      cluster: this.cluster,
      engines: this.engines,
      executionRole,
      environment,
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      lagMetric: { ...defaultLagMetric, ...props.lagMetric },
      paused: props.paused === true,
    };
    this.roles = Object.fromEntries(
      Object.entries(props.roles).map(([name, settings]) => [
        name,
        createRoleService(this, name, settings, deps),
      ]),
    );
    this.allowDiscoveredPorts();
    this.loadBalancer = this.createLoadBalancer(props.certificateArn);

    new CfnOutput(this, 'LoadBalancerUrl', {
      value: `${props.certificateArn === undefined ? 'http' : 'https'}://${this.loadBalancer.loadBalancerDnsName}`,
    });
    new CfnOutput(this, 'MediaBucketName', { value: this.engines.bucket.bucketName });
    new CfnOutput(this, 'EventLog', { value: this.engines.logUrl });
    if (this.engines.repository !== undefined)
      new CfnOutput(this, 'ImageRepositoryUri', { value: this.engines.repository.repositoryUri });
  }

  /** A role registered in Cloud Map (the registry) accepts its port from every other role. */
  private allowDiscoveredPorts(): void {
    const all = Object.values(this.roles);
    for (const target of all) {
      const port = target.settings.port;
      if (target.settings.discoveryName === undefined || port === undefined) continue;
      for (const client of all)
        if (client !== target)
          target.service.connections.allowFrom(
            client.service,
            Port.tcp(port),
            `${client.name} to ${target.name}`,
          );
    }
  }

  private createLoadBalancer(certificateArn: string | undefined): ApplicationLoadBalancer {
    const alb = new ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.engines.vpc,
      internetFacing: true,
      dropInvalidHeaderFields: true,
    });
    let listener: ApplicationListener;
    if (certificateArn === undefined) {
      listener = alb.addListener('Http', { protocol: ApplicationProtocol.HTTP, port: 80, open: true });
    } else {
      listener = alb.addListener('Https', {
        protocol: ApplicationProtocol.HTTPS,
        port: 443,
        open: true,
        certificates: [{ certificateArn }],
      });
      alb.addRedirect({ sourcePort: 80, targetPort: 443 });
    }
    const exposed = Object.values(this.roles).filter((r) => r.settings.loadBalanced !== undefined);
    let priority = 10;
    for (const role of exposed) {
      const port = role.settings.port;
      if (port === undefined) throw new Error(`role ${role.name} is load balanced but has no port`);
      const pathPatterns = role.settings.loadBalanced?.pathPatterns;
      listener.addTargets(`Role-${role.name}`, {
        protocol: ApplicationProtocol.HTTP,
        port,
        targets: [
          role.service.loadBalancerTarget({
            containerName: role.container.containerName,
            containerPort: port,
          }),
        ],
        // Healthy while /readyz says ready: a draining task leaves the target group before it stops.
        healthCheck: {
          path: '/readyz',
          port: String(ports.ops),
          protocol: Protocol.HTTP,
          healthyHttpCodes: '200',
          interval: Duration.seconds(10),
          timeout: Duration.seconds(5),
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 2,
        },
        deregistrationDelay: Duration.seconds(shutdown.drainSeconds),
        ...(pathPatterns === undefined
          ? {}
          : { priority: priority++, conditions: [ListenerCondition.pathPatterns(pathPatterns)] }),
      });
      role.service.connections.allowFrom(alb, Port.tcp(ports.ops), 'ALB health checks on the ops port');
    }
    if (!exposed.some((r) => r.settings.loadBalanced?.pathPatterns === undefined))
      listener.addAction('NotFound', { action: ListenerAction.fixedResponse(404) });
    return alb;
  }
}
