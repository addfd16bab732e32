import { outputMismatches, OutputsError, PLACEHOLDER_PATTERN, placeholderOutputs, readWorkloadOutputs, WORKLOAD_OUTPUT_FIELDS, environmentStackName } from '../../config';

function completeOutputs(): Record<string, string> {
  return Object.fromEntries(WORKLOAD_OUTPUT_FIELDS.map((field) => [field, `value-of-${field}`]));
}

describe('readWorkloadOutputs', () => {
  test('reads one stack of a cdk --outputs-file document into the workload shape', () => {
    const outputs = readWorkloadOutputs({ 'platform-dev': { ...completeOutputs(), Extra: 'ignored' }, 'platform-prod': {} }, 'platform-dev');
    expect(outputs.certificateArn).toBe('value-of-certificateArn');
    expect(Object.keys(outputs).sort()).toEqual([...WORKLOAD_OUTPUT_FIELDS].sort());
  });

  test('fails when the stack is absent, naming it and the stacks that exist', () => {
    expect(() => readWorkloadOutputs({ 'platform-dev': completeOutputs() }, 'platform-prod')).toThrow('outputs have no stack "platform-prod" (have: platform-dev)');
  });

  test('fails when fields are missing or empty, naming each', () => {
    const { certificateArn: _c, ...rest } = completeOutputs();
    expect(() => readWorkloadOutputs({ s: { ...rest, bucketName: '' } }, 's')).toThrow(/lack certificateArn, bucketName/);
  });

  test('fails when a value is still a placeholder', () => {
    expect(() => readWorkloadOutputs({ s: { ...completeOutputs(), podRoleArn: '<placeholder:podRoleArn>' } }, 's')).toThrow(OutputsError);
  });

  test('fails when the document is not an object', () => {
    expect(() => readWorkloadOutputs([1, 2], 's')).toThrow(/expected the JSON object written by "cdk deploy --outputs-file"/);
  });
});

describe('placeholderOutputs', () => {
  test('marks every value that only exists after deployment, keeps the known ones', () => {
    const outputs = placeholderOutputs('dev', 'eu-west-1', 'web', 'eu-west-1');
    expect(outputs.region).toBe('eu-west-1');
    expect(outputs.namespace).toBe('web');
    const marked = Object.values(outputs).join('\n').match(PLACEHOLDER_PATTERN) ?? [];
    expect(marked).toHaveLength(WORKLOAD_OUTPUT_FIELDS.length - 4);
    expect(outputs.certificateArn).toBe('<placeholder:certificateArn>');
  });
});

test('environment stacks are named <project>-<environment>', () => {
  expect(environmentStackName('platform', 'prod')).toBe('platform-prod');
});

describe('outputMismatches', () => {
  const expected = { environment: 'dev', region: 'eu-west-1', namespace: 'web', userPoolRegion: 'eu-west-1' };

  test('is empty for the outputs of the expected environment', () => {
    expect(outputMismatches(placeholderOutputs('dev', 'eu-west-1', 'web', 'eu-west-1'), expected)).toEqual([]);
  });

  test('names every field that belongs to another environment, with both values', () => {
    expect(outputMismatches(placeholderOutputs('prod', 'eu-central-1', 'web', 'eu-west-1'), expected)).toEqual([
      { field: 'environment', actual: 'prod', expected: 'dev' },
      { field: 'region', actual: 'eu-central-1', expected: 'eu-west-1' },
    ]);
  });
});
