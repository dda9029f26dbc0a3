/**
 * What the farebox roles run on, apart from the roles themselves: the network, the image, the media
 * bucket (object store), the event log (MSK or existing brokers), the operational database (RDS
 * PostgreSQL or an existing URL secret) and the secrets the roles receive. Each engine is reduced to
 * what a role needs: an engine URL (plain, when it holds no credentials) or a secret holding it.
 */
import { Duration, Fn, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import { InstanceType, Port, SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import type { IConnectable } from 'aws-cdk-lib/aws-ec2';
import { Repository, TagMutability } from 'aws-cdk-lib/aws-ecr';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnCluster } from 'aws-cdk-lib/aws-msk';
import {
  Credentials,
  DatabaseInstance,
  DatabaseInstanceEngine,
  PostgresEngineVersion,
} from 'aws-cdk-lib/aws-rds';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import type { FareboxStackProps, KafkaSource, OpsDbSource, RoleSecret } from './config.ts';

export interface Engines {
  vpc: Vpc;
  image: ContainerImage;
  /** The ECR repository, when the stack created one. */
  repository?: Repository;
  /** The media bucket: FAREBOX_OBJECTS. */
  bucket: Bucket;
  /** FAREBOX_LOG (no credentials: plaintext Kafka inside the VPC). */
  logUrl: string;
  /** The secrets, by the role setting that asks for them. */
  secrets: Record<RoleSecret, ISecret>;
  /** Lets a role's tasks reach the engines that need a network opening (Kafka, the ops DB). */
  allowFrom(role: IConnectable, secrets: readonly RoleSecret[]): void;
}

export function createEngines(scope: Construct, props: FareboxStackProps): Engines {
  const vpc = new Vpc(scope, 'Vpc', {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
    ],
  });
  const { image, repository } = createImage(scope, props);
  const kafka = createKafka(scope, vpc, props.kafka, props.logRetention ?? RetentionDays.ONE_MONTH);
  const opsDb = createOpsDb(scope, vpc, props.opsDb);
  const secrets: Record<RoleSecret, ISecret> = {
    warehouse: importSecret(scope, 'ClickhouseUrl', props.clickhouseUrlSecretName),
    opsDb: opsDb.urlSecret,
    tokens:
      props.tokensSecretName === undefined
        ? new Secret(scope, 'GatewayTokens', {
            description: 'farebox gateway bearer tokens (FAREBOX_TOKENS), comma-separated',
            generateSecretString: { passwordLength: 48, excludePunctuation: true },
          })
        : importSecret(scope, 'GatewayTokens', props.tokensSecretName),
  };
  return {
    vpc,
    image,
    ...(repository === undefined ? {} : { repository }),
    bucket: createMediaBucket(scope),
    logUrl: `kafka://${kafka.brokers}`,
    secrets,
    allowFrom(role, wanted) {
      kafka.allowFrom(role);
      if (wanted.includes('opsDb')) opsDb.allowFrom(role);
    },
  };
}

/**
 * An existing secret, by full ARN or by name. By name, ECS gets a partial ARN, which Secrets Manager
 * resolves unless the name itself ends in a hyphen and six characters (then pass the full ARN).
 */
function importSecret(scope: Construct, id: string, nameOrArn: string): ISecret {
  return nameOrArn.startsWith('arn:')
    ? Secret.fromSecretCompleteArn(scope, id, nameOrArn)
    : Secret.fromSecretNameV2(scope, id, nameOrArn);
}

