/**
 * The CodeBuild-hosted GitHub Actions runner needs, in its account and region, a GitHub source credential of
 * CodeBuild (a CodeConnections connection imported with `aws codebuild import-source-credentials`): CloudFormation
 * creates the runner's webhook with it, and fails without one ("Could not find access token for server type github").
 * Checked before deploying, so a missing one is a clear refusal naming the step instead of a failed stack.
 */
import { ListSourceCredentialsCommand, type CodeBuildClient } from '@aws-sdk/client-codebuild';

/** The one-time step, for the refusal and the docs. */
export function connectionStep(region: string): string {
  return (
    `create a GitHub connection in this account and region (console: Developer Tools → Settings → Connections → Create ` +
    `connection → GitHub, then finish the handshake; or aws codeconnections create-connection --region ${region} ` +
    `--provider-type GitHub --connection-name github, then "Update pending connection" in the console), then ` +
    `aws codebuild import-source-credentials --region ${region} --server-type GITHUB --auth-type CODECONNECTIONS --token <connection ARN>`
  );
}

/**
 * Returns the refusal (what is missing and the step to take) when the account has no GitHub source credential for
 * CodeBuild in `region`, undefined when it has one. Access denied (a deploy role from before this check) is logged
 * and not a refusal.
 */
export async function checkRunnerConnection(client: Pick<CodeBuildClient, 'send'>, region: string, runnerStack: string, log: (line: string) => void): Promise<string | undefined> {
  let credentials;
  try {
    credentials = (await client.send(new ListSourceCredentialsCommand({}))).sourceCredentialsInfos ?? [];
  } catch (e) {
    const error = e as { name?: string; message?: string };
    if (error.name === 'AccessDeniedException' || error.name === 'AccessDenied') {
      log(`cannot check CodeBuild's GitHub source credential in ${region} (${error.message}): redeploy the GitHub stack to grant codebuild:ListSourceCredentials`);
      return undefined;
    }
    throw e;
  }
  if (credentials.some((c) => c.serverType === 'GITHUB')) return undefined;
  const found = credentials.map((c) => `${c.serverType}/${c.authType}`).join(', ') || 'none';
  return (
    `${runnerStack} needs a GitHub source credential of CodeBuild in ${region} (found: ${found}); its webhook cannot be ` +
    `created without one. Once per account and region: ${connectionStep(region)}; then run this command again.`
  );
}
