import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { API_ROUTES, UPLOAD_API_ENV } from '../../config';
import { acknowledge, nagArn } from '../checks/nag';
import { encryptedLogGroup } from './log-groups';

export interface UploadApiProps {
  readonly functionName: string;
  /** Folder holding the bundled handler `index.js` (exported `handler`), built by `npm run build`. */
  readonly codeDir: string;
  readonly bucket: s3.IBucket;
  /** The bucket's KMS key. */
  readonly key: kms.IKey;
  /** Issuer of the JWT authorizer: `https://cognito-idp.<region>.amazonaws.com/<user pool ID>`. */
  readonly jwtIssuer: string;
  /** Accepted `aud` / `client_id`: the environment's app clients (the browser app's public client, the ALB's). */
  readonly jwtAudience: readonly string[];
  /**
   * Origins a browser may call the API from (CORS, answered by API Gateway itself, preflight included), e.g.
   * `https://<hostname>`. Never `*`: the API takes bearer tokens.
   */
  readonly corsOrigins: readonly string[];
  readonly throttleRatePerSecond: number;
  readonly throttleBurst: number;
  /**
   * Reserved concurrency of the function (its share of the account's pool, and its ceiling). Needs room in the
   * account's "Concurrent executions" quota, which new accounts may not have.
   * @default - none: the function draws on the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
  readonly removal: RemovalPolicy;
  /** Largest upload the handler accepts. @default 10 MiB */
  readonly maxUploadBytes?: number;
}

/** Methods the browser app uses (the routes' methods; preflight OPTIONS is API Gateway's). */
const API_CORS_METHODS = [...new Set(API_ROUTES.map((r) => r.method))].map((m) => apigw.CorsHttpMethod[m as keyof typeof apigw.CorsHttpMethod]);

/** Fails unless every origin is an https origin (scheme and host, no path, no wildcard). */
export function checkOrigins(where: string, origins: readonly string[]): void {
  if (origins.length === 0) throw new Error(`${where}: corsOrigins is empty; give the https origin of the environment's site`);
  for (const origin of origins) {
    if (!/^https:\/\/[a-z0-9.-]+(:\d+)?$/.test(origin)) {
      throw new Error(`${where}: CORS origin ${JSON.stringify(origin)} is not an https origin such as "https://app.example.com" (no path, no wildcard)`);
    }
  }
}

/**
 * The serverless API: an HTTP API (payload format 2.0) whose upload routes require a Cognito JWT (issuer = the
 * central pool, audience = the environment's app client), access logs into a KMS-encrypted log group and
 * default-stage throttling, in front of one arm64 Lambda function with least privilege on the upload bucket.
 */
export class UploadApi extends Construct {
  readonly function: lambda.Function;
  readonly api: apigw.HttpApi;
  readonly url: string;

  constructor(scope: Construct, id: string, props: UploadApiProps) {
    super(scope, id);
    this.validate(props);
    this.function = this.addFunction(props);
    const accessLogs = encryptedLogGroup(this, 'AccessLogs', props.key, { removal: props.removal });
    this.api = new apigw.HttpApi(this, 'HttpApi', {
      apiName: props.functionName,
      description: 'Upload API',
      createDefaultStage: false,
      // With CORS configured, API Gateway answers preflight OPTIONS requests itself (no authorizer runs on them) and
      // sets the CORS headers on every response (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html).
      corsPreflight: {
        allowOrigins: [...props.corsOrigins],
        allowMethods: API_CORS_METHODS,
        allowHeaders: ['authorization', 'content-type'],
        allowCredentials: false,
        maxAge: Duration.hours(1),
      },
    });
    const stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRatePerSecond, burstLimit: props.throttleBurst },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
    });

    this.addRoutes(props);
    this.url = stage.url;
  }

  private validate(props: UploadApiProps): void {
    if (!existsSync(join(props.codeDir, 'index.js'))) {
      throw new Error(
        `UploadApi ${this.node.path}: ${join(props.codeDir, 'index.js')} is missing; run "npm run build" (it bundles lambda/src/index.ts into dist/lambda/) before synth`,
      );
    }
    checkOrigins(`UploadApi ${this.node.path}`, props.corsOrigins);
    if (props.reservedConcurrency !== undefined && (!Number.isInteger(props.reservedConcurrency) || props.reservedConcurrency < 1)) {
      throw new Error(`UploadApi ${this.node.path}: reservedConcurrency is ${JSON.stringify(props.reservedConcurrency)}; expected a whole number of at least 1, or none`);
    }
    if (props.jwtAudience.length === 0) throw new Error(`UploadApi ${this.node.path}: jwtAudience is empty; give the app client IDs whose tokens the API accepts`);
  }

  /** The handler with its own role (its log group, its bucket and key) and log group. */
  private addFunction(props: UploadApiProps): lambda.Function {
    const maxUploadBytes = props.maxUploadBytes ?? 10 * 1024 * 1024;
    const functionLogs = encryptedLogGroup(this, 'FunctionLogs', props.key, { logGroupName: `/aws/lambda/${props.functionName}`, removal: props.removal });
    const role = new iam.Role(this, 'FunctionRole', {
      description: `Lambda ${props.functionName}: its log group, its bucket and key`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const rolePolicy = new iam.Policy(this, 'FunctionPolicy', {
      statements: [
        new iam.PolicyStatement({ sid: 'Logs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${functionLogs.logGroupArn}:*`] }),
        new iam.PolicyStatement({ sid: 'ListBucket', actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }),
        new iam.PolicyStatement({ sid: 'Objects', actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: [props.bucket.arnForObjects('*')] }),
        new iam.PolicyStatement({ sid: 'BucketKey', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [props.key.keyArn] }),
      ],
    });
    role.attachInlinePolicy(rolePolicy);
    acknowledge(rolePolicy, {
      [`AwsSolutions-IAM5[Resource::${nagArn(functionLogs)}:*]`]: "Log streams of the function's own log group are created at run time",
      [`AwsSolutions-IAM5[Resource::${nagArn(props.bucket)}/*]`]: 'Objects of the upload bucket only (keys are chosen at run time)',
    });

    const fn = new lambda.Function(this, 'Function', {
      functionName: props.functionName,
      description: 'Upload API (API Gateway HTTP API, payload 2.0)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(props.codeDir),
      memorySize: 256,
      timeout: Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrency,
      role,
      logGroup: functionLogs,
      environment: {
        [UPLOAD_API_ENV.bucket]: props.bucket.bucketName,
        [UPLOAD_API_ENV.kmsKeyId]: props.key.keyArn,
        [UPLOAD_API_ENV.maxUploadBytes]: String(maxUploadBytes),
      },
      environmentEncryption: props.key,
    });
    fn.node.addDependency(rolePolicy);
    return fn;
  }

  /** The routes of config/api.ts, behind the Cognito JWT authorizer unless public. */
  private addRoutes(props: UploadApiProps): void {
    const integration = new HttpLambdaIntegration('Handler', this.function, { payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0 });
    const authorizer = new HttpJwtAuthorizer('Cognito', props.jwtIssuer, { jwtAudience: [...props.jwtAudience], authorizerName: 'cognito' });
    // The route table is shared with the handler (config/api.ts).
    for (const route of API_ROUTES) {
      const [created] = this.api.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration,
        authorizer: route.authorized ? authorizer : undefined,
      });
      if (!route.authorized) {
        acknowledge(created, {
          'AwsSolutions-APIG4': 'The health check is public by design: load balancers and uptime probes call it without a token; it returns no data',
        });
      }
    }
  }
}
