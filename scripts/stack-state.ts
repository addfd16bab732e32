/**
 * Where a stack stands before `npm run deploy:stacks` deploys it (CloudFormation DescribeStacks with the deploy
 * role's own credentials): created successfully once, never created (absent, or a first create that failed or never
 * ran), or in a state no deploy can proceed from.
 */
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';

export type StackState =
  | { readonly kind: 'created'; readonly status: string }
  | { readonly kind: 'never-created'; readonly status: string }
  | { readonly kind: 'blocked'; readonly status: string; readonly message: string };

/** Statuses of a stack whose first create has not (yet) succeeded: the CLI deletes and re-creates or creates it. */
const NEVER_CREATED = new Set(['ABSENT', 'REVIEW_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_FAILED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);

/** The state of a stack from its status ("ABSENT" when CloudFormation has none of that name). */
export function classifyStackStatus(stackName: string, region: string, status: string): StackState {
  if (status === 'ROLLBACK_FAILED' || status === 'DELETE_FAILED') {
    return {
      kind: 'blocked',
      status,
      message:
        `stack ${stackName} (${region}) is ${status}: a resource could not be deleted. No deploy can proceed from here. ` +
        `See which one (aws cloudformation describe-stack-events --region ${region} --stack-name ${stackName}), then ` +
        `aws cloudformation delete-stack --region ${region} --stack-name ${stackName} --retain-resources <its logical ID>, ` +
        `delete that resource by hand if it holds no data, and run this command again (docs/first-deployment.md, "If a first create fails")`,
    };
  }
  return { kind: NEVER_CREATED.has(status) ? 'never-created' : 'created', status };
}

/**
 * Reads the stack's status. Access denied (a deploy role from before this check) counts as created, so the
 * protections stay on, as they always were; it is logged.
 */
export async function readStackState(client: Pick<CloudFormationClient, 'send'>, stackName: string, log: (line: string) => void): Promise<StackState> {
  const region = await regionOf(client);
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    return classifyStackStatus(stackName, region, Stacks?.[0]?.StackStatus ?? 'ABSENT');
  } catch (e) {
    const error = e as { name?: string; message?: string };
    if (error.name === 'ValidationError' && /does not exist/.test(error.message ?? '')) return classifyStackStatus(stackName, region, 'ABSENT');
    if (error.name === 'AccessDenied' || error.name === 'AccessDeniedException') {
      log(`cannot read the state of ${stackName} (${error.message}): deployed with its protections on; redeploy the GitHub stack to grant cloudformation:DescribeStacks`);
      return { kind: 'created', status: 'UNKNOWN' };
    }
    throw e;
  }
}

async function regionOf(client: Pick<CloudFormationClient, 'send'>): Promise<string> {
  const config = (client as Partial<CloudFormationClient>).config;
  return config ? await config.region() : '?';
}
