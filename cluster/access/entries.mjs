// Access entries of the local control plane (the file webhook.mjs reads), managed the way EKS's API does:
//
//   node entries.mjs put --entries F --username U [--group G]... [--policy NAME (--namespace NS)... | --policy NAME --cluster-scope]
//       creates or replaces entry U: its kubernetesGroups and its one access policy association (keeps its token)
//   node entries.mjs kubeconfig --entries F --username U --server URL --ca-file F --out F
//       issues a new bearer token for entry U (only its SHA-256 is stored) and writes a kubeconfig that uses it
//   node entries.mjs delete --entries F --username U
//
// Called through cluster/access-entry.sh, which fills in --entries, --server and --ca-file for a cluster.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const POLICIES = ['AmazonEKSClusterAdminPolicy', 'AmazonEKSAdminPolicy', 'AmazonEKSEditPolicy', 'AmazonEKSViewPolicy'];

const [command, ...rest] = process.argv.slice(2);
const options = {};
for (let i = 0; i < rest.length; i++) {
  const key = rest[i].replace(/^--/, '');
  const value = ['cluster-scope'].includes(key) ? true : rest[++i];
  (options[key] ??= []).push(value);
}
const one = (key) => {
  const values = options[key] ?? [];
  if (values.length !== 1 || values[0] === undefined) fail(`--${key} is ${JSON.stringify(values)}; give it exactly once`);
  return values[0];
};
function fail(message) {
  console.error(`access entries: ${message}`);
  process.exit(2);
}

const file = one('entries');
const read = () => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { accessEntries: [] });
const write = (doc) => {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file); // atomic: the webhook never reads half a file
};
const username = one('username');

if (command === 'put') {
  const groups = options.group ?? [];
  const reserved = groups.filter((g) => /^(system|eks):/.test(g));
  if (reserved.length) fail(`--group ${JSON.stringify(reserved)}: EKS refuses kubernetesGroups starting with "system:" or "eks:"`);
  const accessPolicies = [];
  if (options.policy) {
    const policy = one('policy');
    if (!POLICIES.includes(policy)) fail(`--policy is ${JSON.stringify(policy)}; allowed: ${POLICIES.join(', ')}`);
    const namespaces = options.namespace ?? [];
    const clusterScope = Boolean(options['cluster-scope']);
    if (clusterScope === namespaces.length > 0) fail('--policy needs either --cluster-scope or at least one --namespace, not both');
    accessPolicies.push({
      policyArn: `arn:aws:eks::aws:cluster-access-policy/${policy}`,
      accessScope: clusterScope ? { type: 'cluster' } : { type: 'namespace', namespaces },
    });
  }
  const doc = read();
  const existing = doc.accessEntries.find((e) => e.username === username);
  const entry = { username, kubernetesGroups: groups, accessPolicies, tokenSha256: existing?.tokenSha256 };
  doc.accessEntries = [...doc.accessEntries.filter((e) => e.username !== username), entry];
  write(doc);
  console.log(`access entry ${username}: groups ${JSON.stringify(groups)}, policies ${JSON.stringify(accessPolicies)}`);
} else if (command === 'kubeconfig') {
  const doc = read();
  const entry = doc.accessEntries.find((e) => e.username === username);
  if (!entry) fail(`no access entry ${JSON.stringify(username)} (create it with put first)`);
  const token = randomBytes(32).toString('base64url');
  entry.tokenSha256 = createHash('sha256').update(token).digest('hex');
  write(doc);
  const out = one('out');
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server: one('server'), 'certificate-authority': one('ca-file') } }],
    users: [{ name: username, user: { token } }],
    contexts: [{ name: 'access-entry', context: { cluster: 'local', user: username } }],
    'current-context': 'access-entry',
  };
  writeFileSync(out, `${JSON.stringify(kubeconfig, null, 2)}\n`, { mode: 0o600 });
  console.log(out);
} else if (command === 'delete') {
  const doc = read();
  doc.accessEntries = doc.accessEntries.filter((e) => e.username !== username);
  write(doc);
} else {
  fail(`unknown command ${JSON.stringify(command)}; allowed: put, kubeconfig, delete`);
}