function createImage(
  scope: Construct,
  props: FareboxStackProps,
): { image: ContainerImage; repository?: Repository } {
  if (props.image.kind === 'registry') return { image: ContainerImage.fromRegistry(props.image.uri) };
  const repository = new Repository(scope, 'ImageRepository', {
    repositoryName: props.image.repositoryName,
    imageScanOnPush: true,
    imageTagMutability: TagMutability.MUTABLE,
    lifecycleRules: [{ description: 'keep the last 30 images', maxImageCount: 30 }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  return { image: ContainerImage.fromEcrRepository(repository, props.image.tag), repository };
}

/**
 * The object store: private, encrypted, TLS only, versioned. Objects move to infrequent access after 30
 * days; a deleted or overwritten object's old version goes after 90; a multipart upload a crashed gateway
 * left unfinished goes after 7.
 */
function createMediaBucket(scope: Construct): Bucket {
  return new Bucket(scope, 'MediaBucket', {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    versioned: true,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [
      {
        id: 'media-lifecycle',
        transitions: [{ storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) }],
        noncurrentVersionExpiration: Duration.days(90),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ],
  });
}

interface Reachable {
  allowFrom(role: IConnectable): void;
}

function createKafka(
  scope: Construct,
  vpc: Vpc,
  source: KafkaSource,
  retention: RetentionDays,
): Reachable & { brokers: string } {
  if (source.kind === 'existing') return { brokers: source.brokers, allowFrom: () => undefined };
  const securityGroup = new SecurityGroup(scope, 'KafkaSecurityGroup', {
    vpc,
    description: 'MSK brokers: plaintext Kafka (9092) from the farebox tasks only',
  });
  const subnets = vpc.selectSubnets({ subnetType: SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;
  const cluster = new CfnCluster(scope, 'Kafka', {
    clusterName: `${Stack.of(scope).stackName}-log`,
    kafkaVersion: source.kafkaVersion ?? '3.8.x',
    numberOfBrokerNodes: source.brokerCount ?? 2,
    brokerNodeGroupInfo: {
      instanceType: source.instanceType ?? 'kafka.t3.small',
      clientSubnets: subnets,
      securityGroups: [securityGroup.securityGroupId],
      storageInfo: { ebsStorageInfo: { volumeSize: source.volumeGiB ?? 100 } },
    },
    // farebox's client has neither TLS nor SASL yet: plaintext to clients, TLS between brokers.
    encryptionInfo: { encryptionInTransit: { clientBroker: 'TLS_PLAINTEXT', inCluster: true } },
  });
  // CloudFormation has no attribute for the bootstrap brokers: ask the Kafka API once deployed.
  const call = {
    service: 'Kafka',
    action: 'getBootstrapBrokers',
    parameters: { ClusterArn: cluster.attrArn },
    physicalResourceId: PhysicalResourceId.of(cluster.attrArn),
  };
  const bootstrap = new AwsCustomResource(scope, 'KafkaBootstrapBrokers', {
    onCreate: call,
    onUpdate: call,
    policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [cluster.attrArn] }),
    installLatestAwsSdk: false,
    logGroup: new LogGroup(scope, 'KafkaBootstrapBrokersLogs', { retention }),
  });
  return {
    brokers: bootstrap.getResponseField('BootstrapBrokerString'),
    allowFrom: (role) => securityGroup.connections.allowFrom(role, Port.tcp(9092), 'farebox task to Kafka'),
  };
}

function createOpsDb(scope: Construct, vpc: Vpc, source: OpsDbSource): Reachable & { urlSecret: ISecret } {
  if (source.kind === 'existing')
    return { urlSecret: importSecret(scope, 'OpsDbUrl', source.urlSecretName), allowFrom: () => undefined };
  const dbName = 'ops';
  const instance = new DatabaseInstance(scope, 'OpsDb', {
    engine: DatabaseInstanceEngine.postgres({ version: PostgresEngineVersion.VER_17 }),
    instanceType: new InstanceType(source.instanceType ?? 't4g.micro'),
    vpc,
    vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
    credentials: Credentials.fromGeneratedSecret('farebox'),
    databaseName: dbName,
    allocatedStorage: source.allocatedStorageGiB ?? 20,
    storageEncrypted: true,
    multiAz: false,
    deletionProtection: source.deletionProtection ?? true,
    backupRetention: Duration.days(7),
    removalPolicy: RemovalPolicy.SNAPSHOT,
  });
  const credentials = instance.secret;
  if (credentials === undefined) throw new Error('the ops DB has no generated secret');
  // The generated password excludes URL-special characters (CDK's default exclusions), so the URL needs
  // no escaping. The references below are resolved by CloudFormation at deploy time, never in the
  // template; rotating the password needs a stack update to rewrite this secret.
  const field = (key: string): string => credentials.secretValueFromJson(key).unsafeUnwrap();
  const url = Fn.join('', [
    'postgres://',
    field('username'),
    ':',
    field('password'),
    '@',
    instance.dbInstanceEndpointAddress,
    ':',
    instance.dbInstanceEndpointPort,
    `/${dbName}?${source.urlQuery ?? 'sslmode=no-verify'}`,
  ]);
  const urlSecret = new Secret(scope, 'OpsDbUrl', {
    description: 'farebox ops DB URL (FAREBOX_OPS_DB), assembled from the RDS credentials',
    secretStringValue: SecretValue.unsafePlainText(url),
  });
  return {
    urlSecret,
    allowFrom: (role) => instance.connections.allowDefaultPortFrom(role, 'farebox task to the ops DB'),
  };
}
