// ECR helpers for the image push outside GitHub Actions (no AWS CLI, no Docker): the SDK's default credential chain
// (the OIDC role through AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, or the agent's role).
//   node scripts/ecr.mjs password <account>.dkr.ecr.<region>.amazonaws.com     prints the registry password (stdout only)
//   node scripts/ecr.mjs digest <registry>/<repository> <tag>                  prints the tag's digest, or nothing
import { DescribeImagesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';

const [command, target, tag] = process.argv.slice(2);
const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?(?:\/(.+))?$/.exec(target ?? '');
if (!match || !['password', 'digest'].includes(command) || (command === 'digest' && (!match[3] || !tag))) {
  process.stderr.write(`usage: node scripts/ecr.mjs password <registry> | digest <registry>/<repository> <tag> (got: ${process.argv.slice(2).join(' ')})\n`);
  process.exit(2);
}
const [, account, region, repositoryName] = match;
const client = new ECRClient({ region });
if (command === 'password') {
  const answer = await client.send(new GetAuthorizationTokenCommand({}));
  const token = answer.authorizationData?.[0]?.authorizationToken;
  if (!token) throw new Error(`ECR gave no authorization token in ${region}`);
  process.stdout.write(Buffer.from(token, 'base64').toString().replace(/^AWS:/, ''));
} else {
  try {
    const answer = await client.send(new DescribeImagesCommand({ registryId: account, repositoryName, imageIds: [{ imageTag: tag }] }));
    process.stdout.write(answer.imageDetails?.[0]?.imageDigest ?? '');
  } catch (e) {
    if (e.name !== 'ImageNotFoundException') throw e;
  }
}
