import { ApiObject, JsonPatch } from 'cdk8s';

/**
 * Applies JSON patches to an object's final JSON.
 *
 * `ApiObject.addJsonPatch` is not enough for fields newer than the Kubernetes 1.28 schema that cdk8s-plus-28's
 * generated L1 classes are built from: their `toJson` re-serializes through that schema after the patches ran
 * and silently drops unknown fields (e.g. `lifecycle.preStop.sleep`, Kubernetes 1.29+). These patches run last.
 */
export function addFinalJsonPatch(target: ApiObject, ...ops: JsonPatch[]): void {
  const toJson = target.toJson.bind(target);
  target.toJson = () => JsonPatch.apply(toJson(), ...ops);
}
