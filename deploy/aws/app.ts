/**
 * The CDK app: one FareboxStack built from `defaultStackProps` (config.ts), adjusted by CDK context
 * (`npx cdk synth -c key=value` or cdk.json), never by environment variables:
 *
 * - account, region: the stack's environment; without them it is environment-agnostic
 * - imageTag: tag of the farebox image in the stack's ECR repository (default latest)
 * - kafkaBrokers: `host1:9092,host2:9092` of existing brokers instead of a new MSK cluster
 * - clickhouseUrlSecretName, opsDbUrlSecretName (an existing ops DB instead of a new RDS instance),
 *   tokensSecretName, certificateArn: see FareboxStackProps
 * - paused=true: every service at zero tasks (the first deploy, before the image is pushed)
 *
 * Run by the CDK CLI as `node app.ts` (cdk.json), which synthesizes when the program ends.
 */
import { App } from 'aws-cdk-lib';
import type { FareboxStackProps } from './config.ts';
import { defaultStackProps } from './config.ts';
import { FareboxStack } from './stack.ts';

export function createApp(context: Record<string, string> = {}): { app: App; stack: FareboxStack } {
  const app = new App({ context });
  const get = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const account = get('account');
  const region = get('region');
  const brokers = get('kafkaBrokers');
  const opsDbUrlSecretName = get('opsDbUrlSecretName');
  const tokensSecretName = get('tokensSecretName');
  const certificateArn = get('certificateArn');
  const image = defaultStackProps.image;
  const props: FareboxStackProps = {
    ...defaultStackProps,
    image: image.kind === 'ecr' ? { ...image, tag: get('imageTag') ?? image.tag } : image,
    kafka: brokers === undefined ? defaultStackProps.kafka : { kind: 'existing', brokers },
    clickhouseUrlSecretName: get('clickhouseUrlSecretName') ?? defaultStackProps.clickhouseUrlSecretName,
    opsDb:
      opsDbUrlSecretName === undefined
        ? defaultStackProps.opsDb
        : { kind: 'existing', urlSecretName: opsDbUrlSecretName },
    ...(tokensSecretName === undefined ? {} : { tokensSecretName }),
    ...(certificateArn === undefined ? {} : { certificateArn }),
    paused: get('paused') === 'true',
  };
  const stack = new FareboxStack(app, 'Farebox', {
    ...props,
    description: 'farebox streaming data platform on ECS Fargate',
    ...(account === undefined && region === undefined ? {} : { env: { account, region } }),
  });
  return { app, stack };
}

if (import.meta.main) createApp().app.synth();
